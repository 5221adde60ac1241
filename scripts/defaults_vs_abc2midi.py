"""The share of tunes whose melody at CLI defaults equals abc2midi's, before and after
issue 13 (strict reading and hornpipes straight, against tolerant reading and hornpipes
swung), side by side in one run over the bundled collections.

    python scripts/defaults_vs_abc2midi.py [--limit N] [--match TEXT]

A tune counts when abc2midi writes a MIDI file for it (and its X: is unique in its file,
since abc2midi names its files by X). "Unreadable" tunes are ones our reader refuses, so
`folkrnn render` writes nothing for them. Notes compare as (pitch, onset, end) in ticks,
which the tempo does not change.
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oracle import abc2midi_notes, first_difference, our_notes, run_abc2midi  # noqa: E402
from oracle_abc2midi import corpus_files  # noqa: E402

from folkrnn.abc.reader import read_file  # noqa: E402
from folkrnn.errors import FolkrnnError  # noqa: E402
from folkrnn.render.events import EventOptions  # noqa: E402

SETTINGS = {"before (strict, straight)": (True, EventOptions(swing=False)),
            "after (tolerant, swung)": (False, EventOptions()),
            # our default tempo goes by rhythm (a reel 200); abc2midi's is 120, and trills split
            # by the tempo: this row shows what that one departure costs
            "after, at abc2midi's tempo 120": (False, EventOptions(default_tempo=120))}


def compare_file(path: str, counts: dict[str, Counter]) -> None:
    """Add each setting's outcome for every tune abc2midi writes from `path` to `counts`."""
    with tempfile.TemporaryDirectory() as tmp:
        mids = run_abc2midi(path, tmp)
        theirs = {x: abc2midi_notes(p) for x, p in mids.items()}
    for name, (strict, options) in SETTINGS.items():
        read = read_file(path, strict=strict)
        xs = Counter(t.x for t in read.tunes)
        dropped = {e.tune.split(" ")[0] for e in read.errors}
        for x in theirs:
            tunes = [t for t in read.tunes if t.x == x]
            if xs[x] > 1 or (not tunes and f"X:{x}" not in dropped):
                continue  # ambiguous or never a tune of ours: not comparable
            counts[name][outcome(tunes[0] if tunes else None, theirs[x], options)] += 1


def outcome(tune, theirs, options: EventOptions) -> str:
    if tune is None:
        return "unreadable"
    try:
        return "different" if first_difference(our_notes(tune, options), theirs) else "identical"
    except FolkrnnError:
        return "render error"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="only the first N files")
    ap.add_argument("--match", default="", help="only files whose path contains this")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    files = [f for f in corpus_files() if args.match in f][: args.limit or None]
    t0, counts = time.time(), {name: Counter() for name in SETTINGS}
    for f in files:
        compare_file(f, counts)
    print(f"{len(files)} files, {time.time() - t0:.0f} s")
    print("| CLI defaults | tunes | identical | different | unreadable | render error |\n"
          "|---|---|---|---|---|---|")
    for name, c in counts.items():
        n = sum(c.values())
        print(f"| {name} | {n} | {c['identical']} ({100 * c['identical'] / max(n, 1):.1f}%) | "
              f"{c['different']} | {c['unreadable']} | {c['render error']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

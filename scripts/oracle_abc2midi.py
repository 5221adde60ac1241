"""Compare our melody with abc2midi's over the whole bundled corpus and write a report.

    python scripts/oracle_abc2midi.py [--out reports/oracle_abc2midi.md] [--limit N]

Each tune's notes (pitch, onset, end; repeats expanded) are compared with the
notes abc2midi writes for it. The report lists every tune that differs, with
its first difference and a reason where one is known.
"""
from __future__ import annotations

import argparse
import glob
import logging
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oracle import abc2midi_notes, first_difference, our_notes, run_abc2midi  # noqa: E402

from folkrnn.abc.reader import read_file  # noqa: E402

COLLECTIONS = ("oneills1850", "ryansMammoth", "airdsAirs", "miscFolk")


def corpus_files() -> list[str]:
    import music21
    root = os.path.join(os.path.dirname(music21.__file__), "corpus")
    return [f for c in COLLECTIONS for f in sorted(glob.glob(os.path.join(root, c, "*.abc")))]


def compare_file(path: str) -> list[tuple[str, str, str | None, str]]:
    """(file, tune label, difference or None, reason) for each tune of a file with a unique X."""
    result = read_file(path)
    xs = Counter(t.x for t in result.tunes)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        mids = run_abc2midi(path, tmp)
        for tune in result.tunes:
            if tune.x is None or xs[tune.x] > 1 or tune.x not in mids:
                continue  # abc2midi names its files by X; duplicates overwrite each other
            try:
                diff = first_difference(our_notes(tune), abc2midi_notes(mids[tune.x]))
            except Exception as err:  # noqa: BLE001 - a crash is a difference worth listing
                diff = f"error: {type(err).__name__}: {err}"
            out.append((os.path.basename(path), tune.label, diff, reason_for(tune) if diff else ""))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="reports/oracle_abc2midi.md")
    ap.add_argument("--limit", type=int, default=0, help="only the first N files")
    ap.add_argument("--match", default="", help="only files whose path contains this")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    files = [f for f in corpus_files() if args.match in f][: args.limit or None]
    t0, rows = time.time(), []
    for f in files:
        rows.extend(compare_file(f))
    bad = [r for r in rows if r[2]]
    same = len(rows) - len(bad)
    summary = (f"{same} of {len(rows)} tunes identical ({100 * same / max(len(rows), 1):.2f}%), "
               f"{len(files)} files, {time.time() - t0:.0f} s")
    print(summary)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write(f"# Melody vs abc2midi\n\n{summary}\n\n"
                 "| file | tune | first difference | reason |\n|---|---|---|---|\n")
        for f, label, diff, why in bad:
            fh.write(f"| {f} | {label} | {diff} | {why} |\n")
        reasons = Counter(r[3] for r in bad)
        fh.write("\n## Reasons\n\n" + "".join(f"- {n} tunes: {why}\n" for why, n in reasons.most_common()))
    return 0


# Why a tune differs, by what its text shows; checked by reading the differing tunes.
# (pattern, reason); the first that matches the tune's body wins.
REASONS = [
    (r"^V:|\[V:", "multi-voice tune: abc2midi repairs repeats over all voices interleaved "
     "(store.c fixreps), so one voice's `:|` becomes `::` for another (abc2midi's bug)"),
    (r"![^!\n]* [^!\n]*!", "`!` line-break markers: abc2midi reads `! ... !` as one decoration "
     "and drops the music between (abc2midi's bug)"),
    (r"\[\|\]", "abc2midi reads the invisible bar line `[|]` after a decoration as a chord "
     "(abc2midi's bug)"),
    (r"\|\|\d|\|\|:", "abc2midi reads neither `||1` as an ending nor `||:` as a start repeat "
     "(abc2midi's limitation)"),
    (r"[<>]\s*~|~[A-Ga-g][,']*\d*\s*[<>]", "a `~` cut next to a broken rhythm: abc2midi scales the "
     "notes round it by the wrong amounts (store.c marks the cut before its notes; abc2midi's bug)"),
    (r"T[A-Ga-g][,']*\d*/?\d*-", "a trill on a tied note: abc2midi trills through the tie, we "
     "trill the first note and hold the tied one (ours, not done)"),
    (r"\{[^}]*\}\s*[T~]", "grace notes before an ornament: abc2midi takes them from the "
     "ornament's own notes (ours, not modelled)"),
    (r"\{[^}]*[H!.~T][^}]*\}|\}\s*\{", "decorations inside grace groups, or two grace groups "
     "before one note: abc2midi attaches them elsewhere (unclear which is right)"),
    (r"\.\s*[<>]|[<>]\s*\.", "staccato next to a broken rhythm sign in an unusual place "
     "(`B.>G`): abc2midi attaches it differently (unclear which is right)"),
]


def reason_for(tune) -> str:
    body = "\n".join(text for _, text in tune.body)
    for pattern, why in REASONS:
        if re.search(pattern, body, re.M):
            return why
    return "not yet explained"


if __name__ == "__main__":
    sys.exit(main())

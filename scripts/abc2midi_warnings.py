#!/usr/bin/env python3
"""Count abc2midi's warnings and errors over generated tunes, by kind, tune by tune.

    python scripts/abc2midi_warnings.py [-n 200] [--seed 1] [--no-constrain]
                                        [--save tunes.abc | --abc tunes.abc] [--show KIND]
    python scripts/abc2midi_warnings.py --corpus data/corpus [--show KIND]

Generates N tunes at default settings (or reads an ABC file), runs abc2midi over them
as one tune book and prints how many tunes have each kind of message:
"bar length in repeat" (a bar joined to another on a repeat), "bar length" (a bar that
does not fit the meter), "tuple" (different length notes in a tuplet), other warnings
and errors. `--show KIND` prints the tunes with that kind of message, message first.

`--corpus` runs abc2midi over the normalised corpus tunes instead (each as it is, with
`X:` and `L:1/8` added) and sets its bar-length warnings beside the strict checker's
bar rule (`timing.bar_problems`) tune by tune: the checker should fail no tune that
abc2midi plays without a bar-length warning.
"""
from __future__ import annotations

import argparse
import bisect
import re
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

KINDS = ("bar length in repeat", "bar length", "tuple", "other warning", "error")


def kind_of(message: str) -> str:
    """The kind of one abc2midi message line."""
    if message.startswith("Error"):
        return "error"
    if "time units" in message:
        return "bar length in repeat" if message.rstrip().endswith("in repeat") else "bar length"
    if "Different length notes in tuple" in message:
        return "tuple"
    return "other warning"


def run_abc2midi(text: str) -> list[tuple[int, str]]:
    """(line number, message) of every warning and error abc2midi prints for a tune book."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "tunes.abc"
        path.write_text(text)
        out = subprocess.run(["abc2midi", str(path)], cwd=d, capture_output=True, text=True,
                             timeout=600)
    found = []
    for line in (out.stdout + out.stderr).splitlines():
        m = re.match(r"(Warning|Error) in line(?:-char)? (\d+)", line)
        if m:
            found.append((int(m.group(2)), line))
    return found


def by_tune(text: str, messages: list[tuple[int, str]]) -> dict[int, list[str]]:
    """Messages grouped by the tune (its index in the book) whose lines they point into."""
    starts = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith("X:")]
    out: dict[int, list[str]] = defaultdict(list)
    for line_no, msg in messages:
        out[max(0, bisect.bisect_right(starts, line_no) - 1)].append(msg)
    return out


def corpus_book(folder: str) -> tuple[str, list[bool]]:
    """The normalised corpus as one tune book, and whether the checker's bar rule passes each."""
    from folkrnn.abc.normalise import read_normal
    from folkrnn.abc.timing import bar_problems
    from folkrnn.corpus import prepare as corpus

    texts, ok = [], []
    for i, rec in enumerate(corpus.load_prepared(folder), 1):
        tune = read_normal(rec["text"], rec["id"])
        ok.append(not bar_problems(tune.symbols, tune.unit, tune.meter))
        texts.append(f"X:{i}\n" + rec["text"].replace("\nM:", "\nL:1/8\nM:", 1))
    return "\n\n".join(texts) + "\n", ok


def compare(grouped: dict[int, list[str]], ok: list[bool]) -> None:
    """The 2 x 2 table of tunes: abc2midi's bar-length warnings against the checker's bar rule."""
    warned = {i for i, ms in grouped.items() if any(kind_of(m).startswith("bar") for m in ms)}
    cells = {(w, c): sum((i in warned) == w and ok[i] == c for i in range(len(ok)))
             for w in (False, True) for c in (True, False)}
    print(f"{len(ok)} corpus tunes: checker passes / fails the bars")
    print(f"  abc2midi no bar warning: {cells[False, True]:5d} / {cells[False, False]:5d}"
          "   (the second: the checker stricter than abc2midi)")
    print(f"  abc2midi bar warning:    {cells[True, True]:5d} / {cells[True, False]:5d}")


def tune_book(args) -> str:
    if args.abc:
        return Path(args.abc).read_text()
    from folkrnn.generate.api import generate

    tunes = generate(args.model, args.n, seed=args.seed, constrain=not args.no_constrain)
    text = "\n\n".join(t.abc for t in tunes if t.abc) + "\n"
    if args.save:
        Path(args.save).write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--model")
    ap.add_argument("--no-constrain", action="store_true")
    ap.add_argument("--abc", help="read this tune book instead of generating")
    ap.add_argument("--save", help="write the generated tune book here")
    ap.add_argument("--corpus", help="compare with the checker on this prepared corpus")
    ap.add_argument("--show", choices=KINDS, help="print the tunes with this kind of message")
    args = ap.parse_args(argv)
    ok = None
    if args.corpus:
        text, ok = corpus_book(args.corpus)
    else:
        text = tune_book(args)
    tunes = re.split(r"\n(?=X:)", text.strip())
    grouped = by_tune(text, run_abc2midi(text))
    counts = {k: sum(any(kind_of(m) == k for m in ms) for ms in grouped.values()) for k in KINDS}
    print(f"{len(tunes)} tunes; tunes with a message: {len(grouped)}")
    for k in KINDS:
        print(f"  {counts[k]:4d} tunes  {k}")
    if ok is not None:
        compare(grouped, ok)
    for i, ms in sorted(grouped.items()):
        if args.show and any(kind_of(m) == args.show for m in ms):
            print("\n" + "\n".join(f"% {m}" for m in ms) + "\n" + tunes[i])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

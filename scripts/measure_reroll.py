#!/usr/bin/env python3
"""Re-rolling bars 5-6 of test-split tunes, with 1, 4 and 16 candidates, side by side.

    OMP_NUM_THREADS=2 python scripts/measure_reroll.py [--tunes 100] [--candidates 1,4,16]
                                                       [--bars 5-6] [--seed 1] [--json]

The tunes: the first `--tunes` of the default corpus's test split with at least 8 bars
and no inline field in the span, written as ABC by `to_abc` (in their default key). For
each candidate count M, every tune's bars 5-6 are re-rolled (`reroll(..., candidates=M)`,
the same seed for every M, so M=4's candidates include M=1's) and the result is:
- clean: passes the strict check, and abc2midi prints no error or warning for it (the
  original tunes' share beside it: a re-roll keeps the other bars, faults and all);
- the mean whole-tune log-probability the model gives it (nats; the original tune's mean
  beside it);
- same rhythm: the re-rolled bars keep the original's rhythm, the same note and rest
  lengths in the same order;
- the median time per re-roll (wall, the model loaded and warm).
Nothing here is a pass/fail test.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from abc2midi_warnings import by_tune, run_abc2midi  # noqa: E402

from folkrnn.abc.timing import bars as timing_bars  # noqa: E402
from folkrnn.abc.timing import durations  # noqa: E402
from folkrnn.check.strict import check_text  # noqa: E402
from folkrnn.corpus.cache import default_corpus  # noqa: E402
from folkrnn.corpus.prepare import load_prepared  # noqa: E402
from folkrnn.errors import FolkrnnError  # noqa: E402
from folkrnn.generate.compose import reroll, score  # noqa: E402
from folkrnn.generate.output import to_abc  # noqa: E402
from folkrnn.generate.source import SourceTune  # noqa: E402
from folkrnn.model.checkpoint import load_model  # noqa: E402


def rhythm(tok, text: str, first: int, last: int) -> list:
    """The lengths of the notes and rests of bars first..last (bar numbers of `SourceTune`)."""
    src = SourceTune.read(text, tok)
    syms = src.tune.symbols
    lens = durations(syms, src.tune.unit)
    all_bars = timing_bars(syms, src.tune.unit)
    out = []
    for k in range(src.index(first), src.index(last) + 1):
        start = all_bars[k].start
        end = all_bars[k + 1].start if k + 1 < len(all_bars) else len(syms)
        out.append([d for d in lens[start:end] if d is not None])
    return out


def test_tunes(ck, count: int, first: int, last: int) -> list[SourceTune]:
    entries = [e for e in load_prepared(default_corpus()) if e["split"] == "test"]
    out = []
    for e in entries:
        try:
            src = SourceTune.read(to_abc(e["text"]), ck.tokenizer)
            span = [src.bar(n) for n in range(first, last + 1)]
        except FolkrnnError:
            continue
        if src.last_number >= 8 and not any(b.inline_field for b in span):
            out.append(src)
        if len(out) == count:
            break
    return out


def clean_counts(texts: list[str]) -> tuple[int, int]:
    """(tunes passing the strict check with no abc2midi message, tunes passing the check)."""
    book = "\n\n".join(texts) + "\n"
    messages = by_tune(book, run_abc2midi(book))
    strict = [check_text(t, "<reroll>", music21=False)[0].passed for t in texts]
    return sum(ok and not messages.get(i) for i, ok in enumerate(strict)), sum(strict)


def measure(ck, tunes: list[SourceTune], m: int, first: int, last: int, seed: int) -> dict:
    results, times = [], []
    for k, src in enumerate(tunes):
        start = time.perf_counter()
        try:
            (g,) = reroll(src, first, last, candidates=m, seed=seed + k, model=ck)
        except FolkrnnError:
            results.append(None)
            continue
        times.append(time.perf_counter() - start)
        results.append(g)
    made = [g for g in results if g is not None]
    clean, strict = clean_counts([g.abc for g in made])
    same = sum(rhythm(ck.tokenizer, g.abc, first, last) == rhythm(ck.tokenizer, src.text, first, last)
               for g, src in zip(results, tunes) if g is not None)
    n = len(tunes)
    return {"candidates": m, "tunes": n, "made": len(made), "clean": round(clean / n, 3),
            "strict_passed": round(strict / n, 3),
            "mean_logprob": round(statistics.mean(g.logprob for g in made), 2),
            "mean_logprob_first": round(statistics.mean(g.operation["logprob_first"] for g in made), 2),
            "same_rhythm": round(same / n, 3),
            "median_seconds": round(statistics.median(times), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tunes", type=int, default=100)
    ap.add_argument("--candidates", default="1,4,16")
    ap.add_argument("--bars", default="5-6")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    first, last = (int(x) for x in args.bars.split("-"))
    ck = load_model()
    tunes = test_tunes(ck, args.tunes, first, last)
    tok = ck.tokenizer
    originals = score(ck.model, tok.index, [["<s>", *s.header, *s.body_tokens(), "</s>"]
                                             for s in tunes])
    reroll(tunes[0], first, last, candidates=2, seed=0, model=ck)  # warm
    rows = [measure(ck, tunes, int(m), first, last, args.seed) for m in args.candidates.split(",")]
    clean, strict = clean_counts([t.text for t in tunes])
    out = {"bars": args.bars, "tunes": len(tunes),
           "original": {"clean": round(clean / len(tunes), 3),
                        "strict_passed": round(strict / len(tunes), 3),
                        "mean_logprob": round(statistics.mean(originals), 2)}, "runs": rows}
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    o = out["original"]
    print(f"re-rolling bars {args.bars} of {len(tunes)} test-split tunes:")
    print("  M    clean  strict  same rhythm  mean logprob (first cand.)  median s")
    print(f"  orig {o['clean']:6.3f} {o['strict_passed']:7.3f} {'':12s}  {o['mean_logprob']:12.2f}")
    for r in rows:
        print(f"  {r['candidates']:<4} {r['clean']:6.3f} {r['strict_passed']:7.3f} {r['same_rhythm']:12.3f}"
              f"  {r['mean_logprob']:12.2f} ({r['mean_logprob_first']:.2f})  {r['median_seconds']:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

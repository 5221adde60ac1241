#!/usr/bin/env python3
"""Generation figures for the bundled model, side by side in one run.

    OMP_NUM_THREADS=2 python scripts/measure_generation.py [-n 1000] [--single 16]

For N tunes at default settings (sampling at temperature 1, batched), with and
without constraints:
- wall time and tunes a second;
- share that ended before the length cap, and share passing the strict check, with
  the failing tunes' first reasons counted (numbers masked, note names kept);
- abc2midi over the tune book: share with no error, with no bar-length warning, and
  with neither (the tunes abc2midi accepts without a bar-length warning);
- mean (and median) log-probability per token the model gives its own tunes;
- diversity: distinct 4-bar phrases per 100 tunes;
- near copies of training tunes; meter and mode shares against the training split;
then batched vs one-tune-at-a-time speed (--single tunes made both ways, same seeds).
Medians and ratios are printed; nothing here is a pass/fail test.
"""
from __future__ import annotations

import argparse
import collections
import re
import statistics
import time

from abc2midi_warnings import by_tune, kind_of, run_abc2midi  # scripts/ is on sys.path

from folkrnn.check.strict import check_text
from folkrnn.corpus.novelty import NoveltyIndex
from folkrnn.errors import FolkrnnError
from folkrnn.generate.api import generate
from folkrnn.model.checkpoint import load_model


def abc2midi_shares(tunes) -> dict:
    """Shares of tunes abc2midi reads with no error, no bar-length warning, and neither."""
    readable = [t for t in tunes if t.abc]
    book = "\n\n".join(t.abc for t in readable) + "\n"
    kinds = [{kind_of(m) for m in ms} for ms in by_tune(book, run_abc2midi(book)).values()]
    errors = sum("error" in k for k in kinds)
    bars = sum(any(x.startswith("bar") for x in k) for k in kinds)
    either = sum("error" in k or any(x.startswith("bar") for x in k) for k in kinds)
    n, lost = len(tunes), len(tunes) - len(readable)  # an unreadable tune counts as failed
    return {"abc2midi_no_error": round((len(readable) - errors) / n, 3),
            "abc2midi_no_bar_warning": round((len(readable) - bars) / n, 3),
            "abc2midi_clean": round((len(readable) - either) / n, 3),
            "unreadable": lost}


def phrases(text: str) -> set[str]:
    bars = [b for b in re.split(r"\|+[:\]12]*|:\|+[12]?|::", text.split("\n")[-1]) if b]
    return {"|".join(bars[i:i + 4]) for i in range(max(0, len(bars) - 3))}


def _near_copy(novelty, tune) -> bool:
    try:
        return novelty.check(tune.text).near_copy
    except FolkrnnError:  # unconstrained text that does not even tokenize is no copy
        return False


def shares(values) -> dict:
    counts = collections.Counter(values)
    return {k: round(v / len(values), 3) for k, v in counts.most_common()}


def first_problem(tune) -> str | None:
    """None when the tune passes the strict check, else its first reason, numbers masked."""
    if tune.abc:
        report = check_text(tune.abc, music21=False)[0]
        if report.passed:
            return None
        reason = report.reasons[0]
    else:  # "<normalised>:3:10 (tune X:1 'Title'): unknown symbol '/'": the last part
        reason = f"unreadable: {tune.checks.get('unreadable', '?').rsplit('): ', 1)[-1]}"
    return re.sub(r"(?<![A-G#b])\d+", "N", reason)[:120]  # numbers masked, not notes (F#3)


def summary(name: str, tunes, seconds: float, novelty) -> dict:
    n = len(tunes)
    problems = [p for p in map(first_problem, tunes) if p is not None]
    passed = n - len(problems)
    distinct = set().union(*(phrases(t.text) for t in tunes)) if tunes else set()
    lp = [t.mean_logprob for t in tunes]
    row = {"tunes": n, "seconds": round(seconds, 1), "tunes_per_s": round(n / seconds, 2),
           "complete": round(sum(t.complete for t in tunes) / n, 3),
           "strict_pass": round(passed / n, 3),
           "strict_failures": dict(collections.Counter(problems).most_common()),
           **abc2midi_shares(tunes),
           "near_copies": round(sum(_near_copy(novelty, t) for t in tunes) / n, 3),
           "mean_logprob_per_token": round(statistics.fmean(lp), 3),
           "median_logprob_per_token": round(statistics.median(lp), 3),
           "distinct_4bar_phrases_per_100": round(100 * len(distinct) / n, 1),
           "meters": shares([t.meter for t in tunes]), "modes": shares([t.mode for t in tunes])}
    print(name, row, flush=True)
    return row


def batched_vs_single(ck, k: int) -> None:
    """Seconds for k tunes in one batch and one at a time (the same seeds, the same tunes)."""
    start = time.perf_counter()
    together = generate(ck, k, seed=2, batch_size=k)
    batched = time.perf_counter() - start
    start = time.perf_counter()
    alone = [generate(ck, 1, seed=2, first_index=i)[0] for i in range(k)]
    single = time.perf_counter() - start
    same = sum(a.text == b.text for a, b in zip(together, alone))
    print(f"{k} tunes: batched {batched:.1f} s, one at a time {single:.1f} s, "
          f"batched is {single / batched:.1f}x faster; {same}/{k} tunes identical both ways",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--single", type=int, default=16)
    ap.add_argument("--batch-size", type=int, default=64, help="as `generate` (default 64)")
    ap.add_argument("--model")
    args = ap.parse_args()
    t0 = time.perf_counter()
    ck = load_model(args.model)
    records = ck.training_tunes()
    novelty = NoveltyIndex.from_corpus(records)
    train = [r for r in records if r["split"] == "train"]
    print("corpus meters", shares([r["text"].split("\nM:")[1].split("\n")[0] for r in train]))
    print("corpus modes", shares([r["text"].split("\nK:C")[1].split("\n")[0] for r in train]))
    for constrain in (True, False):
        start = time.perf_counter()
        tunes = generate(ck, args.n, seed=1, constrain=constrain, batch_size=args.batch_size)
        summary(f"constrain={constrain}", tunes, time.perf_counter() - start, novelty)
    batched_vs_single(ck, args.single)
    print(f"total wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

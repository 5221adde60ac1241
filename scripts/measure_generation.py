#!/usr/bin/env python3
"""Generation figures for the bundled model, side by side in one run.

    python scripts/measure_generation.py [-n 1000] [--single 16]

- wall time of N tunes at default settings (batched), with and without constraints;
- share passing the strict check, and share abc2midi reads without bar-length warnings;
- mean log-probability per token the model gives its own tunes (constrained vs not);
- diversity: distinct 4-bar phrases per 100 tunes;
- near copies of training tunes; meter and mode distribution against the corpus;
- batched vs one-tune-at-a-time speed (--single tunes made one by one, same seeds).
Medians and ratios are printed; nothing here is a pass/fail test.
"""
from __future__ import annotations

import argparse
import collections
import re
import subprocess
import tempfile
import time
from pathlib import Path

from folkrnn.check import check_text
from folkrnn.errors import FolkrnnError
from folkrnn.checkpoint import load_model
from folkrnn.cli_generate import model_corpus
from folkrnn.generate import generate
from folkrnn.novelty import NoveltyIndex


def abc2midi_warnings(abc: str) -> bool:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.abc"
        p.write_text(abc)
        out = subprocess.run(["abc2midi", str(p), "-o", str(Path(d) / "t.mid")],
                             capture_output=True, text=True, timeout=60)
    text = out.stdout + out.stderr
    return "Error" in text or re.search(r"[Bb]ar \d+ has|Warning.*bar", text) is not None


def phrases(text: str) -> set[str]:
    bars = [b for b in re.split(r"\|+[:\]12]*|:\|+[12]?|::", text.split("\n")[-1]) if b]
    return {"|".join(bars[i:i + 4]) for i in range(max(0, len(bars) - 3))}


def _near_copy(novelty, tune) -> bool:
    try:
        return novelty.check(tune.text).near_copy
    except FolkrnnError:  # unconstrained text that does not even tokenize is no copy
        return False


def summary(name: str, tunes, seconds: float, novelty) -> dict:
    n = len(tunes)
    passed = sum(bool(t.abc) and check_text(t.abc, music21=False)[0].passed for t in tunes)
    clean = sum(bool(t.abc) and not abc2midi_warnings(t.abc) for t in tunes)
    copies = sum(_near_copy(novelty, t) for t in tunes)
    distinct = set().union(*(phrases(t.text) for t in tunes)) if tunes else set()
    lp = sorted(t.mean_logprob for t in tunes)
    row = {"tunes": n, "seconds": round(seconds, 1), "tunes_per_s": round(n / seconds, 2),
           "strict_pass": round(passed / n, 3), "abc2midi_clean": round(clean / n, 3),
           "near_copies": round(copies / n, 3), "median_logprob_per_token": round(lp[n // 2], 3),
           "distinct_4bar_phrases_per_100": round(100 * len(distinct) / n, 1),
           "meters": dict(collections.Counter(t.meter for t in tunes).most_common()),
           "modes": dict(collections.Counter(t.mode for t in tunes).most_common())}
    print(name, row, flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--single", type=int, default=16)
    ap.add_argument("--model")
    args = ap.parse_args()
    ck = load_model(args.model)
    records = model_corpus(ck.path)
    novelty = NoveltyIndex.from_corpus(records)
    train = [r for r in records if r["split"] == "train"]
    meters = collections.Counter(r["text"].split("\nM:")[1].split("\n")[0] for r in train)
    modes = collections.Counter(r["text"].split("\nK:C")[1].split("\n")[0] for r in train)
    print("corpus meters", {k: round(v / len(train), 3) for k, v in meters.most_common()})
    print("corpus modes", {k: round(v / len(train), 3) for k, v in modes.most_common()})
    for constrain in (True, False):
        start = time.perf_counter()
        tunes = generate(ck, args.n, seed=1, constrain=constrain, batch_size=128)
        summary(f"constrain={constrain}", tunes, time.perf_counter() - start, novelty)
    start = time.perf_counter()
    generate(ck, args.single, seed=2, batch_size=args.single)
    batched = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(args.single):
        generate(ck, 1, seed=2, first_index=i)
    single = time.perf_counter() - start
    print(f"{args.single} tunes: batched {batched:.1f} s, one at a time {single:.1f} s, "
          f"batched is {single / batched:.1f}x faster")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reader, normaliser and tokenizer throughput, and `corpus build` wall time.

Baseline, in the same run: music21's own ABC handler (`abcFormat.ABCHandler`,
its tokenizer and parser without building a score) over the same files.
Prints medians of --repeat runs and the ratio.

    python scripts/bench_corpus.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

from folkrnn.abc.normalise import Unrepresentable, normalise
from folkrnn.abc.reader import read_file
from folkrnn.corpus import prepare as corpus
from folkrnn.tokenize import build_tokenizer


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = [p for name in corpus.DEFAULT_SOURCES for p in corpus.resolve_source(name)[1]]

    t_read, tunes = timed(lambda: [t for f in files for t in read_file(f).tunes], args.repeat)
    print(f"reader:     {len(tunes)} tunes in {t_read:.2f} s = {len(tunes) / t_read:,.0f} tunes/s")

    import music21
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]

    def m21():
        for text in texts:
            music21.abcFormat.ABCHandler().process(text)
    t_m21, _ = timed(m21, args.repeat)
    print(f"music21 ABCHandler over the same files: {t_m21:.2f} s "
          f"= {len(tunes) / t_m21:,.0f} tunes/s; ours is {t_m21 / t_read:.1f}x faster")

    def norm():
        out = []
        for t in tunes:
            try:
                out.append(normalise(t).text)
            except Unrepresentable:
                pass
        return out
    t_norm, normal = timed(norm, args.repeat)
    print(f"normalise:  {len(normal)} tunes in {t_norm:.2f} s = {len(normal) / t_norm:,.0f} tunes/s")
    for kind in ("char", "folkrnn"):
        tok = build_tokenizer(kind, normal)
        t_tok, ids = timed(lambda tok=tok: [tok.encode(t) for t in normal], args.repeat)
        n = sum(map(len, ids))
        print(f"tokenizer {kind:8} {len(normal) / t_tok:,.0f} tunes/s, {n / t_tok:,.0f} tokens/s "
              f"({n:,} tokens, vocabulary {len(tok.vocab)})")
    t_build, built = timed(lambda: corpus.build(), 1)
    print(f"corpus build (read, normalise, dedup, group, split): {t_build:.1f} s "
          f"for {len(built.entries)} tunes")


if __name__ == "__main__":
    main()

"""Calibrate `folkrnn check` on the bundled corpus.

Runs the strict check over the original ABC tunes (music21's bundled
collections, through `corpus.resolve_source`) and over the normalised texts
of a prepared corpus, and the music21 pass over a sample of each; prints the
share that passes, the failure reasons with counts, and examples per reason.

    nice -n 10 python scripts/calibrate_check.py [--corpus data/corpus] [--sample 300]
"""
from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter, defaultdict

from folkrnn.abc.normalise import read_normal
from folkrnn.abc.reader import read_file
from folkrnn.check.strict import TuneReport, check_tune, error_report
from folkrnn.corpus import prepare as corpus


def reason_class(reason: str) -> str:
    """A reason with its particulars (bars, lengths, pitches, keys) blanked, for counting."""
    if reason.startswith("music21 hears"):
        return "music21 key disagrees with K:"
    if reason.startswith("unreadable"):
        return "unreadable: " + reason.rsplit(": ", 1)[-1][:40]
    r = re.sub(r"^bar \d+:? ", "bar N ", reason)
    r = re.sub(r"\b[A-G](b|#)?-?\d\b", "P", r)
    r = re.sub(r"\[[\d,-]+", "[N", r)
    return re.sub(r"\d+(/\d+)?", "N", r.split(":", 1)[0] if "too " in r else r)


def original_tunes():
    """Every tune of the default bundled sources, and the read errors."""
    for name in corpus.DEFAULT_SOURCES:
        for path in corpus.resolve_source(name)[1]:
            read = read_file(path)
            yield from read.tunes
            yield from read.errors


def normalised_tunes(folder: str):
    for rec in corpus.load_prepared(folder):
        yield read_normal(rec["text"], rec["id"])


def run(items, music21_ids: set[int]) -> list[TuneReport]:
    out = []
    for n, item in enumerate(items):
        if isinstance(item, Exception):
            out.append(error_report(item))
        else:
            out.append(check_tune(item, music21=n in music21_ids))
    return out


def summarise(title: str, reports: list[TuneReport], seconds: float, examples: int) -> None:
    passed = sum(r.passed for r in reports)
    print(f"\n== {title}: {passed}/{len(reports)} pass ({100 * passed / len(reports):.1f}%), "
          f"{1000 * seconds / len(reports):.1f} ms a tune")
    by_reason: dict[str, list[str]] = defaultdict(list)
    tunes_by_reason: Counter = Counter()
    for r in reports:
        seen = set()
        for reason in r.reasons:
            cls = reason_class(reason)
            by_reason[cls].append(f"{r.source}:{r.line} {r.label}: {reason}")
            seen.add(cls)
        tunes_by_reason.update(seen)
    for cls, n in tunes_by_reason.most_common():
        print(f"{n:6d} tunes  {len(by_reason[cls]):6d} times  {cls}")
        for ex in by_reason[cls][:examples]:
            print(f"            e.g. {ex[:180]}")


def music21_summary(reports: list[TuneReport]) -> None:
    ran = [r for r in reports if r.analysed_key is not None]
    if not ran:
        return
    rel = Counter((r.key.split()[0] if r.key else "", r.relation) for r in ran)
    print(f"   music21 key relation over {len(ran)} tunes (K: as written, relation):")
    print("   " + ", ".join(f"{k}/{v}: {n}" for (k, v), n in sorted(rel.items(), key=str)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--sample", type=int, default=300, help="tunes given the music21 pass")
    ap.add_argument("--examples", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for title, items in (("original ABC", list(original_tunes())),
                         ("normalised", list(normalised_tunes(args.corpus)))):
        sample = set(random.Random(args.seed).sample(range(len(items)), min(args.sample, len(items))))
        t0 = time.perf_counter()
        strict = run(items, set())
        summarise(title + " (strict)", strict, time.perf_counter() - t0, args.examples)
        if not sample:
            continue
        t0 = time.perf_counter()
        sampled = run([items[i] for i in sorted(sample)], set(range(len(sample))))
        summarise(f"{title} (strict + music21, sample of {len(sampled)})", sampled,
                  time.perf_counter() - t0, args.examples)
        music21_summary(sampled)


if __name__ == "__main__":
    main()

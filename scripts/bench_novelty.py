"""Benchmark and calibrate the novelty check on a prepared corpus.

Prints the index build time, the time a check, how many held-out (valid and
test) tunes the train index flags, and the recall on mutated copies of train
tunes (pitch tokens substituted at random).

    nice -n 10 python scripts/bench_novelty.py [--corpus data/corpus] [--copies 200]
"""
from __future__ import annotations

import argparse
import random
import re
import time

from folkrnn.corpus import prepare as corpus
from folkrnn.corpus.novelty import NoveltyIndex, body_of
from folkrnn.tokenize import body_tokens

_PITCH = re.compile(r"^[_^=]?[A-Ga-g][,']*$")


def mutate(text: str, share: float, rng: random.Random) -> str:
    """The tune with `share` of its tokens replaced by another pitch."""
    head = text[:len(text) - len(body_of(text))]
    toks = body_tokens(body_of(text))
    pitches = [i for i, t in enumerate(toks) if _PITCH.match(t)]
    for i in rng.sample(pitches, min(len(pitches), round(share * len(toks)))):
        toks[i] = rng.choice([p for p in "CDEFGABcdefgab" if p != toks[i]])
    return head + "".join(toks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--copies", type=int, default=200)
    args = ap.parse_args()
    records = corpus.load_prepared(args.corpus)
    t0 = time.perf_counter()
    index = NoveltyIndex.from_corpus(records)
    print(f"index of {len(index)} train tunes built in {time.perf_counter() - t0:.1f} s")
    held = [r for r in records if r["split"] != "train"]
    t0 = time.perf_counter()
    results = [index.check(r["text"]) for r in held]
    dt = time.perf_counter() - t0
    flagged = [(r, x) for r, x in zip(held, results) if x.near_copy]
    print(f"{len(held)} held-out tunes: {1000 * dt / len(held):.1f} ms a check; "
          f"{len(flagged)} flagged as near copies of a train tune")
    for r, x in flagged:
        print(f"   {r['id']} {r['title']!r} ~ {x.closest_id} {x.closest_title!r}: "
              f"similarity {x.similarity}, {x.shared_bars} shared bars")
    rng = random.Random(0)
    train = rng.sample([r for r in records if r["split"] == "train"], args.copies)
    for share in (0.02, 0.05, 0.08, 0.12):
        hits = [index.check(mutate(r["text"], share, rng)) for r in train]
        found = sum(h.near_copy for h in hits)
        right = sum(h.closest_id == r["id"] for h, r in zip(hits, train))
        print(f"copies with {share:.0%} of tokens changed: {found}/{len(train)} flagged, "
              f"closest is the source for {right}")


if __name__ == "__main__":
    main()

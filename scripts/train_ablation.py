#!/usr/bin/env python3
"""The default model's recipe with one modelling option left out, to say what each buys.

    python scripts/train_ablation.py --without positions [--minutes 40] [--threads 1] [--resume]

Trains `runs/without-<option>`: the default-v2 preset (form tokens, position inputs: the
model the plan input was added to), warm-started from runs/default-v1 (the model bundled
at commit c2fae68, as `git show c2fae68:folkrnn/models/default/<file>` gives it) on
data/corpus, with `positions` off (the form token alone) — the same schedule and seed as
the bundled model. Then `folkrnn measure --model runs/without-<option>/best -n 1000 --seed 1`
sets its figures beside the bundled model's.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = {"positions": {"positions": False}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--without", choices=sorted(OPTIONS), default="positions")
    ap.add_argument("--minutes", type=float, default=40)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    from folkrnn.train.loop import train  # after OMP_NUM_THREADS

    summary = train(ROOT / "runs" / f"without-{args.without}", preset="default-v2",
                    tokenizer="folkrnn",
                    corpus_dir=ROOT / "data" / "corpus", max_minutes=args.minutes,
                    resume=args.resume, quiet=True, overrides=OPTIONS[args.without],
                    init_from=None if args.resume else ROOT / "runs" / "default-v1")
    print(summary)


if __name__ == "__main__":
    main()

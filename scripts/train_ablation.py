#!/usr/bin/env python3
"""A recipe of the default model's with one modelling option left out, to say what each buys.

    python scripts/train_ablation.py --without positions|plan [--minutes 40] [--threads 1] [--resume]

Trains `runs/without-<option>` on data/corpus with the same schedule and seed as the model
it is set beside:
- `positions`: the default-v2 preset (form tokens, position inputs: the model the plan
  input was added to) with `positions` off (the form token alone), warm-started from
  runs/default-v1 (the model bundled at commit c2fae68, as `git show
  c2fae68:folkrnn/models/default/<file>` gives it);
- `plan`: the default preset with `plan` off, warm-started from runs/default-v2 (which
  scripts/train_default.py writes from git): the same further training as the bundled
  model without the plan input, so the two differ by the plan alone.
Then `folkrnn measure --model runs/without-<option>/best -n 1000 --seed 1` sets its figures
beside the bundled model's.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# option -> (preset, overrides, the run it is warm-started from)
OPTIONS = {"positions": ("default-v2", {"positions": False}, "default-v1"),
           "plan": ("default", {"plan": False}, "default-v2")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--without", choices=sorted(OPTIONS), default="positions")
    ap.add_argument("--minutes", type=float, default=40)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    from folkrnn.train.loop import train  # after OMP_NUM_THREADS

    preset, overrides, parent = OPTIONS[args.without]
    summary = train(ROOT / "runs" / f"without-{args.without}", preset=preset, tokenizer="folkrnn",
                    corpus_dir=ROOT / "data" / "corpus", max_minutes=args.minutes,
                    resume=args.resume, quiet=True, overrides=overrides,
                    init_from=None if args.resume else ROOT / "runs" / parent)
    print(summary)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Train the folkrnn-v2 preset on the bundled corpus split, resumably, and compare it with the default.

    python scripts/train_v2.py [--minutes 60] [--resume] [--report-only]

1. `folkrnn train --preset folkrnn-v2 --tokenizer folkrnn --out runs/v2 --max-minutes M`
   (`--resume` continues the run exactly where it stopped, across sessions);
2. `folkrnn evaluate` of runs/v2/best on valid and test (with the n-gram baseline);
3. writes runs/v2/evaluation.json (the scores, with the epochs and minutes they were
   measured after; the default's model card quotes it) and reports/folkrnn_v2.md: v2
   beside the bundled default (its evaluation.json), with the valid curve so far.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_default import BUNDLE as DEFAULT  # noqa: E402
from train_default import CORPUS, ROOT, folkrnn

RUN = ROOT / "runs" / "v2"
REPORT = ROOT / "reports" / "folkrnn_v2.md"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--report-only", action="store_true", help="skip training; evaluate and report")
    args = ap.parse_args()
    if not (CORPUS / "tunes.jsonl").exists():
        folkrnn("corpus", "build", "--out", str(CORPUS))
    if not args.report_only:
        train = ["train", "--preset", "folkrnn-v2", "--tokenizer", "folkrnn", "--out", str(RUN),
                 "--corpus", str(CORPUS), "--max-minutes", str(args.minutes)]
        print(folkrnn(*train, *(["--resume"] if args.resume else [])))
    scores = {split: json.loads(folkrnn("evaluate", "--model", str(RUN / "best"), "--corpus",
                                        str(CORPUS), "--split", split, "--json"))
              for split in ("valid", "test")}
    metrics = [json.loads(line) for line in (RUN / "metrics.jsonl").read_text().splitlines() if line]
    last = metrics[-1]
    scores["trained"] = {"epochs": last["epoch"] + 1, "minutes": round(last["elapsed_s"] / 60)}
    (RUN / "evaluation.json").write_text(json.dumps(scores, indent=1))
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(report(scores, metrics), encoding="utf-8")
    print(REPORT.read_text(encoding="utf-8"))


def corpus_hash() -> str:
    return json.loads((CORPUS / "manifest.json").read_text()).get("content_hash", "?")


def report(v2: dict, metrics: list[dict]) -> str:
    """The Markdown comparison of v2 (so far: `metrics`, its epochs) and the bundled default."""
    default = json.loads((DEFAULT / "evaluation.json").read_text())
    d = json.loads((DEFAULT / "checkpoint.json").read_text())["model_config"]
    last, ngram = metrics[-1], v2["test"].get("ngram", {})
    trained = v2["trained"]
    rows = [("folkrnn-v2 (3×512, one-hot, RMSprop)", v2["valid"]["scores"], v2["test"]["scores"]),
            (f"default (bundled, {d['layers']}×{d['hidden']})", default["valid"]["scores"],
             default["test"]["scores"]),
            (f"Kneser–Ney {ngram.get('order', '?')}-gram", v2["valid"].get("ngram", {}), ngram)]
    lines = ["# folkrnn-v2 beside the bundled default", "",
             f"Same corpus split (content hash {corpus_hash()[:12]}…), folkrnn tokens.",
             f"v2 so far: {trained['epochs']} epochs, {trained['minutes']} min of training "
             f"on this project's 2-core CPU machine, 1 or 2 threads ({last['tokens_per_s']:.0f} tokens/s "
             "in its last epoch); "
             "`python scripts/train_v2.py --resume` continues it.", "",
             "| model | valid nats/token | valid bits/char | test nats/token | test bits/char |",
             "|---|---|---|---|---|"]
    lines += [f"| {name} | {v.get('nll', float('nan')):.4f} | {v.get('bpc', float('nan')):.4f} | "
              f"{t.get('nll', float('nan')):.4f} | {t.get('bpc', float('nan')):.4f} |"
              for name, v, t in rows]
    lines += ["", "v2's valid loss by epoch: " +
              ", ".join(f"{m['epoch'] + 1}: {m['valid_loss']:.3f}" for m in metrics), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Train, evaluate and bundle the default model, reproducibly and resumably.

    python scripts/train_default.py [--minutes 80] [--threads T] [--resume] [--bundle-only]

1. `folkrnn corpus build --out data/corpus` (deterministic; its content hash goes in the card);
2. the model it grows from: the default-v3 model bundled at commit `PARENT_COMMIT` (form
   tokens, positions and the plan input), written into runs/default-v3 from git (once);
3. self-training for form, in `ROUNDS`: each round adds the previous model's own tunes at
   default settings (`scripts/self_corpus.py`: the constraints keep the form it chose, so
   every part closes where its form token says), those of a larger pool whose meters and
   short notes are distributed as the corpus's (the model's formed tunes are plainer), to
   the training split, in data/corpus-self<r>, and trains
   `folkrnn train --preset default --init-from <previous>` on it into runs/default-self<r>
   (`--resume` continues a killed round exactly where it stopped; a finished round is
   skipped). Valid and test stay the corpus's own. The later rounds train with
   `even_tokens` (every target token weighs the same in every batch: `TrainConfig`), which
   brought the model's meter mix to the corpus's;
4. `folkrnn evaluate` of the last round's best on valid and test, with the n-gram baseline,
   and `folkrnn measure -n 1000 --seed 1` of it at default settings and with `--form free`;
5. copies it into folkrnn/models/default/ with the training tunes (corpus.jsonl.gz, for
   --novel-only: the corpus's, not the model's own) and MODEL_CARD.md.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "corpus"
BUNDLE = ROOT / "folkrnn" / "models" / "default"
V2 = ROOT / "runs" / "v2"
PARENT = ROOT / "runs" / "default-v3"
PARENT_COMMIT = "b92bb57"  # the last commit that bundled the default-v3 model
# each round: how many tunes join the training split, their seed, the model that makes them
# ("previous": the last round's; "parent": default-v3), `pool` (make that many and keep the
# tunes whose meters and short notes are distributed as the corpus's: `self_corpus.matched`;
# 0: keep them as they come), and the epochs to train (None: until the preset's early stop);
# or `corpus_of`: train on round k's corpus again (no new tunes); `set`: `folkrnn train --set`
# settings (`even_tokens`: `TrainConfig`)
EVEN = {"even_tokens": "true"}
ROUNDS = ({"tunes": 4000, "seed": 51, "tunes_of": "previous", "pool": 10000, "epochs": 2},
          {"tunes": 4000, "seed": 61, "tunes_of": "previous", "pool": 10000, "epochs": 6},
          {"corpus_of": 2, "epochs": 3, "set": EVEN},
          {"tunes": 4000, "seed": 71, "tunes_of": "previous", "pool": 10000, "epochs": 4, "set": EVEN})
RUN = ROOT / "runs" / f"default-self{len(ROUNDS)}"
PARENT_FILES = ("checkpoint.json", "model.safetensors", "MODEL_CARD.md", "evaluation.json")


def folkrnn(*args: str) -> str:
    cmd = [sys.executable, "-m", "folkrnn", *args]
    print("$", " ".join(cmd[2:]), flush=True)
    return subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=80)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--bundle-only", action="store_true", help="skip training; evaluate and bundle")
    ap.add_argument("--threads", type=int, help="torch threads for training (OMP_NUM_THREADS)")
    ap.add_argument("--trained-on", default="this project's 2-core CPU machine",
                    help="what the model card says the training ran on")
    args = ap.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    if not args.bundle_only:
        if not (CORPUS / "tunes.jsonl").exists():
            folkrnn("corpus", "build", "--out", str(CORPUS))
        parent_model()
        start = time.time()
        for r, spec in enumerate(ROUNDS, 1):
            train_round(r, spec, args.minutes - (time.time() - start) / 60, args.resume)
        print(f"trained for {(time.time() - start) / 60:.1f} min this call")
    scores = {split: json.loads(folkrnn("evaluate", "--model", str(RUN / "best"), "--corpus",
                                        str(CORPUS), "--split", split, "--json"))
              for split in ("valid", "test")}
    scores["music"] = {name: json.loads(folkrnn("measure", "--model", str(RUN / "best"), "--corpus",
                                                str(CORPUS), "-n", "1000", "--seed", "1", "--json",
                                                *extra))
                       for name, extra in (("default", ()), ("form free", ("--form", "free")))}
    (RUN / "evaluation.json").write_text(json.dumps(scores, indent=1))
    bundle(scores, args.trained_on)


def train_round(r: int, spec: dict, minutes: float, resume: bool) -> None:
    """Round `r` of self-training (skipped when it has finished)."""
    before = PARENT if r == 1 else ROOT / "runs" / f"default-self{r - 1}" / "best"
    corpus, run = round_corpus(r), ROOT / "runs" / f"default-self{r}"
    if finished(run, spec["epochs"]):
        return
    if minutes <= 0:
        raise SystemExit(f"out of --minutes before round {r}; run again with --resume")
    if not (corpus / "tunes.jsonl").exists():
        if "corpus_of" in spec:
            raise SystemExit(f"round {r} trains on {corpus}, which is missing: run from round 1")
        maker = before if spec["tunes_of"] == "previous" else PARENT
        subprocess.run([sys.executable, str(ROOT / "scripts" / "self_corpus.py"), "--model",
                        str(maker), "-n", str(spec["tunes"]), "--seed", str(spec["seed"]),
                        "--pool", str(spec["pool"]), "--corpus", str(CORPUS), "--out", str(corpus)],
                       cwd=ROOT, check=True)
    folkrnn("train", "--preset", "default", "--tokenizer", "folkrnn", "--out", str(run),
            "--corpus", str(corpus), "--max-minutes", str(minutes), "--init-from", str(before),
            *(["--epochs", str(spec["epochs"])] if spec["epochs"] else []),
            *[arg for k, v in spec.get("set", {}).items() for arg in ("--set", f"{k}={v}")],
            *(["--resume"] if resume or (run / "last").exists() else []))
    if not finished(run, spec["epochs"]):
        raise SystemExit(f"round {r} stopped on the clock; run again with --resume")


def round_corpus(r: int) -> Path:
    """The prepared corpus round `r` trains on."""
    return ROOT / "data" / f"corpus-self{ROUNDS[r - 1].get('corpus_of', r)}"


def finished(run: Path, epochs: int | None) -> bool:
    """Whether the run in `run` stopped for good: its `epochs` (None: the preset's), or the
    early stop."""
    path = run / "last" / "checkpoint.json"
    if not path.exists():
        return False
    meta = json.loads(path.read_text())
    p, t = meta["progress"], meta["train_config"]
    stopped_early = bool(t["patience"] and p["bad_epochs"] >= t["patience"])
    return p["epoch"] >= (epochs or t["max_epochs"]) or stopped_early


def parent_model() -> None:
    """runs/default-v2: the model this one grows from, as bundled at PARENT_COMMIT."""
    if (PARENT / "model.safetensors").exists():
        return
    PARENT.mkdir(parents=True, exist_ok=True)
    for name in PARENT_FILES:
        blob = subprocess.run(["git", "show", f"{PARENT_COMMIT}:folkrnn/models/default/{name}"],
                              cwd=ROOT, check=True, capture_output=True).stdout
        (PARENT / name).write_bytes(blob)


def bundle(scores: dict, trained_on: str) -> None:
    if BUNDLE.exists():
        shutil.rmtree(BUNDLE)
    shutil.copytree(RUN / "best", BUNDLE)
    records = [json.loads(line) for line in (CORPUS / "tunes.jsonl").read_text().splitlines()]
    keep = ("id", "title", "split", "text")
    text = "".join(json.dumps({k: r[k] for k in keep}, ensure_ascii=False) + "\n" for r in records)
    with gzip.GzipFile(BUNDLE / "corpus.jsonl.gz", "wb", mtime=0) as f:  # same bytes every time
        f.write(text.encode("utf-8"))
    (BUNDLE / "evaluation.json").write_text(json.dumps(scores, indent=1))
    (BUNDLE / "MODEL_CARD.md").write_text(card(scores, trained_on))
    print(f"bundled into {BUNDLE}")


def card(scores: dict, trained_on: str) -> str:
    meta = json.loads((RUN / "best" / "checkpoint.json").read_text())
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    history = [json.loads(line) for line in (RUN / "metrics.jsonl").read_text().splitlines()]
    best = min(history, key=lambda h: h["valid_loss"])
    t, v = scores["test"], scores["valid"]
    vocab = meta["model_config"]["vocab_size"]
    return f"""# folkrnn default model

- **Data**: music21's bundled oneills1850, ryansMammoth, airdsAirs, miscFolk, normalised
  (root C, L:1/8), deduplicated, near-duplicates grouped; {manifest['count']} tunes,
  splits {manifest['splits']}; corpus content hash `{manifest['content_hash']}`.
- **Tokenizer**: folkrnn (folk-rnn v2 tokens + title + rhythm + form, `F:AABB8` before `K:`),
  vocabulary {vocab}; position inputs (bar in the part, beat, part, the tokens four and eight
  bars back, and the plan: what the form token says of the part being written, bars left,
  repeated, last: `folkrnn.model.positions`).
- **Grown from**: the default-v3 model bundled at commit {PARENT_COMMIT} (the same network;
  test 1.3032 bits/char, 47.6% of its tunes with every section 4, 8 or 16 bars under
  `--form free`; itself warm-started from default-v2 and default-v1).
- **Self-training for form** (`scripts/self_corpus.py`): {rounds_text()}
  `even_tokens`: every target token weighs the same in every batch (`TrainConfig`).
  Valid and test are the corpus's own in every round; `corpus.jsonl.gz` holds the corpus's
  tunes only (the model's own are not what `--novel-only` compares with).
- **Preset**: default — {meta['model_config']}; training {meta.get('train_config')}.
- **Training**: {minutes_text()} on {trained_on}; the last round's
  best valid loss at its epoch {best['epoch']} (counted from 0).
- **Valid**: {v['scores']['nll']:.4f} nats/token, {v['scores']['bpc']:.4f} bits/char.
- **Test**: {t['scores']['nll']:.4f} nats/token, {t['scores']['bpc']:.4f} bits/char,
  perplexity {t['scores']['perplexity']:.2f}; {form_cost(t)}
- **n-gram baseline** (interpolated Kneser–Ney, order {t['ngram'].get('order')} chosen on valid):
  test {t['ngram']['nll']:.4f} nats/token, {t['ngram']['bpc']:.4f} bits/char.
- **Command**: `python scripts/train_default.py --threads 1`
  (`--resume` continues it after a stop).
- **Against the aim**: {aim(t)}
{against_v2(t)}{music(scores['music'])}"""


def minutes_text() -> str:
    """The wall time of every round, and in all."""
    minutes = [json.loads(line)["elapsed_s"] / 60 for r in range(1, len(ROUNDS) + 1) for line in
               (ROOT / "runs" / f"default-self{r}" / "metrics.jsonl").read_text().splitlines()[-1:]]
    return f"{sum(minutes):.0f} min wall time in all (rounds: {', '.join(f'{m:.0f}' for m in minutes)})"


def rounds_text() -> str:
    """Each round of `ROUNDS`: the tunes added, the model they came from, its epochs."""
    parts, train = [], json.loads((CORPUS / "manifest.json").read_text())["splits"]["train"]
    for r, spec in enumerate(ROUNDS, 1):
        added = json.loads((round_corpus(r) / "manifest.json").read_text())["self"]
        history = [json.loads(line) for line in
                   (ROOT / "runs" / f"default-self{r}" / "metrics.jsonl").read_text().splitlines()]
        best = min(history, key=lambda h: h["valid_loss"])
        start = "default-v3" if r == 1 else f"round {r - 1}'s best"
        settings = "".join(f", `{k}={v}`" for k, v in spec.get("set", {}).items())
        trained = (f"{len(history)} epochs from {start}{settings}, best valid "
                   f"{best['valid_loss']:.4f} nats/token at epoch {best['epoch']};")
        if "corpus_of" in spec:
            parts.append(f"round {r}: round {spec['corpus_of']}'s tunes again, {trained}")
            continue
        maker = start if spec["tunes_of"] == "previous" else "default-v3"
        kept = (f", kept from {added['pool']:,} so that their meters and short notes are "
                "distributed as the corpus's" if added.get("pool") else "")
        parts.append(f"round {r}: {added['tunes']:,} tunes of {maker} at default settings (seed "
                     f"{added['seed']}{kept}) beside the corpus's {train:,} training tunes, "
                     f"{trained}")
    return "\n  ".join(parts)


def form_cost(test: dict) -> str:
    f = test.get("form_token")
    if not f:
        return "no form tokens."
    return (f"the form token costs {f['nats_per_tune']:.2f} nats a tune, {f['bpc']:.4f} of those "
            f"bits/char (counted in: the characters counted are the tune's own, as before; "
            f"{f['bpc_without']:.4f} without it).")


def music(runs: dict) -> str:
    """The musical figures of `folkrnn measure` (1,000 tunes, seed 1) beside the test split's."""
    keys = (("sections_4_8_16", "every section 4, 8 or 16 bars"), ("aabb_8", "AABB of 8-bar parts"),
            ("bars_repeating", "bars repeating an earlier bar"),
            ("halves_alike", "8-bar parts: bars 5-8 equal to 1-4"),
            ("sections_on_tonic", "sections ending on the tonic"))
    first = next(iter(runs.values()))
    lines = ["", "## Music (`folkrnn measure -n 1000 --seed 1`)", "",
             "| | test split | " + " | ".join(f"generated, {n}" for n in runs) + " |",
             "|---|---|" + "---|" * len(runs)]
    for key, label in keys:
        cells = [first["test"]["figures"][key]] + [r["tunes"]["figures"][key] for r in runs.values()]
        lines.append(f"| {label} | " + " | ".join(f"{c:.1%}" for c in cells) + " |")
    for name in ("pitch_class", "interval", "note_length"):
        cells = [r["compare"][name]["overlap"] for r in runs.values()]
        row = " | ".join(f"{c:.3f}" for c in cells)
        lines.append(f"| {name.replace('_', ' ')} overlap | 1 | {row} |")
    return "\n".join(lines) + "\n"


def aim(test: dict) -> str:
    """How far below the n-gram baseline the model is in bits/char, against the 30% aimed for."""
    below = 1 - test["scores"]["bpc"] / test["ngram"]["bpc"]
    verdict = "meets" if below >= 0.30 else "falls short of"
    return f"{below:.1%} fewer bits per character than the n-gram baseline; this {verdict} the 30% aimed for."


def v2_report(default_test: dict) -> str:
    """v2's figures as reports/folkrnn_v2.md recorded them, when its run is not here."""
    report = ROOT / "reports" / "folkrnn_v2.md"
    row = next((line for line in report.read_text().splitlines() if line.startswith("| folkrnn-v2")),
               None) if report.exists() else None
    if row is None:
        return "- **Against folkrnn-v2**: not trained yet (`python scripts/train_v2.py`).\n"
    test_bpc = float(row.strip("|").split("|")[4])
    return (f"- **Against folkrnn-v2** (3×512, one-hot, RMSprop 0.003, the published configuration):\n"
            f"  its run is not on this machine; `reports/folkrnn_v2.md` recorded test {test_bpc:.4f} "
            f"bits/char\n  on the same split (316 min of training), against "
            f"{default_test['scores']['bpc']:.4f} here.\n")


def against_v2(default_test: dict) -> str:
    """The folkrnn-v2 run's figures on the same split, from scripts/train_v2.py, if it has
    run: which model is ahead on test, and how far v2's valid loss moved in its last epochs."""
    path = V2 / "evaluation.json"
    if not path.exists():
        return v2_report(default_test)
    scores = json.loads(path.read_text())
    t, trained = scores["test"]["scores"], scores["trained"]
    gap = t["nll"] - default_test["scores"]["nll"]
    ahead = (f"the default is {gap:.4f} nats/token lower" if gap > 0
             else f"v2 is {-gap:.4f} nats/token lower")
    valid = [json.loads(line)["valid_loss"] for line in
             (V2 / "metrics.jsonl").read_text().splitlines() if line][:trained["epochs"]]
    recent = (f" v2's best valid loss fell {min(valid[:-5]) - min(valid):.4f} nats/token over its "
              "last five epochs." if len(valid) > 5 else "")
    return (f"- **Against folkrnn-v2** (3×512, one-hot, RMSprop 0.003, the published configuration) on\n"
            f"  the same split, after {trained['epochs']} epochs and {trained['minutes']} min "
            f"on 1–2 CPU threads: test {t['nll']:.4f} nats/token,\n  {t['bpc']:.4f} bits/char; "
            f"{ahead}.\n {recent} `reports/folkrnn_v2.md` has its curve;\n  "
            "`python scripts/train_v2.py --resume` trains it further.\n")


if __name__ == "__main__":
    main()

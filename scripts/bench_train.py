"""Trainer throughput against a bare nn.LSTM loop of the same size, in one run.

    python scripts/bench_train.py --preset default --tunes 200 --epochs 3 --threads 1
    python scripts/bench_train.py --corpus data/corpus --batch-sizes 16,32,64 --epochs 1

Both train on the same tunes in the same batches; each prints the median
tokens/s over epochs (training steps only, validation excluded), then the ratio.
With --batch-sizes, the bare loop alone runs once per batch size instead, and
prints tokens/s and updates/s side by side (the ratio to the largest size).
Uses a synthetic corpus of ABC-like tunes unless --corpus names a prepared one.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from folkrnn.model.config import PRESETS, with_overrides
from folkrnn.tokenize import build_tokenizer
from folkrnn.train.batches import collate, epoch_batches, pick_device
from folkrnn.train.loop import train
from folkrnn.train.setup import read_prepared, split_texts


def synthetic_corpus(path: Path, n: int, seed: int = 0) -> Path:
    """`n` random ABC-like tunes (80% train) with a manifest."""
    rng = random.Random(seed)
    notes = "CDEFGABcdefgab"
    rows = []
    for i in range(n):
        bars = "|".join("".join(rng.choice(notes) + rng.choice(["", "2", "/2"]) for _ in range(6))
                        for _ in range(rng.randint(8, 32)))
        text = f"T:Bench {i}\nM:6/8\nK:Cmaj\n|:{bars}:|\n"
        rows.append({"id": str(i), "split": "train" if i % 5 else "valid", "text": text})
    path.mkdir(parents=True, exist_ok=True)
    (path / "tunes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (path / "manifest.json").write_text(json.dumps({"content_hash": "bench"}))
    return path


def bench_trainer(corpus: Path, preset: str, epochs: int, device: str) -> list[float]:
    """tokens/s per epoch of `folkrnn.train.loop.train`."""
    with tempfile.TemporaryDirectory() as out:
        train(Path(out) / "run", preset=preset, corpus_dir=corpus, epochs=epochs, quiet=True,
              device=device, overrides={"patience": 0})
        lines = (Path(out) / "run" / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["tokens_per_s"] for line in lines]


def bench_bare(corpus: Path, preset: str, epochs: int, device: str,
               batch_size: int | None = None) -> list[float]:
    """tokens/s per epoch of a plain Embedding/one-hot + nn.LSTM + Linear loop."""
    p = PRESETS[preset]
    t = with_overrides(p.train, {"batch_size": batch_size} if batch_size else {})
    records, _ = read_prepared(corpus)
    tok = build_tokenizer("char", [r["text"] for r in records])
    seqs = [np.asarray(tok.encode(x)) for x in split_texts(records, "train")]
    V, dev = len(tok.vocab), torch.device(device)
    torch.manual_seed(0)
    emb = nn.Embedding(V, p.embed).to(dev) if p.embed else None
    lstm = nn.LSTM(p.embed or V, p.hidden, p.layers, batch_first=True, dropout=p.dropout).to(dev)
    head = nn.Linear(p.hidden, V).to(dev)
    params = [*lstm.parameters(), *head.parameters(), *(emb.parameters() if emb else [])]
    opt = torch.optim.Adam(params, lr=t.lr)
    rates = []
    for epoch in range(epochs):
        tokens, t0 = 0, time.perf_counter()
        for b in epoch_batches([len(s) for s in seqs], t.batch_size, t.seed, epoch, t.bucket):
            ids, targets, mask = (x.to(dev) for x in collate([seqs[i] for i in b], tok.eos_id))
            x = emb(ids) if emb else F.one_hot(ids, V).float()
            logits = head(F.dropout(lstm(x)[0], p.dropout))
            nll = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none")
            loss = (nll * mask.flatten()).sum() / mask.sum()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, t.clip)
            opt.step()
            tokens += int(mask.sum())
        if dev.type == "cuda":
            torch.cuda.synchronize()
        rates.append(tokens / (time.perf_counter() - t0))
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="default", choices=sorted(PRESETS))
    ap.add_argument("--corpus", help="a prepared corpus (default: synthetic)")
    ap.add_argument("--tunes", type=int, default=200, help="synthetic corpus size")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default=str(pick_device()))
    ap.add_argument("--batch-sizes", help="comma-separated tunes per batch: bare loop only")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(args.corpus) if args.corpus else synthetic_corpus(Path(tmp), args.tunes)
        if args.batch_sizes:
            return compare_batch_sizes(args, corpus, [int(b) for b in args.batch_sizes.split(",")])
        bare = bench_bare(corpus, args.preset, args.epochs, args.device)
        ours = bench_trainer(corpus, args.preset, args.epochs, args.device)
    mb, mo = statistics.median(bare), statistics.median(ours)
    print(f"preset {args.preset} on {args.device}, {args.epochs} epochs, char tokens")
    print(f"bare nn.LSTM loop   {mb:10.0f} tokens/s  (per epoch: {[round(r) for r in bare]})")
    print(f"folkrnn trainer     {mo:10.0f} tokens/s  (per epoch: {[round(r) for r in ours]})")
    print(f"trainer / bare      {mo / mb:10.3f}")


def compare_batch_sizes(args: argparse.Namespace, corpus: Path, sizes: list[int]) -> None:
    """Bare-loop tokens/s and updates/s for each batch size, on the same tunes."""
    train_texts = split_texts(read_prepared(corpus)[0], "train")
    rates = {b: statistics.median(bench_bare(corpus, args.preset, args.epochs, args.device, b))
             for b in sizes}
    chars = sum(len(t) + 1 for t in train_texts)  # char tokens, with the end mark
    top = rates[max(sizes)]
    print(f"preset {args.preset} on {args.device}, {args.threads} threads, char tokens, bare loop")
    for b in sizes:
        batches = -(-len(train_texts) // b)
        print(f"batch {b:4d}  {rates[b]:9.0f} tokens/s ({rates[b] / top:.2f}x)  "
              f"{rates[b] * batches / chars:6.2f} updates/s")


if __name__ == "__main__":
    main()

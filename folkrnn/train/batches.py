"""Batches: length-bucketed epochs, DDP shares, padding with a loss mask, summed nats.

The order of an epoch depends only on (seed, epoch), so a resumed run sees the
same batches as an uninterrupted one. There is no pad token: padding repeats a
real id and the mask leaves it out of the loss.
"""
from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import torch
import torch.distributed as dist

from folkrnn.abc.timing import SECTION_BARS
from folkrnn.model.lstm import FolkLSTM, masked_nll
from folkrnn.model.positions import input_rows
from folkrnn.tokenize import EOS

# ids [B, T] (or [B, T, 1 + features] with positions), targets [B, T], mask [B, T]
Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def encode(tokenizer: Any, text: str, positions: int = 0) -> np.ndarray:
    """A tune's ids [T]; with `positions` > 0 (the model's `len(feature_names(cfg))`), rows
    [T, 1 + positions]: the id and its first `positions` `model.positions` features.

    Raises:
        TokenizerError: a token outside the vocabulary.
    """
    ids = np.asarray(tokenizer.encode(text), dtype=np.int64)
    if not positions:
        return ids
    return input_rows([tokenizer.vocab[i] for i in ids], tokenizer.index, positions)


LEARN_BAR_LINES = "bar lines"  # a corpus record's `learn`: only its bar lines and end count
BAR_TOKENS = SECTION_BARS | {"|", "|1", "|2", ":|2", "||1"}


def learned_targets(tokenizer: Any, seq: np.ndarray, learn: str | None) -> np.ndarray | None:
    """Which of an encoded tune's targets count in the training loss [T - 1]: None (all) for
    a corpus tune; for a record with `learn: "bar lines"` (the model's own tunes,
    `scripts/self_corpus.py`), only its bar lines and its end. Those teach where a part
    closes and the tune ends, at the places a bar is full (the constraints wrote a bar line
    at every one), without teaching the model its own notes back. The mask is read from
    the targets but equals a mask of contexts: in such a tune a bar line follows every full
    bar and nothing else does."""
    if learn is None:
        return None
    if learn != LEARN_BAR_LINES:
        raise ValueError(f"unknown learn {learn!r}")
    ids = seq[:, 0] if seq.ndim == 2 else seq
    bars = np.array([t in BAR_TOKENS or t == EOS for t in tokenizer.vocab])
    return bars[ids[1:]]


def epoch_batches(lengths: Sequence[int], batch_size: int, seed: int, epoch: int,
                  bucket: int = 20) -> list[list[int]]:
    """Batches of tune indices for one epoch: shuffled, then sorted by length within
    buckets of `bucket` batches (little padding), then the batches shuffled again."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    chunk = batch_size * max(1, bucket)
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk].tolist(), key=lambda i: lengths[i])
        batches += [part[j:j + batch_size] for j in range(0, len(part), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def rank_share(batches: list, rank: int, world: int) -> list:
    """This rank's disjoint share; every rank gets the same count (DDP needs that)."""
    return batches[rank::world][:len(batches) // world]


def collate(seqs: Sequence[np.ndarray], pad_id: int,
            learned: Sequence[np.ndarray | None] | None = None) -> Batch:
    """Pad id sequences into (ids, targets, mask) [B, T]; padding is masked out, and so are
    the targets a tune's `learned` mask (`learned_targets`) leaves out. Rows with positions
    ([T, 1 + features], `encode`) give ids [B, T, 1 + features]."""
    lens = np.array([len(s) for s in seqs])
    arr = np.zeros((len(seqs), lens.max(), *seqs[0].shape[1:]), dtype=np.int64)
    ids = arr if arr.ndim == 2 else arr[..., 0]  # a view: the token column
    ids[:] = pad_id
    for row, s in zip(arr, seqs):
        row[:len(s)] = s
    mask = np.arange(lens.max() - 1)[None, :] < (lens[:, None] - 1)
    for row, keep in zip(mask, learned or ()):
        if keep is not None:
            row[:len(keep)] &= keep
    return (torch.from_numpy(arr[:, :-1].copy()), torch.from_numpy(ids[:, 1:].copy()),
            torch.from_numpy(mask))


def pick_device() -> torch.device:
    """cuda, else mps, else cpu."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def valid_nats(model: FolkLSTM, seqs: Sequence[np.ndarray], pad_id: int, device: torch.device,
               batch_size: int, rank: int = 0, world: int = 1,
               only: torch.Tensor | None = None) -> tuple[float, int]:
    """Summed nats and target count over `seqs` (split between ranks, then all-reduced);
    with `only`, of the targets that are those tokens alone."""
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    total = torch.zeros(2, dtype=torch.float64, device=device)  # nats, targets
    model.eval()
    with torch.no_grad():
        for b in batches[rank::world]:
            ids, targets, mask = (t.to(device) for t in collate([seqs[i] for i in b], pad_id))
            if only is not None:  # count only targets of these tokens ([V] bool)
                mask = mask & only.to(device)[targets]
            logits, _, _ = model(ids)
            total[0] += masked_nll(logits, targets, mask).sum().double()
            total[1] += mask.sum()
    model.train()
    if world > 1:
        dist.all_reduce(total)
    return total[0].item(), int(total[1].item())

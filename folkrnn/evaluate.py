"""Evaluation: nats per token, bits per character and perplexity, for the model and
for an interpolated Kneser-Ney n-gram baseline over the same tokens.

Bits per character divide the total nats by ln 2 and by the characters of the
normalised text plus one per tune (its end), so char and folkrnn tokenizers
compare on one scale. Every target counts: each token after `<s>`, `</s>` included.

    from folkrnn.evaluate import evaluate
    result = evaluate("runs/v2/best", "data/corpus", split="test")
"""
from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import numpy as np
import torch

from .batching import pick_device, valid_nats
from .checkpoint import load_model
from .errors import FolkrnnError
from .model import FolkLSTM
from .train_setup import read_prepared, split_texts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scores:
    """nll: nats per token; bpc: bits per character; perplexity: per token."""

    nll: float
    bpc: float
    perplexity: float
    tokens: int
    chars: int
    tunes: int

    def to_dict(self) -> dict:
        return asdict(self)


def scores(nats: float, tokens: int, chars: int, tunes: int) -> Scores:
    """Scores from summed nats over `tokens` targets of `tunes` tunes of `chars` characters."""
    nll = nats / max(tokens, 1)
    return Scores(nll, nats / math.log(2) / max(chars, 1), math.exp(nll), tokens, chars, tunes)


def text_chars(texts: Iterable[str]) -> int:
    """Characters of the texts, plus one per tune for its end."""
    return sum(len(t) + 1 for t in texts)


def encode_known(tokenizer: Any, texts: Sequence[str]) -> tuple[list[np.ndarray], list[str]]:
    """Encoded tunes and their texts, leaving out (and logging) tunes with unknown tokens."""
    seqs, kept = [], []
    for text in texts:
        try:
            seqs.append(np.asarray(tokenizer.encode(text), dtype=np.int64))
            kept.append(text)
        except FolkrnnError:
            pass
    if len(kept) < len(texts):
        log.warning("left out %d of %d tunes with tokens outside the model's vocabulary",
                    len(texts) - len(kept), len(texts))
    return seqs, kept


def model_scores(model: FolkLSTM, tokenizer: Any, texts: Sequence[str],
                 batch_size: int = 64, device: Optional[torch.device] = None) -> Scores:
    """The model's scores on `texts` (tunes with unknown tokens left out)."""
    seqs, kept = encode_known(tokenizer, texts)
    device = device or next(model.parameters()).device
    nats, n = valid_nats(model, seqs, tokenizer.eos_id, device, batch_size)
    return scores(nats, n, text_chars(kept), len(kept))


# --------------------------------------------------------- Kneser-Ney

class KneserNey:
    """Interpolated Kneser-Ney n-gram model over token ids (Chen & Goodman 1998).

    The top order uses raw counts, lower orders continuation counts, the
    unigram level mixes with the uniform distribution, one discount per order
    and kind (n1 / (n1 + 2 n2) unless `discount` is given). Each tune is padded
    with `<s>` so every target has a full history. n-grams are packed into
    uint64 keys and counted with numpy, so a million tokens take seconds.
    """

    def __init__(self, vocab_size: int, bos_id: int, max_order: int = 8,
                 discount: Optional[float] = None) -> None:
        self.V, self.bos, self.fixed_d = vocab_size, bos_id, discount
        self.bits = max(1, math.ceil(math.log2(vocab_size)))
        self.K = min(max_order, 64 // self.bits)  # keys must fit 64 bits
        if self.K < max_order:
            log.warning("n-gram order capped at %d for a vocabulary of %d", self.K, vocab_size)
        self.raw: dict[int, tuple] = {}   # order -> (keys, counts, ctx keys, ctx totals, ctx types, D)
        self.cont: dict[int, tuple] = {}  # same, from continuation counts

    def windows(self, seqs: Sequence[Sequence[int]]) -> np.ndarray:
        """[M, K] windows: each target (every token after `<s>`) with its K-1 predecessors."""
        pad = np.full(self.K - 1, self.bos, dtype=np.int64)
        rows = []
        for s in seqs:
            padded = np.concatenate([pad, np.asarray(s[1:], dtype=np.int64)])
            rows.append(np.lib.stride_tricks.sliding_window_view(padded, self.K))
        return np.concatenate(rows) if rows else np.zeros((0, self.K), dtype=np.int64)

    def _keys(self, win: np.ndarray, k: int) -> np.ndarray:
        """Packed keys [M] of the last k tokens of each window (the target lowest)."""
        key = np.zeros(len(win), dtype=np.uint64)
        for col in range(self.K - k, self.K):
            key = (key << np.uint64(self.bits)) | win[:, col].astype(np.uint64)
        return key

    def fit(self, seqs: Sequence[Sequence[int]]) -> "KneserNey":
        """Count n-grams of orders 1..K in the (`<s>`-framed) training tunes."""
        win = self.windows(seqs)
        uniq = {k: np.unique(self._keys(win, k), return_counts=True) for k in range(1, self.K + 1)}
        mask_bits = lambda k: np.uint64((1 << (self.bits * k)) - 1)  # noqa: E731
        for k in range(1, self.K + 1):
            self.raw[k] = self._stats(*uniq[k])
            if k < self.K:  # distinct left extensions of each k-gram
                suffix = uniq[k + 1][0] & mask_bits(k)
                self.cont[k] = self._stats(*np.unique(suffix, return_counts=True))
        return self

    def _stats(self, keys: np.ndarray, counts: np.ndarray) -> tuple:
        """Counts grouped by context (keys sorted, so contexts are too)."""
        ctx = keys >> np.uint64(self.bits)
        starts = np.flatnonzero(np.r_[True, ctx[1:] != ctx[:-1]])
        totals = np.add.reduceat(counts, starts) if len(keys) else counts
        types = np.diff(np.r_[starts, len(keys)])
        return keys, counts, ctx[starts], totals, types, self._discount(counts)

    def _discount(self, counts: np.ndarray) -> float:
        if self.fixed_d is not None:
            return self.fixed_d
        n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
        return min(max(n1 / (n1 + 2 * n2), 0.1), 0.95) if n1 + n2 else 0.5

    def probs(self, win: np.ndarray, orders: Iterable[int]) -> dict[int, np.ndarray]:
        """P(target | history) [M] for each order in `orders` (2..K), from [M, K] windows."""
        keys, counts, _, totals, types, d = self.cont[1]
        c = _lookup(keys, counts, self._keys(win, 1))
        lower = {1: (np.maximum(c - d, 0) + d * len(keys) / self.V) / totals.sum()}
        for k in range(2, self.K):
            lower[k] = self._interpolate(self.cont[k], win, k, lower[k - 1])
        return {n: self._interpolate(self.raw[n], win, n, lower[n - 1]) for n in orders}

    def _interpolate(self, stats: tuple, win: np.ndarray, k: int, lower: np.ndarray) -> np.ndarray:
        keys, counts, ctx_keys, totals, types, d = stats
        q = self._keys(win, k)
        c = _lookup(keys, counts, q)
        ctx = q >> np.uint64(self.bits)
        tot, typ = _lookup(ctx_keys, totals, ctx), _lookup(ctx_keys, types, ctx)
        mixed = (np.maximum(c - d, 0) + d * typ * lower) / np.maximum(tot, 1)
        return np.where(tot > 0, mixed, lower)  # unseen history: the lower order alone

    def nats(self, seqs: Sequence[Sequence[int]], orders: Iterable[int]) -> dict[int, float]:
        """Summed -ln P over all targets of `seqs`, per order."""
        return {n: float(-np.log(p).sum()) for n, p in self.probs(self.windows(seqs), orders).items()}


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """values[key] for each query key, 0 where absent (keys sorted)."""
    if len(keys) == 0:
        return np.zeros(len(query), dtype=np.float64)
    idx = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[idx] == query, values[idx], 0).astype(np.float64)


def ngram_scores(train: Sequence[np.ndarray], valid: Sequence[np.ndarray],
                 test: Sequence[np.ndarray], test_chars: int, vocab_size: int, bos_id: int,
                 orders: Sequence[int] = range(3, 9)) -> dict:
    """KN baseline: fit on `train`, pick the order on `valid`, score `test`."""
    lm = KneserNey(vocab_size, bos_id, max(orders)).fit(train)
    orders = [n for n in orders if 2 <= n <= lm.K]
    n_valid = sum(len(s) - 1 for s in valid)
    by_order = {n: v / max(n_valid, 1) for n, v in lm.nats(valid, orders).items()}
    best = min(by_order, key=by_order.get)
    nats = lm.nats(test, [best])[best]
    result = scores(nats, sum(len(s) - 1 for s in test), test_chars, len(test)).to_dict()
    return {"order": best, "valid_nll_by_order": by_order, **result}


# ---------------------------------------------------------------- entry

def evaluate(model_path: str | Path | None = None, corpus_dir: str | Path = "data/corpus",
             split: str = "test", *, ngram: bool = True, batch_size: int = 64,
             device: Optional[str] = None) -> dict:
    """Score a checkpoint (default: the bundled model) and the KN baseline on `split`.

    Returns:
        {"model", "split", "corpus_hash_matches", "scores": Scores dict, "ngram": dict}
    """
    dev = torch.device(device) if device else pick_device()
    ckpt = load_model(model_path, dev)
    records, manifest = read_prepared(corpus_dir)
    texts = split_texts(records, split)
    if not texts:
        raise FolkrnnError(f"the corpus at {corpus_dir} has no {split!r} tunes; "
                           "choose another --split")
    result = {"model": str(ckpt.path), "split": split,
              "corpus_hash_matches": ckpt.meta.get("corpus_hash") == manifest.get("content_hash"),
              "scores": model_scores(ckpt.model, ckpt.tokenizer, texts, batch_size, dev).to_dict()}
    if ngram:
        tok = ckpt.tokenizer
        seqs = {s: encode_known(tok, split_texts(records, s))
                for s in ("train", "valid") if s != split}
        seqs[split] = encode_known(tok, texts)
        result["ngram"] = ngram_scores(seqs["train"][0], seqs["valid"][0], seqs[split][0],
                                       text_chars(seqs[split][1]), len(tok.vocab), tok.bos_id)
    return result

"""Evaluation: nats per token, bits per character and perplexity, for the model and
for an interpolated Kneser-Ney n-gram baseline over the same tokens.

Bits per character divide the total nats by ln 2 and by the characters of the
normalised text plus one per tune (its end), so char and folkrnn tokenizers
compare on one scale. Every target counts: each token after `<s>`, `</s>` included.
The baseline's order is chosen on valid: orders 3, 4, ... in turn, stopping after
the first that does not improve (at most 24; on the bundled corpus the search
stops at 17 with folkrnn tokens and picks 16).

    from folkrnn.train import evaluate
    result = evaluate("runs/v2/best", "data/corpus", split="test")
    result = evaluate()   # the bundled model on data/corpus, else the cached default corpus
"""
from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

import numpy as np
import torch

from folkrnn.corpus.cache import OnPrepare, default_corpus
from folkrnn.errors import FolkrnnError
from folkrnn.model.checkpoint import load_model
from folkrnn.model.lstm import FolkLSTM
from folkrnn.model.positions import feature_names
from folkrnn.tokenize import FORM_PREFIX
from folkrnn.train.batches import encode, pick_device, valid_nats
from folkrnn.train.setup import read_prepared, split_texts

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


def encode_known(tokenizer: Any, texts: Sequence[str], positions: int = 0
                 ) -> tuple[list[np.ndarray], list[str]]:
    """Encoded tunes (`batches.encode`) and their texts, leaving out (and logging) tunes with
    unknown tokens."""
    seqs, kept = [], []
    for text in texts:
        try:
            seqs.append(encode(tokenizer, text, positions))
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
    seqs, kept = encode_known(tokenizer, texts, len(feature_names(model.cfg)))
    device = device or next(model.parameters()).device
    nats, n = valid_nats(model, seqs, tokenizer.eos_id, device, batch_size)
    return scores(nats, n, text_chars(kept), len(kept))


def form_token_cost(model: FolkLSTM, tokenizer: Any, texts: Sequence[str],
                    batch_size: int = 64, device: Optional[torch.device] = None) -> Optional[dict]:
    """What the form tokens (`F:AABB8`) cost of a model's score, None for a vocabulary
    without them. The bits per character count the tune's own characters, as for a model
    without form tokens (the `F:` line is not in the corpus's text), and include the form
    token's nats: the model pays for the form it chooses. `bpc_without` leaves them out.

    Returns:
        {"nats_per_tune", "bpc" (the form tokens' share of bits/char), "bpc_without"}.
    """
    if not getattr(tokenizer, "forms", False):
        return None
    seqs, kept = encode_known(tokenizer, texts, len(feature_names(model.cfg)))
    device = device or next(model.parameters()).device
    only = torch.tensor([t.startswith(FORM_PREFIX) for t in tokenizer.vocab])
    form_nats, n = valid_nats(model, seqs, tokenizer.eos_id, device, batch_size, only=only)
    all_nats, _ = valid_nats(model, seqs, tokenizer.eos_id, device, batch_size)
    chars = text_chars(kept)
    return {"nats_per_tune": form_nats / max(n, 1), "bpc": form_nats / math.log(2) / max(chars, 1),
            "bpc_without": (all_nats - form_nats) / math.log(2) / max(chars, 1)}


# --------------------------------------------------------- Kneser-Ney

class KneserNey:
    """Interpolated Kneser-Ney n-gram model over token ids (Chen & Goodman 1998).

    The top order uses raw counts, lower orders continuation counts, the
    unigram level mixes with the uniform distribution, one discount per order
    and kind (n1 / (n1 + 2 n2) unless `discount` is given). Each tune is padded
    with `<s>` so every target has a full history.

    An n-gram's key is (id of its history) << bits | target, where a history of
    length L is numbered among the training histories of that length by
    interning (id of its last L-1 tokens, the token before them). Keys stay
    below 2^64 at any order, so the order is not limited by the vocabulary.
    Counting is numpy sorting, one order at a time and only when an order is
    first asked for, so a search that stops early never pays for the orders
    above: a million tokens take seconds.
    """

    def __init__(self, vocab_size: int, bos_id: int, max_order: int = 8,
                 discount: Optional[float] = None) -> None:
        if max_order < 2:
            raise FolkrnnError(f"a Kneser-Ney model needs order 2 or more, not {max_order}")
        self.V, self.bos, self.K, self.fixed_d = vocab_size, bos_id, max_order, discount
        self.bits = np.uint64(max(1, math.ceil(math.log2(vocab_size))))
        self.hist: list[np.ndarray] = []  # [L-1]: sorted (history id << bits | token) keys
        self.raw: dict[int, tuple] = {}   # order -> (keys, counts, ctx keys, ctx totals, ctx types, D)
        self.cont: dict[int, tuple] = {}  # same, from continuation counts
        self._counting: Iterator[int] = iter(())

    def _flat(self, seqs: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """The tunes joined, each after K-1 `<s>` in place of its own, and the positions
        of the targets (every token after `<s>`)."""
        pad = np.full(self.K - 1, self.bos, dtype=np.int64)
        parts = [a for s in seqs for a in (pad, np.asarray(s[1:], dtype=np.int64))]
        flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        is_target = np.concatenate([np.r_[np.zeros(len(pad), bool), np.ones(len(s) - 1, bool)]
                                    for s in seqs]) if len(seqs) else np.zeros(0, bool)
        return flat, np.flatnonzero(is_target)

    def windows(self, seqs: Sequence[Sequence[int]]) -> np.ndarray:
        """[M, K] windows: each target (every token after `<s>`) with its K-1 predecessors."""
        flat, pos = self._flat(seqs)
        return flat[pos[:, None] + np.arange(1 - self.K, 1)]

    def _keys(self, back: Callable[[int], np.ndarray], learn: bool = False
              ) -> Iterator[np.ndarray]:
        """Keys [M] of the 1-, 2-, ..., K-grams ending at each target, where back(j) are
        the tokens j before the targets. With `learn`, number the histories afresh;
        else histories unseen in training get an id past the last, so match nothing."""
        target = back(0).astype(np.uint64)
        h = np.zeros(len(target), dtype=np.uint64)  # the empty history
        for k in range(1, self.K + 1):
            yield (h << self.bits) | target
            if k == self.K:
                return
            pair = (h << self.bits) | back(k).astype(np.uint64)
            if learn:
                table, h = np.unique(pair, return_inverse=True)
                self.hist.append(table)
                h = h.astype(np.uint64).reshape(-1)
            else:
                h = _index(self.hist[k - 1], pair)

    def fit(self, seqs: Sequence[Sequence[int]]) -> "KneserNey":
        """Take the (`<s>`-framed) training tunes; orders are counted when first used."""
        flat, pos = self._flat(seqs)
        self.hist, self.raw, self.cont = [], {}, {}
        self._counting = self._count(self._keys(lambda j: flat[pos - j], learn=True))
        return self

    def _count(self, keys_by_order: Iterator[np.ndarray]) -> Iterator[int]:
        """Count order k (raw[k], and cont[k-1] from the k-grams' suffixes); yield k."""
        prev = None
        for k, keys in enumerate(keys_by_order, start=1):
            uniq, first, counts = np.unique(keys, return_index=True, return_counts=True)
            self.raw[k] = self._stats(uniq, counts)
            if prev is not None:  # distinct left extensions of each (k-1)-gram
                self.cont[k - 1] = self._stats(*np.unique(prev[first], return_counts=True))
            prev = keys
            yield k

    def _counted(self, k: int) -> None:
        """Count every order up to k (at most K) that is not counted yet."""
        while min(k, self.K) not in self.raw:
            if next(self._counting, None) is None:
                raise FolkrnnError("the Kneser-Ney model has no training data; call fit()")

    def _stats(self, keys: np.ndarray, counts: np.ndarray) -> tuple:
        """Counts grouped by context (keys sorted, so contexts are too); int32 to save memory."""
        counts = counts.astype(np.int32)
        ctx = keys >> self.bits
        starts = np.flatnonzero(np.r_[True, ctx[1:] != ctx[:-1]])
        totals = np.add.reduceat(counts, starts) if len(keys) else counts
        types = np.diff(np.r_[starts, len(keys)]).astype(np.int32)
        return keys, counts, ctx[starts], totals, types, self._discount(counts)

    def _discount(self, counts: np.ndarray) -> float:
        if self.fixed_d is not None:
            return self.fixed_d
        n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
        return min(max(n1 / (n1 + 2 * n2), 0.1), 0.95) if n1 + n2 else 0.5

    def iter_probs(self, win: np.ndarray, max_order: Optional[int] = None
                   ) -> Iterator[tuple[int, np.ndarray]]:
        """(n, P(target | history) [M]) for n = 2..max_order (default K), from [M, K]
        windows; each order is counted and scored only when the caller asks for it."""
        keys = self._keys(lambda j: win[:, -1 - j])
        self._counted(2)
        q = next(keys)
        ckeys, counts, _, totals, _, d = self.cont[1]
        c = _lookup(ckeys, counts, q)
        lower = (np.maximum(c - d, 0) + d * len(ckeys) / self.V) / totals.sum()
        top = min(max_order or self.K, self.K)
        for n, q in zip(range(2, top + 1), keys):
            yield n, self._interpolate(self.raw[n], q, lower)
            if n < top:
                self._counted(n + 1)  # cont[n] comes with the (n+1)-grams
                lower = self._interpolate(self.cont[n], q, lower)

    def probs(self, win: np.ndarray, orders: Iterable[int]) -> dict[int, np.ndarray]:
        """P(target | history) [M] for each order in `orders` (2..K), from [M, K] windows."""
        orders = set(orders)
        return {n: p for n, p in self.iter_probs(win, max(orders)) if n in orders}

    def _interpolate(self, stats: tuple, q: np.ndarray, lower: np.ndarray) -> np.ndarray:
        keys, counts, ctx_keys, totals, types, d = stats
        c = _lookup(keys, counts, q)
        ctx = q >> self.bits
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


def _index(keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Position of each query key in sorted `keys`; len(keys) where absent."""
    if len(keys) == 0:
        return np.zeros(len(query), dtype=np.uint64)
    idx = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[idx] == query, idx, len(keys)).astype(np.uint64)


def until_no_gain(nll_by_order: Iterable[tuple[int, float]]) -> dict[int, float]:
    """(order, valid nll) pairs, taken lazily in the given (increasing) order up to and
    including the first that is no better than the best before it."""
    taken: dict[int, float] = {}
    for n, nll in nll_by_order:
        gain = not taken or nll < min(taken.values())
        taken[n] = nll
        if not gain:
            break
    return taken


def search_order(lm: KneserNey, valid: Sequence[Sequence[int]],
                 orders: Sequence[int]) -> dict[int, float]:
    """Valid nats/token of `orders` in increasing order, until one does not improve."""
    n_valid, wanted = max(sum(len(s) - 1 for s in valid), 1), set(orders)
    nlls = ((n, float(-np.log(p).sum()) / n_valid)
            for n, p in lm.iter_probs(lm.windows(valid), max(wanted)) if n in wanted)
    return until_no_gain(nlls)


def ngram_scores(train: Sequence[np.ndarray], valid: Sequence[np.ndarray],
                 test: Sequence[np.ndarray], test_chars: int, vocab_size: int, bos_id: int,
                 orders: Sequence[int] = range(3, 25)) -> dict:
    """KN baseline: fit on `train`, pick the order on `valid` (`search_order`: orders in
    turn until one does not improve; 24 is a bound, not a target), score `test`."""
    lm = KneserNey(vocab_size, bos_id, max(orders)).fit(train)
    by_order = search_order(lm, valid, [n for n in orders if n >= 2])
    best = min(by_order, key=by_order.get)
    nats = lm.nats(test, [best])[best]
    result = scores(nats, sum(len(s) - 1 for s in test), test_chars, len(test)).to_dict()
    return {"order": best, "valid_nll_by_order": by_order, **result}


# ---------------------------------------------------------------- entry

def tunes_differ(trained: list[dict], records: list[dict]) -> Optional[int]:
    """How many tunes (by id) differ in text or split between the corpus a model saved beside
    itself and `records`, or are in one only; None when the model saved none."""
    if not trained:
        return None
    old = {t["id"]: (t["text"], t.get("split")) for t in trained}
    new = {r["id"]: (r["text"], r.get("split")) for r in records}
    return sum(old.get(k) != new.get(k) for k in old.keys() | new.keys())


def evaluate(model_path: str | Path | None = None, corpus_dir: str | Path | None = None,
             split: str = "test", *, ngram: bool = True, batch_size: int = 64,
             device: Optional[str] = None, on_prepare: Optional[OnPrepare] = None) -> dict:
    """Score a checkpoint (default: the bundled model) and the KN baseline on `split` of
    the prepared corpus `corpus_dir` (None: `corpus.default_corpus()`, which prepares the
    default corpus into the cache once when `data/corpus` holds none, calling `on_prepare`
    first).

    Returns:
        {"model", "split", "corpus_hash_matches", "scores": Scores dict, "ngram": dict}
    """
    dev = torch.device(device) if device else pick_device()
    ckpt = load_model(model_path, dev)
    corpus_dir = corpus_dir if corpus_dir is not None else default_corpus(on_prepare)
    records, manifest = read_prepared(corpus_dir)
    texts = split_texts(records, split)
    if not texts:
        raise FolkrnnError(f"the corpus at {corpus_dir} has no {split!r} tunes; "
                           "choose another --split")
    matches = ckpt.meta.get("corpus_hash") == manifest.get("content_hash")
    result = {"model": str(ckpt.path), "split": split, "corpus_hash_matches": matches,
              "scores": model_scores(ckpt.model, ckpt.tokenizer, texts, batch_size, dev).to_dict()}
    form = form_token_cost(ckpt.model, ckpt.tokenizer, texts, batch_size, dev)
    if form is not None:
        result["form_token"] = form
    if not matches:
        result["corpus_tunes_differ"] = tunes_differ(ckpt.training_tunes(), records)
    if ngram:
        tok = ckpt.tokenizer
        seqs = {s: encode_known(tok, split_texts(records, s))
                for s in ("train", "valid") if s != split}
        seqs[split] = encode_known(tok, texts)
        result["ngram"] = ngram_scores(seqs["train"][0], seqs["valid"][0], seqs[split][0],
                                       text_chars(seqs[split][1]), len(tok.vocab), tok.bos_id)
    return result

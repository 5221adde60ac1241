"""Sampling strategies: small pure functions over a batch of logits [B, V].

Randomness is counter-based (`Draws`): the uniform tune k draws at step t is a hash of
(seed, k, t), made for the whole batch at once with no loop over tunes, so a tune's
draws never depend on which other tunes share its batch, its process or its order.
(folkrnn 0.1 drew from one `torch.Generator` a tune: the same seeds give other tunes
since 0.2.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

NEG_INF = float("-inf")


@dataclass(frozen=True)
class SamplingOptions:
    """How to pick the next token: greedy, or sampling with temperature, top-k and top-p."""

    greedy: bool = False
    temperature: float = 1.0
    top_k: int = 0  # 0: off
    top_p: float = 1.0  # 1.0: off

    def __post_init__(self) -> None:
        if not 0 < self.temperature < float("inf"):  # NaN fails too
            raise ValueError("temperature must be above 0 and finite (use greedy for the most "
                             "likely token)")
        if not 0 < self.top_p <= 1:
            raise ValueError("top-p must be in (0, 1]")
        if self.top_k < 0:
            raise ValueError("top-k must be 0 (off) or more")


def masked(logits: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """Logits [B, V] with the disallowed tokens at -inf."""
    return logits.masked_fill(~allowed, NEG_INF)


def top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of each row."""
    if k <= 0 or k >= logits.shape[-1]:
        return logits
    kth = logits.topk(k, dim=-1).values[:, -1:]  # [B, 1]
    return logits.masked_fill(logits < kth, NEG_INF)


def top_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Keep the smallest set of tokens whose probability reaches p (nucleus sampling)."""
    if p >= 1.0:
        return logits
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = sorted_logits.softmax(-1)
    # drop a token when the mass before it already reaches p (the first is always kept)
    drop = probs.cumsum(-1) - probs >= p
    sorted_logits = sorted_logits.masked_fill(drop, NEG_INF)
    return torch.full_like(logits, NEG_INF).scatter(-1, order, sorted_logits)


def choose(logits: torch.Tensor, opts: SamplingOptions, u: torch.Tensor | None) -> torch.Tensor:
    """Next token ids [B] from logits [B, V]; `u`: each row's uniform in [0, 1) [B]
    (`Draws.uniform`; None when greedy)."""
    if opts.greedy:
        return logits.argmax(-1)
    logits = top_p(top_k(logits / opts.temperature, opts.top_k), opts.top_p)
    probs = logits.float().softmax(-1)  # [B, V]
    cdf = probs.cumsum(-1)
    ids = torch.searchsorted(cdf, (u * cdf[:, -1])[:, None], right=True).squeeze(-1)
    return ids.clamp(max=logits.shape[-1] - 1)


_M64 = (1 << 64) - 1
_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # splitmix64's increment (2^64 / golden ratio)
_GAMMA2 = np.uint64(0xD1B54A32D192ED03)  # another odd constant, for the tune's key


class Draws:
    """The uniforms of tunes `numbers` in a run seeded with `seed`: tune k's draw at step t
    is mix(key_k + (t + 1) * gamma), key_k = mix(mix(seed) + (k + 1) * gamma'), with mix
    splitmix64's finaliser — a function of (seed, k, t) alone, made for a whole batch in a
    few array operations."""

    def __init__(self, seed: int, numbers: list[int]) -> None:
        self.numbers = list(numbers)
        base = _mix(np.asarray([seed & _M64], dtype=np.uint64))
        k = np.asarray([n & _M64 for n in self.numbers], dtype=np.uint64) + np.uint64(1)
        self.keys = _mix(base + k * _GAMMA2)  # [N]

    def uniform(self, rows: list[int], steps: list[int]) -> torch.Tensor:
        """Float32 uniforms in [0, 1) [len(rows)]: tune `numbers[rows[r]]` at step `steps[r]`."""
        t = np.asarray(steps, dtype=np.uint64) + np.uint64(1)
        bits = _mix(self.keys[np.asarray(rows, dtype=np.int64)] + t * _GAMMA)
        return torch.from_numpy((bits >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24))


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise on uint64 (arithmetic modulo 2^64)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))

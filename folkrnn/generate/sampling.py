"""Sampling strategies: small pure functions over a batch of logits [B, V].

Randomness comes from one `torch.Generator` per tune, so a tune's draws do not
depend on which other tunes share its batch.
"""
from __future__ import annotations

from dataclasses import dataclass

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


def choose(logits: torch.Tensor, opts: SamplingOptions,
           generators: list[torch.Generator]) -> torch.Tensor:
    """Next token ids [B] from logits [B, V]."""
    if opts.greedy:
        return logits.argmax(-1)
    logits = top_p(top_k(logits / opts.temperature, opts.top_k), opts.top_p)
    probs = logits.float().softmax(-1)  # [B, V]
    # one uniform per row from that row's own generator: batch-independent draws
    u = torch.stack([torch.rand((), generator=g) for g in generators])  # [B]
    cdf = probs.cumsum(-1)
    ids = torch.searchsorted(cdf, (u * cdf[:, -1])[:, None], right=True).squeeze(-1)
    return ids.clamp(max=logits.shape[-1] - 1)


def tune_generator(seed: int, index: int) -> torch.Generator:
    """The generator of tune `index` in a run seeded with `seed`."""
    g = torch.Generator()
    g.manual_seed((seed * 1_000_003 + index) % (2**63))
    return g

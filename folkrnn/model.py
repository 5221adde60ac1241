"""The LSTM language model over ABC tokens, its config and the training presets.

No I/O and no printing here: `checkpoint` saves and loads, `train` trains.

    cfg = ModelConfig(vocab_size=137, layers=3, hidden=512, embed=0, dropout=0.5)
    model = FolkLSTM(cfg)
    logits, loss, state = model(ids, targets, mask)      # ids [B, T]
    logits, state = model.step(last_ids, state)          # last_ids [B]
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

# (h, c), each [layers, B, hidden]
State = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the network.

    Args:
        vocab_size: number of tokens (the tokenizer's vocabulary).
        layers: stacked LSTM layers.
        hidden: units per LSTM layer.
        embed: embedding width; 0 feeds one-hot vectors, as folk-rnn v2 did.
        dropout: dropout after every LSTM layer (and after the embedding).
    """

    vocab_size: int
    layers: int = 2
    hidden: int = 256
    embed: int = 64
    dropout: float = 0.3

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        return cls(**_known_fields(cls, d))


@dataclass(frozen=True)
class TrainConfig:
    """How to train.

    Args:
        optimizer: "adam" or "rmsprop".
        lr: initial learning rate.
        batch_size: tunes per batch (per process under DDP).
        clip: max gradient norm (0 = no clipping).
        lr_decay: factor applied once per epoch after `decay_after` epochs.
        decay_after: epochs run at the full rate; epoch `decay_after` (0-based)
            is the first to run at `lr * lr_decay`.
        max_epochs: epochs at most.
        patience: stop after this many epochs without a better valid loss (0 = never).
        seed: seeds the init, the data order and dropout.
        bucket: batches drawn per length-sorted bucket (more = less padding, less shuffling).
    """

    optimizer: str = "adam"
    lr: float = 2e-3
    batch_size: int = 64
    clip: float = 5.0
    lr_decay: float = 1.0
    decay_after: int = 0
    max_epochs: int = 50
    patience: int = 5
    seed: int = 0
    bucket: int = 20

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        return cls(**_known_fields(cls, d))


def lr_at(cfg: TrainConfig, epoch: int) -> float:
    """The learning rate of 0-based `epoch`: full for `decay_after` epochs, then x lr_decay each."""
    return cfg.lr * cfg.lr_decay ** max(0, epoch - cfg.decay_after + 1)


@dataclass(frozen=True)
class Preset:
    """A named model shape plus its training config; the vocabulary comes later."""

    layers: int
    hidden: int
    embed: int
    dropout: float
    train: TrainConfig = field(default_factory=TrainConfig)

    def model_config(self, vocab_size: int) -> ModelConfig:
        return ModelConfig(vocab_size, self.layers, self.hidden, self.embed, self.dropout)


PRESETS: dict[str, Preset] = {
    # Sturm et al. 2016: one-hot input, 3x512 LSTM, dropout 0.5, RMSprop 0.003,
    # batch 64, clip 5, lr x0.97 per epoch after epoch 20. It had no early stopping.
    "folkrnn-v2": Preset(layers=3, hidden=512, embed=0, dropout=0.5, train=TrainConfig(
        optimizer="rmsprop", lr=0.003, batch_size=64, clip=5.0, lr_decay=0.97,
        decay_after=20, max_epochs=100, patience=0)),
    # Chosen by scripts/choose_default.py: the best valid loss after about an hour on
    # 2 CPU cores (89 min on one thread each, side by side) of 2x384/dropout 0.3 against
    # 2x256/dropout 0.2, both in batches of 16 tunes (as many tokens/s as 64 on a CPU,
    # and 4x the updates). Session 1's 2x256 in batches of 64 was far behind.
    "default": Preset(layers=2, hidden=384, embed=64, dropout=0.3, train=TrainConfig(
        optimizer="adam", lr=2e-3, batch_size=16, clip=5.0, lr_decay=0.95,
        decay_after=8, max_epochs=60, patience=5)),
    # A few seconds on a CPU: smoke tests and benchmarks, not music.
    "tiny": Preset(layers=1, hidden=32, embed=16, dropout=0.0, train=TrainConfig(
        optimizer="adam", lr=1e-2, batch_size=8, max_epochs=20, patience=3)),
}


def _known_fields(cls: type, d: dict) -> dict[str, Any]:
    """The entries of `d` that are fields of dataclass `cls` (unknown keys raise TypeError)."""
    names = {f.name for f in fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise TypeError(f"unknown {cls.__name__} fields: {sorted(unknown)}")
    return dict(d)


def with_overrides(cfg, overrides: dict[str, Any]):
    """A copy of dataclass `cfg` with the overrides that name its fields."""
    names = {f.name for f in fields(cfg)}
    return replace(cfg, **{k: v for k, v in overrides.items() if k in names})


class FolkLSTM(nn.Module):
    """Stacked LSTM language model: tokens -> (embedding | one-hot) -> LSTM -> logits."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embed) if cfg.embed else None
        self.lstm = nn.LSTM(cfg.embed or cfg.vocab_size, cfg.hidden, cfg.layers,
                            batch_first=True, dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        # nn.LSTM drops out between layers only; this one follows the last layer,
        # so every layer is followed by dropout as in folk-rnn v2
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden, cfg.vocab_size)

    def _inputs(self, ids: torch.Tensor) -> torch.Tensor:
        if self.embed is None:
            return F.one_hot(ids, self.cfg.vocab_size).to(self.head.weight.dtype)  # [B, T, V]
        return self.drop(self.embed(ids))  # [B, T, E]

    def forward(self, ids: torch.Tensor, targets: Optional[torch.Tensor] = None,
                mask: Optional[torch.Tensor] = None, state: Optional[State] = None,
                ) -> tuple[torch.Tensor, Optional[torch.Tensor], State]:
        """Logits for every position, and the loss when `targets` are given.

        Args:
            ids: [B, T] token ids.
            targets: [B, T] next-token ids, or None.
            mask: [B, T] bool, True where a target counts (padding False); None = all count.
            state: (h, c) to continue from, or None for zeros.
        Returns:
            logits [B, T, V]; loss (mean cross-entropy in nats over counted targets) or None;
            the final state.
        """
        out, state = self.lstm(self._inputs(ids), state)  # out [B, T, H]
        logits = self.head(self.drop(out))  # [B, T, V]
        loss = None
        if targets is not None:
            loss = masked_nll(logits, targets, mask).sum() / _count(targets, mask)
        return logits, loss, state

    @torch.no_grad()
    def step(self, ids: torch.Tensor, state: Optional[State] = None
             ) -> tuple[torch.Tensor, State]:
        """One generation step: ids [B] -> logits [B, V] and the new state."""
        logits, _, state = self.forward(ids[:, None], state=state)
        return logits[:, 0], state


def masked_nll(logits: torch.Tensor, targets: torch.Tensor,
               mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Per-position negative log-likelihood [B, T] in nats, zero where `mask` is False."""
    nll = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none")
    nll = nll.view(targets.shape)  # [B, T]
    return nll if mask is None else nll * mask


def _count(targets: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor | int:
    # clamp: an all-padding batch gives loss 0, not NaN
    return targets.numel() if mask is None else mask.sum().clamp(min=1)

"""The model's shape and training settings, and the named presets (no torch here).

Frozen dataclasses, saved inside every checkpoint as plain JSON.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the network.

    Args:
        vocab_size: number of tokens (the tokenizer's vocabulary).
        layers: stacked LSTM layers.
        hidden: units per LSTM layer.
        embed: embedding width; 0 feeds one-hot vectors, as folk-rnn v2 did.
        dropout: dropout after every LSTM layer (and after the embedding).
        positions: each token's place in the tune (bar in the part, beat, part, the tokens
            four and eight bars back: `model.positions`) as inputs beside it; folkrnn tokens
            only, and an embedding.
        plan: with `positions`, also what the tune's form token says of the part being
            written (bars left, repeated, last: the `plan` input of `model.positions`).
    """

    vocab_size: int
    layers: int = 2
    hidden: int = 256
    embed: int = 64
    dropout: float = 0.3
    positions: bool = False
    plan: bool = False

    def to_dict(self) -> dict:
        """As plain JSON; `positions` and `plan` only when on, so older checkpoints' configs
        read the same."""
        d = asdict(self)
        for name in ("positions", "plan"):
            if not d[name]:
                del d[name]
        return d

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
        plan_lr: the plan input's table (`ModelConfig.plan`) learns at this multiple of the
            rate: added at zero to a trained model, it has all to learn and little time.
        close_weight: with the plan input, the targets of a part's last bar (the plan says
            one bar left) count this many times in the training loss: the bar line that
            closes a part, the one choice that keeps the form, comes about twice a tune.
            The weight depends only on the context, never on the target, so the best
            model is the same; the reported losses stay unweighted.
        even_tokens: every target token weighs the same in every batch: a batch's summed loss
            is divided by the targets a batch holds on average (`batch_size` times the train
            tunes' mean), not by its own count. Batches are length-sorted, so their own count
            weighs a short tune's tokens more than a long one's (a 6/8 tune's 154 tokens each
            1.5 times a 2/4 tune's 234): default-v3 and v4 so trained wrote 6/8 in 34% of
            their tunes and 2/4 in 14-17%, against the train split's 29% and 21%. The last
            two rounds of default-v5 set it (`scripts/train_default.py`); off by default, so
            the presets train as they did.
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
    plan_lr: float = 1.0
    close_weight: float = 1.0
    even_tokens: bool = False

    def to_dict(self) -> dict:
        """As plain JSON; `plan_lr` and `close_weight` only when not 1 and `even_tokens` only
        when true, so older checkpoints' configs read the same."""
        d = asdict(self)
        for name, plain in (("plan_lr", 1.0), ("close_weight", 1.0), ("even_tokens", False)):
            if d[name] == plain:
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        return cls(**_known_fields(cls, d))


def lr_at(cfg: TrainConfig, epoch: int) -> float:
    """The learning rate of 0-based `epoch`: full for `decay_after` epochs, then x lr_decay each."""
    return cfg.lr * cfg.lr_decay ** max(0, epoch - cfg.decay_after + 1)


@dataclass(frozen=True)
class Preset:
    """A named model shape plus its training config; the vocabulary comes later.

    `forms`: the tokenizer has form tokens (`F:AABB8`); `positions`, `plan`: as in
    `ModelConfig`. They need folkrnn tokens and are off for a char model."""

    layers: int
    hidden: int
    embed: int
    dropout: float
    train: TrainConfig = field(default_factory=TrainConfig)
    forms: bool = False
    positions: bool = False
    plan: bool = False

    def model_config(self, vocab_size: int) -> ModelConfig:
        return ModelConfig(vocab_size, self.layers, self.hidden, self.embed, self.dropout,
                           self.positions, self.plan)


PRESETS: dict[str, Preset] = {
    # Sturm et al. 2016: one-hot input, 3x512 LSTM, dropout 0.5, RMSprop 0.003,
    # batch 64, clip 5, lr x0.97 per epoch after epoch 20. It had no early stopping.
    "folkrnn-v2": Preset(layers=3, hidden=512, embed=0, dropout=0.5, train=TrainConfig(
        optimizer="rmsprop", lr=0.003, batch_size=64, clip=5.0, lr_decay=0.97,
        decay_after=20, max_epochs=100, patience=0)),
    # The model bundled before form tokens: the best valid loss after about an hour of
    # 2 CPU cores among the candidates of scripts/choose_default.py. Batches of 16 tunes:
    # on a CPU they train as many tokens/s as batches of 64, with 4x the updates
    # (scripts/bench_train.py --batch-sizes).
    "default-v1": Preset(layers=2, hidden=384, embed=64, dropout=0.3, train=TrainConfig(
        optimizer="adam", lr=2e-3, batch_size=16, clip=5.0, lr_decay=0.95,
        decay_after=8, max_epochs=60, patience=5)),
    # default-v1's shape with form tokens and position inputs, warm-started from the
    # default-v1 model (`folkrnn train --init-from`): a lower rate, decaying soon, as it
    # starts near a minimum of the model it grew from. Bundled before the plan input.
    "default-v2": Preset(layers=2, hidden=384, embed=64, dropout=0.3, forms=True, positions=True,
                         train=TrainConfig(optimizer="adam", lr=1e-3, batch_size=16, clip=5.0,
                                           lr_decay=0.85, decay_after=2, max_epochs=40, patience=3)),
    # default-v2 with the plan input (what the form token says of the part being written),
    # warm-started from the default-v2 model (scripts/train_default.py): half its rate, and
    # 20x that for the new plan table (at 1x its weights' norm reached 1.2 in 3 epochs, where
    # the trained copy tables' are 7 to 9, and the model closed parts no more often).
    "default": Preset(layers=2, hidden=384, embed=64, dropout=0.3, forms=True, positions=True,
                      plan=True, train=TrainConfig(optimizer="adam", lr=5e-4, batch_size=16,
                                                   clip=5.0, lr_decay=0.85, decay_after=1,
                                                   max_epochs=30, patience=2, plan_lr=20.0)),
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

"""Setting up a training run: the prepared corpus, the configs, the model and its
optimizer (fresh, or from `out/last` when resuming) and the process group.

    st = setup(out, "default", "char", "data/corpus", {}, resume=False, device=dev)
    run = make_run(st, out, dev, rank=0, world=1, quiet=True)
"""
from __future__ import annotations

import functools
import itertools
import logging
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from folkrnn.corpus.prepare import load_manifest, load_prepared
from folkrnn.errors import CheckpointError, FolkrnnError
from folkrnn.model.checkpoint import load_model
from folkrnn.model.config import PRESETS, ModelConfig, Preset, TrainConfig, with_overrides
from folkrnn.model.lstm import FolkLSTM
from folkrnn.model.positions import feature_names
from folkrnn.tokenize import build_tokenizer
from folkrnn.train.batches import encode, learned_targets
from folkrnn.train.state import restore_rng
from folkrnn.train.warm import warm_start

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ data

def read_prepared(corpus_dir: str | Path) -> tuple[list[dict], dict]:
    """Records (id, split, text, ...) and manifest of a corpus written by `folkrnn.corpus`."""
    records = load_prepared(corpus_dir)
    manifest = Path(corpus_dir) / "manifest.json"
    return records, (load_manifest(corpus_dir) if manifest.is_file() else {})


def split_texts(records: Sequence[dict], split: str) -> list[str]:
    """Texts of the tunes in `split`."""
    return [r["text"] for r in records if r["split"] == split]


def _encode(tokenizer: Any, texts: Sequence[str], positions: int) -> list[np.ndarray]:
    return [encode(tokenizer, t, positions) for t in texts]


# ------------------------------------------------------------ run state

@dataclass
class Run:
    """Everything the loop needs; `progress` is what `last/` checkpoints."""

    out: Path
    model: FolkLSTM
    net: torch.nn.Module  # the model, or its DDP wrapper
    opt: torch.optim.Optimizer
    tokenizer: Any
    tcfg: TrainConfig
    device: torch.device
    train_seqs: list[np.ndarray]
    valid_seqs: list[np.ndarray]
    valid_chars: int
    corpus_hash: str
    preset: str
    rank: int = 0
    world: int = 1
    quiet: bool = False
    progress: dict = field(default_factory=dict)
    train_learned: list = field(default_factory=list)  # per train tune: `learned_targets`

    @property
    def writer(self) -> bool:
        return self.rank == 0

    @functools.cached_property
    def batch_targets(self) -> float:
        """The targets a batch holds on average: `batch_size` times the train tunes' mean count
        (the learned ones only, for a tune with `learned_targets`)."""
        counts = [len(s) - 1 if keep is None else int(keep.sum())
                  for s, keep in itertools.zip_longest(self.train_seqs, self.train_learned)]
        return self.tcfg.batch_size * max(1.0, sum(counts) / max(1, len(counts)))


def new_progress() -> dict:
    """The progress of a run that has not trained yet."""
    return {"epoch": 0, "batch": 0, "step": 0, "best_valid": None, "best_epoch": -1,
            "bad_epochs": 0, "epoch_nats": 0.0, "epoch_tokens": 0, "elapsed_s": 0.0,
            "history": []}


def make_optimizer(tcfg: TrainConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    """Adam, or RMSprop with folk-rnn's (Lasagne's) rho 0.9 and epsilon 1e-6. Each parameter
    group carries its `scale` of the epoch's rate: `tcfg.plan_lr` for the plan table."""
    plan = _plan_table(model) if tcfg.plan_lr != 1.0 else None
    rest = [p for p in model.parameters() if p is not plan]
    groups = [{"params": rest, "scale": 1.0}]
    if plan is not None:
        groups.append({"params": [plan], "scale": tcfg.plan_lr, "lr": tcfg.lr * tcfg.plan_lr})
    if tcfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=tcfg.lr)
    if tcfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(groups, lr=tcfg.lr, alpha=0.9, eps=1e-6)
    raise FolkrnnError(f"unknown optimizer {tcfg.optimizer!r}; use adam or rmsprop")


def _preset(preset: str) -> Preset:
    if preset not in PRESETS:
        raise FolkrnnError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    return PRESETS[preset]


def _plan_table(model: torch.nn.Module) -> torch.nn.Parameter | None:
    names = feature_names(model.cfg)
    return model.where[names.index("plan")].weight if "plan" in names else None


def _configs(preset: str, vocab_size: int, overrides: dict, tokenizer_kind: str
             ) -> tuple[ModelConfig, TrainConfig]:
    p = _preset(preset)
    cfg, tcfg = p.model_config(vocab_size), p.train
    if tokenizer_kind != "folkrnn":  # positions are counted on folkrnn tokens
        cfg = replace(cfg, positions=False, plan=False)
    unknown = set(overrides) - {f.name for f in fields(cfg)} - {f.name for f in fields(tcfg)}
    if unknown:
        raise FolkrnnError(f"unknown settings {sorted(unknown)} for preset {preset!r}")
    return with_overrides(cfg, overrides), with_overrides(tcfg, overrides)


# ------------------------------------------------------- fresh or resumed

def setup(out: Path, preset: str, tokenizer_kind: str, corpus_dir: str | Path,
          overrides: dict, resume: bool, device: torch.device,
          init_from: str | Path | None = None) -> dict:
    """Model, optimizer, configs and progress: fresh (its weights copied from the checkpoint
    `init_from` where they fit: `warm.warm_start`), or from `out/last` when resuming."""
    records, manifest = read_prepared(corpus_dir)
    corpus_hash = manifest.get("content_hash", "")
    last = out / "last"
    has_last = any((d / "checkpoint.json").is_file() for d in (last, out / "last.old"))
    if has_last and not resume:
        raise FolkrnnError(f"{out} already holds a run; pass --resume to continue it "
                           "or choose another --out")
    if has_last:
        return _from_checkpoint(last, records, corpus_hash, overrides, device)
    if resume:
        log.info("nothing to resume in %s; starting a new run", out)
    texts = [r["text"] for r in records]
    forms = _preset(preset).forms and tokenizer_kind == "folkrnn"
    # all splits, so valid/test encode
    tokenizer = build_tokenizer(tokenizer_kind, texts, forms=forms)
    cfg, tcfg = _configs(preset, len(tokenizer.vocab), overrides, tokenizer_kind)
    torch.manual_seed(tcfg.seed)  # the initial weights
    model = FolkLSTM(cfg).to(device)
    if init_from is not None:
        warm_start(model, tokenizer, load_model(init_from, device))
    return dict(model=model, tokenizer=tokenizer, tcfg=tcfg, progress=new_progress(),
                records=records, corpus_hash=corpus_hash, preset=preset, opt_state=None)


def _from_checkpoint(last: Path, records: list[dict], corpus_hash: str, overrides: dict,
                     device: torch.device) -> dict:
    ckpt = load_model(last, device, train_state=True)
    if ckpt.meta.get("corpus_hash", "") != corpus_hash:
        raise CheckpointError(f"the corpus changed since {last} was written; resume with the "
                              "same --corpus or start a new run")
    if ckpt.train_config is None or "optimizer" not in ckpt.meta:
        raise CheckpointError(f"{last} cannot be resumed (no training state); start a new run")
    try:  # every setting it was trained with, or the run would go on another way
        TrainConfig.from_dict(ckpt.meta["train_config"])
    except TypeError as err:
        raise CheckpointError(f"{last} was trained with settings this folkrnn does not know "
                              f"({err}); resume it with the folkrnn that wrote it "
                              f"({ckpt.meta.get('folkrnn_version')}) or start a new run") from None
    restore_rng(ckpt.meta.get("rng", {}), ckpt.train_tensors)
    tcfg = with_overrides(ckpt.train_config, {k: v for k, v in overrides.items()
                                              if k in ("max_epochs", "patience")})
    return dict(model=ckpt.model.train(), tokenizer=ckpt.tokenizer, tcfg=tcfg,
                progress=ckpt.progress, records=records, corpus_hash=corpus_hash,
                preset=ckpt.meta.get("preset", ""), opt_state=ckpt.optimizer_state())


def make_run(st: dict, out: Path, device: torch.device, rank: int, world: int,
             quiet: bool) -> Run:
    """The Run from `setup`'s state: optimizer restored, DDP-wrapped when world > 1."""
    model, tok, records = st["model"].to(device), st["tokenizer"], st["records"]
    opt = make_optimizer(st["tcfg"], model)
    if st["opt_state"] is not None:
        opt.load_state_dict(st["opt_state"])
    train_texts, valid_texts = split_texts(records, "train"), split_texts(records, "valid")
    if not train_texts or not valid_texts:
        raise FolkrnnError("the corpus needs tunes in both the train and valid splits; "
                           "prepare it again with `folkrnn corpus`")
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    train_seqs = _encode(tok, train_texts, len(feature_names(model.cfg)))
    learns = [r.get("learn") for r in records if r["split"] == "train"]
    return Run(out, model, _wrap(model, device, world), opt, tok, st["tcfg"], device,
               train_seqs, _encode(tok, valid_texts, len(feature_names(model.cfg))),
               sum(len(x) + 1 for x in valid_texts), st["corpus_hash"], st["preset"],
               rank, world, quiet, st["progress"],
               [learned_targets(tok, seq, learn) for seq, learn in zip(train_seqs, learns)])


# ------------------------------------------------------------ distributed

def _wrap(model: FolkLSTM, device: torch.device, world: int) -> torch.nn.Module:
    """The model, or DistributedDataParallel around it under torchrun."""
    if world <= 1:
        return model
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda"
                                   else None)


def init_distributed() -> tuple[int, int, bool]:
    """(rank, world size, whether we started the process group) from torchrun's env."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, False
    started = not dist.is_initialized()
    if started:
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), dist.get_world_size(), started

"""Training: length-bucketed batches, masked loss, validation, early stopping, resume, DDP.

    from folkrnn.train import train
    summary = train("runs/v2", preset="folkrnn-v2", tokenizer="folkrnn")

Writes into the out folder: `last/` (resumable, refreshed every few minutes and
at each epoch end), `best/` (best valid loss), `metrics.jsonl` (one line per
epoch) and `loss.png`. Resuming continues exactly where `last/` stopped: the
data order of an epoch depends only on (seed, epoch) and dropout is reseeded
from (seed, epoch, batch, rank) before every batch, so a resumed run draws the
same numbers as an uninterrupted one. Under `torchrun` every rank trains on a
disjoint share of each epoch's batches and only rank 0 writes.
"""
from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from .batching import Batch, collate, epoch_batches, pick_device, rank_share, valid_nats
from .checkpoint import load_model, save_checkpoint
from .corpus import load_manifest, load_prepared
from .errors import CheckpointError, FolkrnnError
from .model import PRESETS, FolkLSTM, ModelConfig, TrainConfig, lr_at, with_overrides
from .tokenize import build_tokenizer

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ data

def _read_prepared(corpus_dir: str | Path) -> tuple[list[dict], dict]:
    """Records (id, split, text, ...) and manifest of a corpus written by `folkrnn.corpus`."""
    records = load_prepared(corpus_dir)
    manifest = Path(corpus_dir) / "manifest.json"
    return records, (load_manifest(corpus_dir) if manifest.is_file() else {})


def split_texts(records: Sequence[dict], split: str) -> list[str]:
    """Texts of the tunes in `split`."""
    return [r["text"] for r in records if r["split"] == split]


# ------------------------------------------------------------ run state

@dataclass
class _Run:
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

    @property
    def writer(self) -> bool:
        return self.rank == 0


def _new_progress() -> dict:
    return {"epoch": 0, "batch": 0, "step": 0, "best_valid": None, "best_epoch": -1,
            "bad_epochs": 0, "epoch_nats": 0.0, "epoch_tokens": 0, "elapsed_s": 0.0,
            "history": []}


def make_optimizer(tcfg: TrainConfig, params) -> torch.optim.Optimizer:
    """Adam, or RMSprop with folk-rnn's (Lasagne's) rho 0.9 and epsilon 1e-6."""
    if tcfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=tcfg.lr)
    if tcfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=tcfg.lr, alpha=0.9, eps=1e-6)
    raise FolkrnnError(f"unknown optimizer {tcfg.optimizer!r}; use adam or rmsprop")


def _configs(preset: str, vocab_size: int, overrides: dict) -> tuple[ModelConfig, TrainConfig]:
    if preset not in PRESETS:
        raise FolkrnnError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    p = PRESETS[preset]
    cfg, tcfg = p.model_config(vocab_size), p.train
    unknown = set(overrides) - set(cfg.to_dict()) - set(tcfg.to_dict())
    if unknown:
        raise FolkrnnError(f"unknown settings {sorted(unknown)} for preset {preset!r}")
    return with_overrides(cfg, overrides), with_overrides(tcfg, overrides)


def _encode(tokenizer: Any, texts: Sequence[str]) -> list[np.ndarray]:
    return [np.asarray(tokenizer.encode(t), dtype=np.int64) for t in texts]


def _setup(out: Path, preset: str, tokenizer_kind: str, corpus_dir: str | Path,
           overrides: dict, resume: bool, device: torch.device) -> dict:
    """Model, optimizer, configs and progress: fresh, or from `out/last` when resuming."""
    records, manifest = _read_prepared(corpus_dir)
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
    tokenizer = build_tokenizer(tokenizer_kind, texts)  # all splits, so valid/test encode
    cfg, tcfg = _configs(preset, len(tokenizer.vocab), overrides)
    torch.manual_seed(tcfg.seed)  # the initial weights
    model = FolkLSTM(cfg).to(device)
    return dict(model=model, tokenizer=tokenizer, tcfg=tcfg, progress=_new_progress(),
                records=records, corpus_hash=corpus_hash, preset=preset, opt_state=None)


def _from_checkpoint(last: Path, records: list[dict], corpus_hash: str, overrides: dict,
                     device: torch.device) -> dict:
    ckpt = load_model(last, device, train_state=True)
    if ckpt.meta.get("corpus_hash", "") != corpus_hash:
        raise CheckpointError(f"the corpus changed since {last} was written; resume with the "
                              "same --corpus or start a new run")
    if ckpt.train_config is None or "optimizer" not in ckpt.meta:
        raise CheckpointError(f"{last} cannot be resumed (no training state); start a new run")
    _restore_rng(ckpt.meta.get("rng", {}), ckpt.train_tensors)
    tcfg = with_overrides(ckpt.train_config, {k: v for k, v in overrides.items()
                                              if k in ("max_epochs", "patience")})
    return dict(model=ckpt.model.train(), tokenizer=ckpt.tokenizer, tcfg=tcfg,
                progress=ckpt.progress, records=records, corpus_hash=corpus_hash,
                preset=ckpt.meta.get("preset", ""), opt_state=ckpt.optimizer_state())


# ------------------------------------------------------------------- RNG

def _seed_batch(seed: int, epoch: int, batch: int, rank: int) -> None:
    """Reseed torch (dropout) from the batch's position, so resume and DDP draw alike."""
    s = np.random.SeedSequence([seed, epoch, batch, rank]).generate_state(2, np.uint32)
    torch.manual_seed(int(s[0]) << 32 | int(s[1]))


def _rng_state() -> tuple[dict[str, torch.Tensor], dict]:
    """Global torch/cuda/numpy/python RNG states as tensors and JSON."""
    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = s
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    tensors["rng.numpy"] = torch.from_numpy(keys.astype(np.int64))
    version, state, gauss = random.getstate()
    return tensors, {"numpy": [kind, int(pos), int(has_gauss), float(cached)],
                     "python": [version, list(state), gauss]}


def _restore_rng(js: dict, tensors: dict[str, torch.Tensor]) -> None:
    if "rng.torch" in tensors:
        torch.set_rng_state(tensors["rng.torch"])
    cuda = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda.")]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
    if "numpy" in js and "rng.numpy" in tensors:
        kind, pos, has_gauss, cached = js["numpy"]
        keys = tensors["rng.numpy"].numpy().astype(np.uint32)
        np.random.set_state((kind, keys, pos, has_gauss, cached))
    if "python" in js:
        version, state, gauss = js["python"]
        random.setstate((version, tuple(state), gauss))


# ---------------------------------------------------------------- writing

def _save_last(run: _Run) -> None:
    if not run.writer:
        return
    tensors, rng_json = _rng_state()
    save_checkpoint(run.out / "last", run.model, run.tokenizer, train_config=run.tcfg,
                    corpus_hash=run.corpus_hash, metrics=_last_metrics(run),
                    progress=run.progress, optimizer=run.opt, extra_tensors=tensors,
                    extra_json={"rng": rng_json, "preset": run.preset})


def _save_best(run: _Run) -> None:
    if run.writer:
        save_checkpoint(run.out / "best", run.model, run.tokenizer, train_config=run.tcfg,
                        corpus_hash=run.corpus_hash, metrics=_last_metrics(run),
                        progress={k: v for k, v in run.progress.items() if k != "history"},
                        extra_json={"preset": run.preset})


def _last_metrics(run: _Run) -> dict:
    history = run.progress["history"]
    return dict(history[-1]) if history else {}


def _write_metrics(run: _Run) -> None:
    """Rewrite metrics.jsonl from the history, so a resumed run never duplicates lines."""
    if run.writer:
        lines = "".join(json.dumps(h) + "\n" for h in run.progress["history"])
        _atomic_text(run.out / "metrics.jsonl", lines)


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def plot_losses(history: list[dict], path: Path) -> None:
    """Train and valid loss per epoch as a PNG (Agg canvas: no display, no global backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    epochs = [h["epoch"] + 1 for h in history]
    ax.plot(epochs, [h["train_loss"] for h in history], label="train")
    ax.plot(epochs, [h["valid_loss"] for h in history], label="valid")
    ax.set(xlabel="epoch", ylabel="loss (nats/token)", title="folkrnn training")
    ax.legend()
    tmp = path.with_name(path.name + ".tmp.png")
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, path)


# ------------------------------------------------------------------ loop

@dataclass
class _Clock:
    """Wall-clock bookkeeping: time budget, checkpoint interval, the test's kill switch."""

    max_s: Optional[float]
    ckpt_s: float
    stop_after: Optional[int]
    base_elapsed: float
    start: float = field(default_factory=time.monotonic)
    last_save: float = field(default_factory=time.monotonic)
    last_plot: float = 0.0
    steps: int = 0
    tokens_per_s: float = 0.0
    interrupted: bool = False

    def elapsed(self) -> float:
        return self.base_elapsed + time.monotonic() - self.start


def _train_step(run: _Run, batch: Batch) -> torch.Tensor:
    ids, targets, mask = (t.to(run.device, non_blocking=True) for t in batch)
    _, loss, _ = run.net(ids, targets, mask)
    run.opt.zero_grad(set_to_none=True)
    loss.backward()
    if run.tcfg.clip > 0:
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), run.tcfg.clip)
    run.opt.step()
    return loss.detach()


def _any_rank(flag: bool, run: _Run) -> bool:
    """True on every rank if it is true on any (so all ranks stop together)."""
    if run.world == 1:
        return flag
    t = torch.tensor([float(flag)], device=run.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def _after_step(run: _Run, clock: _Clock, fold) -> Optional[str]:
    """Checkpoint when due; returns "time" (budget spent), "interrupted" (Ctrl-C, SIGTERM)
    or "killed" (the tests' kill), else None."""
    clock.steps += 1
    now = time.monotonic()
    spent = clock.max_s is not None and now - clock.start >= clock.max_s
    stop = _any_rank(spent or clock.interrupted, run)
    if stop or now - clock.last_save >= clock.ckpt_s:
        fold()
        run.progress["elapsed_s"] = clock.elapsed()
        _save_last(run)
        clock.last_save = now
    if clock.stop_after is not None and clock.steps >= clock.stop_after:
        return "killed"  # stop dead, nothing more saved
    return ("interrupted" if clock.interrupted else "time") if stop else None


@contextlib.contextmanager
def _graceful_stop(clock: _Clock):
    """The first Ctrl-C or SIGTERM asks for a checkpoint after the current batch; a
    second Ctrl-C stops at once. Only the main thread may set handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum, frame):
        if clock.interrupted and signum == signal.SIGINT:
            raise KeyboardInterrupt
        clock.interrupted = True
        log.warning("stopping after this batch, with a checkpoint (Ctrl-C again to quit now)")

    old = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


class _Tally:
    """Running loss sums of one epoch, kept on the device (no sync per step) until folded."""

    def __init__(self, device: torch.device) -> None:
        self.nats = torch.zeros((), dtype=torch.float64, device=device)
        self.tokens = self.seen = 0  # not yet folded; all since this call began
        self.t0 = time.perf_counter()

    def add(self, loss: torch.Tensor, ntok: int) -> None:
        self.nats += loss.double() * ntok
        self.tokens, self.seen = self.tokens + ntok, self.seen + ntok

    def rate(self) -> float:
        return self.seen / max(time.perf_counter() - self.t0, 1e-9)

    def fold(self, progress: dict, clock: _Clock) -> None:
        """Move the sums into the (checkpointed) progress."""
        progress["epoch_nats"] += self.nats.item()
        progress["epoch_tokens"] += self.tokens
        self.nats.zero_()
        self.tokens = 0
        clock.tokens_per_s = self.rate()


def _epoch_plan(run: _Run, epoch: int) -> list[list[int]]:
    """Set the epoch's learning rate; return this rank's batches of the epoch."""
    t = run.tcfg
    for group in run.opt.param_groups:
        group["lr"] = lr_at(t, epoch)  # the decay folk-rnn printed but never applied
    lengths = [len(s) for s in run.train_seqs]
    return rank_share(epoch_batches(lengths, t.batch_size, t.seed, epoch, t.bucket),
                      run.rank, run.world)


def _run_epoch(run: _Run, clock: _Clock) -> Optional[str]:
    """Train the rest of the current epoch; returns why it stopped early, or None."""
    p, seed = run.progress, run.tcfg.seed
    epoch, batches, tally = p["epoch"], _epoch_plan(run, p["epoch"]), _Tally(run.device)
    with tqdm(total=len(batches), initial=p["batch"], desc=f"epoch {epoch + 1}", leave=False,
              disable=run.quiet or not run.writer or not sys.stderr.isatty()) as bar:
        for b in range(p["batch"], len(batches)):
            _seed_batch(seed, epoch, b, run.rank)
            batch = collate([run.train_seqs[i] for i in batches[b]], run.tokenizer.eos_id)
            loss = _train_step(run, batch)
            tally.add(loss, int(batch[2].sum()))
            p["batch"], p["step"] = b + 1, p["step"] + 1
            bar.update(1)
            if not bar.disable and b % 10 == 0:
                bar.set_postfix(loss=f"{loss.item():.3f}", tok_s=f"{tally.rate():.0f}")
            reason = _after_step(run, clock, lambda: tally.fold(p, clock))
            if reason:
                return reason
    tally.fold(p, clock)
    return None


def _end_epoch(run: _Run, clock: _Clock) -> Optional[str]:
    """Validate, record, checkpoint; returns "early stop" when patience ran out."""
    p, t = run.progress, run.tcfg
    nats, n = valid_nats(run.model, run.valid_seqs, run.tokenizer.eos_id, run.device,
                         t.batch_size, run.rank, run.world)
    train_sum = torch.tensor([p["epoch_nats"], p["epoch_tokens"]], dtype=torch.float64)
    if run.world > 1:
        dist.all_reduce(train_sum)
    valid = nats / max(n, 1)
    p["history"].append({
        "epoch": p["epoch"], "step": p["step"], "lr": lr_at(t, p["epoch"]),
        "train_loss": train_sum[0].item() / max(train_sum[1].item(), 1), "valid_loss": valid,
        "valid_bpc": nats / math.log(2) / max(run.valid_chars, 1),
        "tokens_per_s": clock.tokens_per_s, "elapsed_s": clock.elapsed()})
    improved = p["best_valid"] is None or valid < p["best_valid"]
    p.update(epoch=p["epoch"] + 1, batch=0, epoch_nats=0.0, epoch_tokens=0,
             elapsed_s=clock.elapsed(), bad_epochs=0 if improved else p["bad_epochs"] + 1)
    if improved:
        p.update(best_valid=valid, best_epoch=p["epoch"] - 1)
        _save_best(run)
    _save_last(run)
    clock.last_save = time.monotonic()
    _write_metrics(run)
    log.info("epoch %d: train %.4f valid %.4f nats/token", p["epoch"],
             p["history"][-1]["train_loss"], valid)
    if run.writer and time.monotonic() - clock.last_plot > 30:
        plot_losses(p["history"], run.out / "loss.png")
        clock.last_plot = time.monotonic()
    return "early stop" if t.patience and p["bad_epochs"] >= t.patience else None


def _fit(run: _Run, clock: _Clock) -> dict:
    """Epochs until max_epochs, early stop, the time budget or a (test) kill."""
    p = run.progress
    reason = None
    while reason is None:
        if p["epoch"] >= run.tcfg.max_epochs:
            reason = "epochs"
            break
        reason = _run_epoch(run, clock) or _end_epoch(run, clock)
    if reason != "killed" and run.writer and p["history"]:
        plot_losses(p["history"], run.out / "loss.png")
    return {"out": str(run.out), "stopped": reason, "epochs": p["epoch"], "step": p["step"],
            "best_valid_loss": p["best_valid"], "best_epoch": p["best_epoch"],
            "last": _last_metrics(run)}


# ------------------------------------------------------------------ entry

def _init_distributed() -> tuple[int, int, bool]:
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


def _make_run(st: dict, out: Path, device: torch.device, rank: int, world: int,
              quiet: bool) -> _Run:
    model, tok, records = st["model"].to(device), st["tokenizer"], st["records"]
    opt = make_optimizer(st["tcfg"], model.parameters())
    if st["opt_state"] is not None:
        opt.load_state_dict(st["opt_state"])
    net = model
    if world > 1:
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda"
                                      else None)
    train_texts, valid_texts = split_texts(records, "train"), split_texts(records, "valid")
    if not train_texts or not valid_texts:
        raise FolkrnnError("the corpus needs tunes in both the train and valid splits; "
                           "prepare it again with `folkrnn corpus`")
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    return _Run(out, model, net, opt, tok, st["tcfg"], device, _encode(tok, train_texts),
                _encode(tok, valid_texts), sum(len(x) + 1 for x in valid_texts),
                st["corpus_hash"], st["preset"], rank, world, quiet, st["progress"])


def train(out_dir: str | Path, *, preset: str = "default", tokenizer: str = "char",
          corpus_dir: str | Path = "data/corpus", epochs: Optional[int] = None,
          max_minutes: Optional[float] = None, resume: bool = False, seed: Optional[int] = None,
          quiet: bool = False, checkpoint_minutes: float = 5.0,
          overrides: Optional[dict[str, Any]] = None, device: Optional[str] = None,
          stop_after_steps: Optional[int] = None) -> dict:
    """Train a model into `out_dir` (or continue the run there with `resume`).

    Args:
        preset: a name in `folkrnn.model.PRESETS` (ignored when resuming).
        tokenizer: "char" or "folkrnn" (ignored when resuming).
        epochs: overrides the preset's max_epochs (also when resuming).
        max_minutes: stop (after checkpointing) once this run has trained this long.
        checkpoint_minutes: refresh `last/` at least this often within an epoch.
        overrides: ModelConfig/TrainConfig fields to change, e.g. {"hidden": 64}.
        stop_after_steps: stop dead after this many steps, saving nothing (tests' kill).
    Returns:
        a summary: out, stopped (epochs | early stop | time | interrupted | killed), epochs, step,
        best_valid_loss, best_epoch, last (the last epoch's metrics).
    """
    rank, world, started = _init_distributed()
    try:
        dev = torch.device(device) if device else pick_device()
        ov = dict(overrides or {})
        ov.update({k: v for k, v in (("max_epochs", epochs), ("seed", seed)) if v is not None})
        st = _setup(Path(out_dir), preset, tokenizer, corpus_dir, ov, resume, dev)
        run = _make_run(st, Path(out_dir), dev, rank, world, quiet)
        clock = _Clock(max_minutes * 60 if max_minutes else None, checkpoint_minutes * 60,
                       stop_after_steps, run.progress.get("elapsed_s", 0.0))
        with _graceful_stop(clock):
            return _fit(run, clock)
    finally:
        if started:
            dist.destroy_process_group()

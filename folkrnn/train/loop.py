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

This module holds the loop; `setup` builds the run (fresh or resumed, DDP),
`state` keeps RNG streams, clock, signals and loss tally, and
`output` writes checkpoints, metrics and the loss plot.
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

import torch
import torch.distributed as dist
from tqdm import tqdm

from folkrnn.model.config import lr_at
from folkrnn.model.lstm import masked_nll
from folkrnn.model.positions import feature_names, in_last_bar
from folkrnn.train.batches import Batch, collate, epoch_batches, pick_device, rank_share, valid_nats
from folkrnn.train.output import epoch_record, last_metrics, plot_losses, save_best, save_last, write_metrics
from folkrnn.train.setup import Run, init_distributed, make_run, setup

# scripts/bench_train.py imports these two from here
from folkrnn.train.state import Clock, Tally, graceful_stop, seed_batch

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ steps

def _train_step(run: Run, batch: Batch) -> torch.Tensor:
    """One update; returns the batch's (unweighted) mean loss."""
    ids, targets, mask = (t.to(run.device, non_blocking=True) for t in batch)
    closing = run.tcfg.close_weight != 1.0 and "plan" in feature_names(run.model.cfg)
    if not closing and not run.tcfg.even_tokens:
        _, loss, _ = run.net(ids, targets, mask)
        objective = loss
    else:
        logits, _, _ = run.net(ids)
        nll = masked_nll(logits, targets, mask)
        loss = nll.sum() / mask.sum().clamp(min=1)
        weight = torch.ones_like(nll)
        if closing:  # a part's last bar counts close_weight times (`TrainConfig.close_weight`)
            plan = ids[..., 1 + feature_names(run.model.cfg).index("plan")]
            weight += (run.tcfg.close_weight - 1.0) * in_last_bar(plan).to(nll.dtype)
        # `TrainConfig.even_tokens`: the same divisor for every batch
        total = run.batch_targets if run.tcfg.even_tokens else (mask * weight).sum().clamp(min=1)
        objective = (nll * weight).sum() / total
    run.opt.zero_grad(set_to_none=True)
    objective.backward()
    if run.tcfg.clip > 0:
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), run.tcfg.clip)
    run.opt.step()
    return loss.detach()


def _any_rank(flag: bool, run: Run) -> bool:
    """True on every rank if it is true on any (so all ranks stop together)."""
    if run.world == 1:
        return flag
    t = torch.tensor([float(flag)], device=run.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def _after_step(run: Run, clock: Clock, fold: Callable[[], None]) -> Optional[str]:
    """Checkpoint when due; returns "time" (budget spent), "interrupted" (Ctrl-C, SIGTERM)
    or "killed" (the tests' kill), else None."""
    clock.steps += 1
    now = time.monotonic()
    stop = _any_rank(clock.spent(now) or clock.interrupted, run)
    if stop or now - clock.last_save >= clock.ckpt_s:
        fold()
        run.progress["elapsed_s"] = clock.elapsed()
        save_last(run)
        clock.last_save = now
    if clock.stop_after is not None and clock.steps >= clock.stop_after:
        return "killed"  # stop dead, nothing more saved
    return ("interrupted" if clock.interrupted else "time") if stop else None


# ----------------------------------------------------------------- epochs

def _epoch_plan(run: Run, epoch: int) -> list[list[int]]:
    """Set the epoch's learning rate; return this rank's batches of the epoch."""
    t = run.tcfg
    for group in run.opt.param_groups:
        # the decay folk-rnn printed but never applied; a group's scale: `plan_lr`
        group["lr"] = lr_at(t, epoch) * group.get("scale", 1.0)
    lengths = [len(s) for s in run.train_seqs]
    return rank_share(epoch_batches(lengths, t.batch_size, t.seed, epoch, t.bucket),
                      run.rank, run.world)


def _run_epoch(run: Run, clock: Clock) -> Optional[str]:
    """Train the rest of the current epoch; returns why it stopped early, or None."""
    p, seed = run.progress, run.tcfg.seed
    epoch, batches, tally = p["epoch"], _epoch_plan(run, p["epoch"]), Tally(run.device)
    with tqdm(total=len(batches), initial=p["batch"], desc=f"epoch {epoch + 1}", leave=False,
              disable=run.quiet or not run.writer or not sys.stderr.isatty()) as bar:
        for b in range(p["batch"], len(batches)):
            seed_batch(seed, epoch, b, run.rank)
            batch = collate([run.train_seqs[i] for i in batches[b]], run.tokenizer.eos_id,
                            [run.train_learned[i] for i in batches[b]] if run.train_learned else None)
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


def _validate(run: Run, clock: Clock) -> dict:
    """The epoch's metrics line: train loss summed over ranks, valid loss and bits/char."""
    p = run.progress
    nats, n = valid_nats(run.model, run.valid_seqs, run.tokenizer.eos_id, run.device,
                         run.tcfg.batch_size, run.rank, run.world)
    train_sum = torch.tensor([p["epoch_nats"], p["epoch_tokens"]], dtype=torch.float64)
    if run.world > 1:
        dist.all_reduce(train_sum)
    return epoch_record(run, clock, train_sum[0].item(), train_sum[1].item(), nats, n)


def _end_epoch(run: Run, clock: Clock) -> Optional[str]:
    """Validate, record, checkpoint; returns "early stop" when patience ran out."""
    p, t = run.progress, run.tcfg
    record = _validate(run, clock)
    valid = record["valid_loss"]
    p["history"].append(record)
    improved = p["best_valid"] is None or valid < p["best_valid"]
    p.update(epoch=p["epoch"] + 1, batch=0, epoch_nats=0.0, epoch_tokens=0,
             elapsed_s=clock.elapsed(), bad_epochs=0 if improved else p["bad_epochs"] + 1)
    if improved:
        p.update(best_valid=valid, best_epoch=p["epoch"] - 1)
        save_best(run)
    save_last(run)
    clock.last_save = time.monotonic()
    write_metrics(run)
    log.info("epoch %d: train %.4f valid %.4f nats/token", p["epoch"], record["train_loss"],
             valid)
    _maybe_plot(run, clock)
    return "early stop" if t.patience and p["bad_epochs"] >= t.patience else None


def _maybe_plot(run: Run, clock: Clock) -> None:
    """Redraw loss.png, at most every 30 s (matplotlib is slow)."""
    if run.writer and time.monotonic() - clock.last_plot > 30:
        plot_losses(run.progress["history"], run.out / "loss.png")
        clock.last_plot = time.monotonic()


def _fit(run: Run, clock: Clock) -> dict:
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
            "last": last_metrics(run)}


# ------------------------------------------------------------------ entry

def train(out_dir: str | Path, *, preset: str = "default", tokenizer: str = "char",
          corpus_dir: str | Path = "data/corpus", epochs: Optional[int] = None,
          max_minutes: Optional[float] = None, resume: bool = False, seed: Optional[int] = None,
          quiet: bool = False, checkpoint_minutes: float = 5.0,
          overrides: Optional[dict[str, Any]] = None, device: Optional[str] = None,
          stop_after_steps: Optional[int] = None, init_from: Optional[str | Path] = None) -> dict:
    """Train a model into `out_dir` (or continue the run there with `resume`).

    Args:
        preset: a name in `folkrnn.model.PRESETS` (ignored when resuming).
        tokenizer: "char" or "folkrnn" (ignored when resuming).
        epochs: overrides the preset's max_epochs (also when resuming).
        max_minutes: stop (after checkpointing) once this run has trained this long.
        checkpoint_minutes: refresh `last/` at least this often within an epoch.
        overrides: ModelConfig/TrainConfig fields to change, e.g. {"hidden": 64}.
        stop_after_steps: stop dead after this many steps, saving nothing (tests' kill).
        init_from: a checkpoint a new run starts from where its weights fit (`warm`).
    Returns:
        a summary: out, stopped (epochs | early stop | time | interrupted | killed), epochs, step,
        best_valid_loss, best_epoch, last (the last epoch's metrics).
    """
    rank, world, started = init_distributed()
    try:
        dev = torch.device(device) if device else pick_device()
        ov = dict(overrides or {})
        ov.update({k: v for k, v in (("max_epochs", epochs), ("seed", seed)) if v is not None})
        st = setup(Path(out_dir), preset, tokenizer, corpus_dir, ov, resume, dev, init_from)
        run = make_run(st, Path(out_dir), dev, rank, world, quiet)
        clock = Clock(max_minutes * 60 if max_minutes else None, checkpoint_minutes * 60,
                      stop_after_steps, run.progress.get("elapsed_s", 0.0))
        with graceful_stop(clock):
            return _fit(run, clock)
    finally:
        if started:
            dist.destroy_process_group()

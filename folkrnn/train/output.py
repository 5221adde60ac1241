"""What a training run writes: `last/` (resumable: weights, optimizer, RNG streams,
progress), `best/` (weights only), `metrics.jsonl` (one line per epoch) and
`loss.png`. Only rank 0 writes.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

from folkrnn.atomic import atomic_write_text
from folkrnn.model.checkpoint import save_checkpoint
from folkrnn.model.config import lr_at
from folkrnn.train.setup import Run
from folkrnn.train.state import Clock, rng_state


def save_last(run: Run) -> None:
    """The resumable checkpoint: everything `setup.setup` needs to continue exactly."""
    if not run.writer:
        return
    tensors, rng_json = rng_state()
    save_checkpoint(run.out / "last", run.model, run.tokenizer, train_config=run.tcfg,
                    corpus_hash=run.corpus_hash, metrics=last_metrics(run),
                    progress=run.progress, optimizer=run.opt, extra_tensors=tensors,
                    extra_json={"rng": rng_json, "preset": run.preset})


def save_best(run: Run) -> None:
    """The best model so far, without training state."""
    if run.writer:
        save_checkpoint(run.out / "best", run.model, run.tokenizer, train_config=run.tcfg,
                        corpus_hash=run.corpus_hash, metrics=last_metrics(run),
                        progress={k: v for k, v in run.progress.items() if k != "history"},
                        extra_json={"preset": run.preset})


def last_metrics(run: Run) -> dict:
    """The last epoch's metrics line, or {} before the first epoch ends."""
    history = run.progress["history"]
    return dict(history[-1]) if history else {}


def epoch_record(run: Run, clock: Clock, train_nats: float, train_tokens: float,
                 valid_nats: float, valid_tokens: int) -> dict:
    """The metrics line of the epoch that just ended."""
    p, t = run.progress, run.tcfg
    return {"epoch": p["epoch"], "step": p["step"], "lr": lr_at(t, p["epoch"]),
            "train_loss": train_nats / max(train_tokens, 1),
            "valid_loss": valid_nats / max(valid_tokens, 1),
            "valid_bpc": valid_nats / math.log(2) / max(run.valid_chars, 1),
            "tokens_per_s": clock.tokens_per_s, "elapsed_s": clock.elapsed()}


def write_metrics(run: Run) -> None:
    """Rewrite metrics.jsonl from the history, so a resumed run never duplicates lines."""
    if run.writer:
        lines = "".join(json.dumps(h) + "\n" for h in run.progress["history"])
        atomic_write_text(run.out / "metrics.jsonl", lines)


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

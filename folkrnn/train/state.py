"""Run-time state of the training loop that is not the model: the RNG streams
(reseeded per batch, saved into and restored from `last/`), the wall clock,
the graceful stop on Ctrl-C/SIGTERM and the running loss tally of an epoch.
"""
from __future__ import annotations

import contextlib
import logging
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Iterator, Optional

import numpy as np
import torch

log = logging.getLogger(__name__)


# ------------------------------------------------------------------- RNG

def seed_batch(seed: int, epoch: int, batch: int, rank: int) -> None:
    """Reseed torch (dropout) from the batch's position, so resume and DDP draw alike."""
    s = np.random.SeedSequence([seed, epoch, batch, rank]).generate_state(2, np.uint32)
    torch.manual_seed(int(s[0]) << 32 | int(s[1]))


def rng_state() -> tuple[dict[str, torch.Tensor], dict]:
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


def restore_rng(js: dict, tensors: dict[str, torch.Tensor]) -> None:
    """Set the global RNGs from what `rng_state` saved (parts that are missing are left)."""
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


# ----------------------------------------------------------------- clock

@dataclass
class Clock:
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
        """Seconds trained by this run, earlier sessions included."""
        return self.base_elapsed + time.monotonic() - self.start

    def spent(self, now: float) -> bool:
        """Whether this session's time budget is used up."""
        return self.max_s is not None and now - self.start >= self.max_s


@contextlib.contextmanager
def graceful_stop(clock: Clock) -> Iterator[None]:
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


# ----------------------------------------------------------------- tally

class Tally:
    """Running loss sums of one epoch, kept on the device (no sync per step) until folded."""

    def __init__(self, device: torch.device) -> None:
        self.nats = torch.zeros((), dtype=torch.float64, device=device)
        self.tokens = self.seen = 0  # not yet folded; all since this call began
        self.t0 = time.perf_counter()

    def add(self, loss: torch.Tensor, ntok: int) -> None:
        self.nats += loss.double() * ntok
        self.tokens, self.seen = self.tokens + ntok, self.seen + ntok

    def rate(self) -> float:
        """Tokens per second since this tally began."""
        return self.seen / max(time.perf_counter() - self.t0, 1e-9)

    def fold(self, progress: dict, clock: Clock) -> None:
        """Move the sums into the (checkpointed) progress."""
        progress["epoch_nats"] += self.nats.item()
        progress["epoch_tokens"] += self.tokens
        self.nats.zero_()
        self.tokens = 0
        clock.tokens_per_s = self.rate()

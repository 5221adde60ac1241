"""Generation on every core: pieces of a run's tunes in this process and in spawned ones.

On the 2-core CPU this was measured on (`scripts/bench_generate.py`, README's Benchmarks),
two processes of one torch thread each made constrained tokens 1.7 times as fast as one
process of two threads: the decode loop's Python (the constraint states, the position
inputs) runs on one core at a time, while the LSTM's arithmetic gains less from a second
thread than the Python gains from a second process. A tune's
draws depend only on (seed, tune number), so which process makes it changes nothing: the
tunes are the same, in the same order, as one process makes them.

The pieces go out one at a time to whichever process is free (this one included), so a
worker still importing torch holds up no one. Workers are spawned (they never inherit
torch's threads) and load the model from its folder, checked against the files' sha256 the
parent read; a model that is not a saved folder is made in this process alone.
"""
from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import torch

from folkrnn.errors import FolkrnnError

PIECE = 256  # tunes in a piece of work at least (a piece fills the rows of one decode)
MAX_WORKERS = 64  # processes at most (--workers)
MIN_SPLIT = 512  # fewer tunes than this are made in this process (a worker takes ~2 s to start)
_MODELS: dict = {}  # a worker's loaded models, by folder


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(n: int) -> int:
    """Processes for `n` tunes: one a core (at most 8) from `MIN_SPLIT` tunes, else 1
    (`useful_workers` then caps them at the pieces)."""
    return min(cores(), 8) if n >= MIN_SPLIT else 1


def useful_workers(workers: int, n: int) -> int:
    """`workers`, but no more than `n` tunes' pieces (a worker with none is not started)."""
    return max(1, min(workers, -(-n // PIECE)))


def model_spec(ck) -> dict | None:
    """What a worker needs to load `ck` itself (None: `ck` is not a saved folder); this
    process goes on using `ck` for its own pieces."""
    files = ck.meta.get("files")
    if not files or not (Path(ck.path) / "checkpoint.json").exists():
        return None
    spec = {"path": str(Path(ck.path).resolve()), "files": files}
    _MODELS[spec["path"]] = ck
    return spec


def model_of(spec: dict):
    """The model of `spec`, loaded once per process and checked to be the parent's."""
    from folkrnn.model.checkpoint import load_model

    ck = _MODELS.get(spec["path"])
    if ck is None or ck.meta.get("files") != spec["files"]:  # not loaded, or saved again since
        ck = _MODELS[spec["path"]] = load_model(spec["path"])
    if ck.meta.get("files") != spec["files"]:
        raise FolkrnnError(f"the model at {spec['path']} changed while tunes were being made")
    return ck


def shared(ck, work, args: tuple, items: list, workers: int) -> list | None:
    """`work(spec, *args, piece)` over `items` in pieces shared among `workers` processes
    (`split_map`), the pieces' results joined in order; None where there is nothing to
    share — one worker, one piece's worth of items, or a model not saved in a folder —
    and the caller does the work itself."""
    if workers <= 1 or len(items) <= PIECE:
        return None
    spec = model_spec(ck)
    if spec is None:
        return None
    parts = split_map(work, (spec, *args), pieces_of(items, workers), workers)
    return [x for part in parts for x in part]


def prepare(workers: int) -> None:
    """Start the workers now, so that their imports overlap this process's own work."""
    if workers > 1:
        _pool(workers)


def split_map(work, args: tuple, pieces: list, workers: int) -> list:
    """`work(*args, piece)` for every piece, in this process and `workers - 1` spawned ones
    (`work` a module-level function, its arguments picklable), one torch thread in each per
    core; the results in the order of `pieces`."""
    if workers <= 1 or len(pieces) < 2:
        return [work(*args, p) for p in pieces]
    pool = _pool(workers)
    results: list = [None] * len(pieces)
    order = iter(range(len(pieces)))
    lock = threading.RLock()  # a callback may run at once, in this thread, while it is held
    stopped, failed = False, []

    def take(pool_fed: bool):
        with lock:
            k = None if stopped or failed else next(order, None)
            if k is not None and pool_fed:
                try:
                    results[k] = pool.submit(work, *args, pieces[k])
                except RuntimeError as err:  # the pool broke or shut down: say so below
                    results[k] = Future()
                    results[k].set_exception(err)
                    failed.append(results[k])
                    return k
                results[k].add_done_callback(feed)
            return k

    def feed(done: Future) -> None:  # a worker is free: its next piece, unless it failed
        if done.cancelled():
            return
        if done.exception() is not None:
            failed.append(done)  # this process stops taking pieces and raises it
            return
        take(True)

    before = torch.get_num_threads()
    try:
        for _ in range(workers - 1):
            take(True)
        torch.set_num_threads(_threads(workers))
        while (k := take(False)) is not None:
            results[k] = work(*args, pieces[k])
        for f in failed:
            f.result()  # raises the worker's error
        return [r.result() if isinstance(r, Future) else r for r in results]
    except BaseException:
        with lock:
            stopped = True
        for r in results:
            if isinstance(r, Future):
                r.cancel()
        _stop(workers)  # it may be broken; the next run starts new workers
        raise
    finally:
        torch.set_num_threads(before)


_POOLS: dict[int, ProcessPoolExecutor] = {}


def stop_workers() -> None:
    """Stop every worker of this process now (the CLI on an error or an interrupt: workers
    still importing, or a piece under way, are not waited for)."""
    for workers in list(_POOLS):
        _stop(workers)


def _stop(workers: int) -> None:
    pool = _POOLS.pop(workers, None)
    if pool is None:
        return
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.terminate()


def _pool(workers: int) -> ProcessPoolExecutor:
    """This process's `workers - 1` worker processes, started once, all at once, with Ctrl-C
    ignored from their first instruction (this process handles it and stops them)."""
    if workers not in _POOLS:
        pool = ProcessPoolExecutor(workers - 1, mp_context=get_context("spawn"),
                                   initializer=_start_worker, initargs=(_threads(workers),))
        main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            for _ in range(workers - 1):  # one process a job: each starts importing now
                pool.submit(_ready)
        finally:
            if main:
                signal.signal(signal.SIGINT, old)
        _POOLS[workers] = pool
    return _POOLS[workers]


def _start_worker(threads: int) -> None:
    """A worker's torch threads; Ctrl-C stays ignored (the parent's to handle), so a worker
    prints no traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)


def _threads(workers: int) -> int:
    return max(1, cores() // workers)


def _ready() -> None:
    """Import, while the parent loads its model, the bulk of what every piece needs."""
    import folkrnn.generate.decode  # noqa: F401
    import folkrnn.model.checkpoint  # noqa: F401


def pieces_of(items: list, workers: int) -> list[list]:
    """`items` in runs for `workers` processes, each half of what is left per process (at
    least `PIECE`): long runs first keep the rows full, short ones last end the processes
    together."""
    out, k = [], 0
    while k < len(items):
        size = max(PIECE, -(-(len(items) - k) // (2 * workers)))
        out.append(items[k:k + size])
        k += size
    return out

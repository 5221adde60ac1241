#!/usr/bin/env python3
"""Generation speed against the bare LSTM loop of the same shape, side by side in one run.

    python scripts/bench_generate.py [--batch-sizes 64,128,256] [--threads 1,2] [--runs 3]
                                     [--tunes 256] [--single 7] [--workers 2]
                                     [--workers-tunes 1024] [--model DIR] [--json]

For each thread count and batch size, interleaved run by run (the machine is noisy, so
every figure is the median of `--runs` and every ratio is taken within one run):
- bare: `nn.LSTM` stepped one token at a time on random inputs, the bundled model's own
  layers (the roofline: no embedding, no head, no sampling);
- unconstrained: `generate(..., constrain=False)` of `--tunes` tunes, that many rows at a time
  (rows refill as tunes end);
- constrained: the same at default settings (form kept, restatement on);
tokens a second (tokens the tunes hold, `GeneratedTune.tokens`), constrained as a share of
bare, constrained wall time over unconstrained, and the share of the rows in use at a step
of the constrained run (`fill`: with `--tunes` no more than the rows, the batch empties as
tunes end; more tunes than rows is the steady state of a collection). The mask table is warmed first by one
run of constrained tunes (its cold figure printed), as a server's or a long run's would be.
Then, for each `--workers` W and batch size, the same three with the tunes shared among W
processes of (cores / W) torch threads (`generate(..., workers=W)`, `--workers-tunes` tunes
a run, the workers started and their tables warmed by one run first), beside the bare loop
at every core's thread in this process and the bare loop in W processes of one thread
running at once (the roofline of that arrangement). Then single-tune latency from a warm process
(`--single` tunes, one at a time, default settings; 0: none): median and range.
Nothing here is a pass/fail test.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from folkrnn.generate.api import GenerationOptions, generate  # noqa: E402
from folkrnn.generate.constraints.table import shared_table  # noqa: E402
from folkrnn.generate.parallel import cores  # noqa: E402
from folkrnn.model.checkpoint import load_model  # noqa: E402

BARE_STEPS = 600  # steps of the bare loop per run
BARE_SECONDS = 3.0  # how long each process runs the bare loop when several run it at once


def bare(lstm: torch.nn.LSTM, batch: int) -> float:
    """Tokens a second of `lstm` stepped one token at a time at `batch`."""
    x = torch.randn(batch, 1, lstm.input_size)
    state = None
    with torch.no_grad():
        lstm(x, state)  # warm
        start = time.perf_counter()
        for _ in range(BARE_STEPS):
            _, state = lstm(x, state)
    return batch * BARE_STEPS / (time.perf_counter() - start)


def bare_at(start_at: float, shape: tuple[int, int, int], batch: int) -> float:
    """Tokens a second of a bare `nn.LSTM` of `shape` (input, hidden, layers) stepped from
    wall-clock time `start_at` for `BARE_SECONDS`, in whichever process runs it."""
    torch.set_num_threads(1)
    lstm = torch.nn.LSTM(shape[0], shape[1], shape[2], batch_first=True).eval()
    x, state, steps = torch.randn(batch, 1, shape[0]), None, 0
    with torch.no_grad():
        lstm(x, state)  # warm
        while time.time() < start_at:
            time.sleep(0.005)
        start = time.perf_counter()
        while time.perf_counter() - start < BARE_SECONDS:
            _, state = lstm(x, state)
            steps += 1
    return batch * steps / (time.perf_counter() - start)


def bare_processes(lstm: torch.nn.LSTM, batch: int, workers: int) -> float:
    """Tokens a second of `workers` processes of one thread each running the bare loop at
    the same time (the roofline of generation shared among them), summed."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    shape = (lstm.input_size, lstm.hidden_size, lstm.num_layers)
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        start_at = time.time() + 8.0  # every process imported torch and built its LSTM
        return sum(pool.map(bare_at, [start_at] * workers, [shape] * workers, [batch] * workers))


def timed(ck, batch: int, tunes: int, seed: int, constrain: bool, workers: int = 1
          ) -> tuple[float, int]:
    """(wall seconds, tokens written) of `tunes` tunes, `batch` rows at a time."""
    start = time.perf_counter()
    tunes = generate(ck, tunes, GenerationOptions(constrain=constrain), seed=seed, batch_size=batch,
                     workers=workers)
    return time.perf_counter() - start, sum(t.tokens for t in tunes)


def fill(ck, batch: int, tunes: int, seed: int) -> float:
    """The share of the `batch` rows in use at a model step, over a constrained run in this
    process: rows leave the batch as the last tunes end, so a run of as many tunes as rows
    spends most of its steps on a few (the bare loop always has all)."""
    rows, step = [], ck.model.step

    def counted(ids, state=None):
        rows.append(ids.shape[0])
        return step(ids, state)

    ck.model.step = counted
    try:
        generate(ck, tunes, GenerationOptions(), seed=seed, batch_size=batch)
    finally:
        del ck.model.step  # the class's method again
    return sum(rows) / (batch * len(rows))


def one_setting(ck, batch: int, runs: int, tunes: int, workers: int = 1) -> dict:
    rows = []
    for run in range(runs):
        b = bare(ck.model.lstm, batch)
        split = bare_processes(ck.model.lstm, batch, workers) if workers > 1 else None
        u_s, u_tok = timed(ck, batch, tunes, 100 + run, constrain=False, workers=workers)
        c_s, c_tok = timed(ck, batch, tunes, 100 + run, constrain=True, workers=workers)
        rows.append({"bare_tok_s": b, "free_tok_s": u_tok / u_s, "constrained_tok_s": c_tok / c_s,
                     "free_s": u_s, "constrained_s": c_s,
                     "constrained_share_of_bare": c_tok / c_s / b, "wall_ratio": c_s / u_s,
                     **({"bare_processes_tok_s": split, "constrained_share_of_bare_processes":
                         c_tok / c_s / split} if split else {})})
    out = {key: round(statistics.median(r[key] for r in rows), 3) for key in rows[0]}
    if workers == 1:
        out["constrained_fill"] = round(fill(ck, batch, tunes, 100), 3)
    return out


def single(ck, count: int) -> dict:
    generate(ck, 1, seed=999)  # warm
    times = []
    for seed in range(count):
        start = time.perf_counter()
        generate(ck, 1, seed=seed)
        times.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3), "tunes": count}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-sizes", default="64,128,256")
    ap.add_argument("--threads", default="1,2", help='thread counts in one process ("" for none)')
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tunes", type=int, default=256, help="tunes a run (default 256)")
    ap.add_argument("--single", type=int, default=7)
    ap.add_argument("--workers", default="2", help="process counts to share tunes among "
                    "(\"\" for none; default 2)")
    ap.add_argument("--workers-tunes", type=int, default=1024, help="tunes a run with workers")
    ap.add_argument("--model", help="checkpoint folder (default: the bundled model)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    ck = load_model(args.model)
    cold_s, cold_tok = timed(ck, 64, args.tunes, 1, constrain=True)  # fills the mask table
    table = shared_table(ck.tokenizer.vocab)
    results = {"settings": [], "single": {}, "cold": {
        "tunes": args.tunes, "tok_s": round(cold_tok / cold_s), "table": table.stats()}}
    if not args.json:
        print(f"cold start, {args.tunes} tunes constrained at batch 64: {cold_tok / cold_s:.0f} tok/s; "
              f"mask table {table.stats()}", flush=True)
    for threads in (int(t) for t in args.threads.split(",") if t):
        torch.set_num_threads(threads)
        for batch in (int(b) for b in args.batch_sizes.split(",")):
            row = {"threads": threads, "batch": batch, **one_setting(ck, batch, args.runs, args.tunes)}
            results["settings"].append(row)
            if not args.json:
                print(f"threads {threads} batch {batch:4d}: bare {row['bare_tok_s']:8.0f} tok/s, "
                      f"unconstrained {row['free_tok_s']:7.0f}, constrained "
                      f"{row['constrained_tok_s']:7.0f} ({row['constrained_share_of_bare']:.1%} of "
                      f"bare), constrained/unconstrained wall {row['wall_ratio']:.2f}x; rows in use "
                      f"{row['constrained_fill']:.0%}", flush=True)
        if not args.single:
            continue
        results["single"][str(threads)] = single(ck, args.single)
        if not args.json:
            s = results["single"][str(threads)]
            print(f"threads {threads} one tune, warm: median {s['median_s']:.3f} s "
                  f"({s['min_s']:.3f}-{s['max_s']:.3f}, {s['tunes']} tunes)", flush=True)
    all_threads = cores()
    for workers, batch in ((int(w), int(b)) for w in args.workers.split(",") if w
                           for b in args.batch_sizes.split(",")):
        torch.set_num_threads(all_threads)
        timed(ck, batch, args.workers_tunes, 1, constrain=True, workers=workers)  # start, warm
        row = {"workers": workers, "threads_each": max(1, all_threads // workers), "batch": batch,
               "bare_threads": all_threads,
               **one_setting(ck, batch, args.runs, args.workers_tunes, workers)}
        results.setdefault("workers", []).append(row)
        if not args.json:
            print(f"{workers} processes x {row['threads_each']} thread(s), batch {batch}, "
                  f"{args.workers_tunes} tunes: bare ({all_threads} threads, one process) "
                  f"{row['bare_tok_s']:8.0f} tok/s, unconstrained {row['free_tok_s']:7.0f}, "
                  f"constrained {row['constrained_tok_s']:7.0f} "
                  f"({row['constrained_share_of_bare']:.1%} of bare; bare in {workers} "
                  f"processes x 1 thread at once {row['bare_processes_tok_s']:.0f}, "
                  f"{row['constrained_share_of_bare_processes']:.1%} of that), "
                  f"constrained/unconstrained wall {row['wall_ratio']:.2f}x "
                  f"({row['constrained_s']:.1f} s vs {row['free_s']:.1f} s)", flush=True)
    results["table"] = table.stats()
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print(f"mask table at the end: {table.stats()}")


if __name__ == "__main__":
    main()

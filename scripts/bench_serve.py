#!/usr/bin/env python3
"""The web composer under load, and how fast a tune reaches the page, in one run.

    OMP_NUM_THREADS=2 python scripts/bench_serve.py [--clients 20] [--requests 10]
                                                    [--browser 7] [--json]

Starts a real server (uvicorn, the bundled model, a fresh tune book in a temporary
folder) and then:
- load: `--clients` threads each send `--requests` `POST /api/generate` (a new seed each,
  default settings) one after another; a 503 (queue full) is retried after its
  Retry-After, as a page would, and counted. Reports errors (any other non-200), 503s,
  and p50/p95 of the latency of the answered requests (retries included in the time);
- full queue: 40 requests at once against a queue of 8: how many get 503 at once, with
  which Retry-After, and whether all answered (200 or 503) with no error;
- browser (with chromium installed): `--browser` times from the compose click to the
  notation drawn, in headless chromium, after one warm-up; median and range.
Timings vary with the machine; nothing here is a pass/fail test.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.serve.conftest import Server  # noqa: E402


def load(server: Server, clients: int, requests: int) -> dict:
    latencies, errors, busy = [], [], [0]
    lock = threading.Lock()

    def client(c: int) -> None:
        for k in range(requests):
            start = time.perf_counter()
            while True:
                status, headers, answer = server.call("/api/generate", {"seed": c * 1000 + k})
                if status != 503:
                    break
                with lock:
                    busy[0] += 1
                time.sleep(float(headers.get("retry-after", "1")) / 5)  # a fifth: keep the run short
            with lock:
                if status == 200:
                    latencies.append(time.perf_counter() - start)
                else:
                    errors.append((status, answer))

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    return {"clients": clients, "requests": clients * requests, "answered": len(latencies),
            "errors": len(errors), "busy_503": busy[0], "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(q[18], 3), "wall_s": round(wall, 1),
            "tunes_per_s": round(len(latencies) / wall, 2)}


def full_queue(server: Server, at_once: int = 40) -> dict:
    results = []
    lock = threading.Lock()

    def one(k: int) -> None:
        status, headers, _ = server.call("/api/generate", {"seed": 50_000 + k, "max_tokens": 300})
        with lock:
            results.append((status, headers.get("retry-after")))

    threads = [threading.Thread(target=one, args=(k,)) for k in range(at_once)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = [s for s, _ in results]
    return {"at_once": at_once, "ok": statuses.count(200), "busy_503": statuses.count(503),
            "other": len(statuses) - statuses.count(200) - statuses.count(503),
            "retry_after": sorted({r for s, r in results if s == 503})}


def browser(server: Server, runs: int) -> dict | None:
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = b.new_page()
        page.goto(server.base + "/")
        page.wait_for_selector("#meter option[value='6/8']", state="attached")
        for k in range(runs + 1):
            before = page.input_value("[data-testid=abc]")
            start = time.perf_counter()
            page.click("[data-testid=compose]")
            while page.input_value("[data-testid=abc]") == before:
                time.sleep(0.005)
            page.wait_for_selector("[data-testid=notation] svg .abcjs-note")
            if k:  # the first is the warm-up
                times.append(time.perf_counter() - start)
        b.close()
    return {"runs": runs, "median_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3), "max_s": round(max(times), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=10)
    ap.add_argument("--browser", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            server.call("/api/generate", {"seed": 0})  # load the model, warm the mask table
            out = {"browser": browser(server, args.browser) if args.browser else None,
                   "load": load(server, args.clients, args.requests),
                   "full_queue": full_queue(server)}
        finally:
            server.stop()
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    ld, fq, br = out["load"], out["full_queue"], out["browser"]
    print(f"load: {ld['clients']} clients x {args.requests} requests: {ld['answered']} answered, "
          f"{ld['errors']} errors, {ld['busy_503']} 503s retried; latency p50 {ld['p50_s']} s, "
          f"p95 {ld['p95_s']} s; {ld['tunes_per_s']} tunes/s over {ld['wall_s']} s")
    print(f"full queue: {fq['at_once']} at once: {fq['ok']} made, {fq['busy_503']} got 503 "
          f"(Retry-After {', '.join(fq['retry_after']) or '-'}), {fq['other']} other")
    if br:
        print(f"browser: compose click to notation, median {br['median_s']} s "
              f"({br['min_s']}-{br['max_s']}) over {br['runs']} tunes, warm")
    return 0


if __name__ == "__main__":
    sys.exit(main())

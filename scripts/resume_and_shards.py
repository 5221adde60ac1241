#!/usr/bin/env python3
"""Crash safety and sharding of `folkrnn batch`, end to end through the command line.

    python scripts/resume_and_shards.py [-n 96] [--batch-size 16] [--kills 3] [--shards 3]

1. an uninterrupted collection (the reference);
2. the same command killed with SIGKILL at random moments `--kills` times, each
   time run again with `--resume`, until it finishes;
3. `--shards` shard runs and `folkrnn batch merge`;
then every file of 2 and 3 is compared with 1 (manifest timings aside), and
stray temporary files are counted. Prints what it found; exits 1 on a difference.
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def files(folder: Path) -> dict[str, bytes]:
    """Every file but the run timings; manifest.json without its timings."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != "runs.json":
            data = p.read_bytes()
            if p.name == "manifest.json":
                m = json.loads(data)
                m.pop("timings")
                data = json.dumps(m, sort_keys=True).encode()
            out[str(p.relative_to(folder))] = data
    return out


def batch(*args: str) -> list[str]:
    return [sys.executable, "-m", "folkrnn", "-q", "batch", *args]


def killed_run(argv: list[str], kills: int, rng: random.Random, work: Path) -> list[str]:
    """Run `argv`, SIGKILL it at random moments, resume until it ends; returns what happened."""
    log = []
    for k in range(kills + 1):
        proc = subprocess.Popen(argv + (["--resume"] if k else []))
        wait = rng.uniform(5, 40) if k < kills else None
        try:
            proc.wait(timeout=wait)
            log.append(f"run {k + 1}: finished (exit {proc.returncode})")
            return log
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            done = len(list((work / ".folkrnn" / "tunes").glob("*.json")))
            log.append(f"run {k + 1}: SIGKILL after {wait:.1f} s with {done} tune records on disk")
    return log


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=96)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    common = ["-n", str(args.n), "--seed", str(args.seed), "--batch-size", str(args.batch_size),
              "--formats", "abc,mid"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        subprocess.run(batch(*common, "--out", str(tmp / "single")), check=True)
        print(f"uninterrupted: {time.perf_counter() - start:.0f} s")
        for line in killed_run(batch(*common, "--out", str(tmp / "killed")), args.kills, rng,
                               tmp / "killed"):
            print(line)
        for i in range(1, args.shards + 1):
            subprocess.run(batch(*common, "--shard", f"{i}/{args.shards}", "--out",
                                 str(tmp / f"shard{i}")), check=True)
        subprocess.run(batch("merge", "--out", str(tmp / "merged"),
                             *[str(tmp / f"shard{i}") for i in range(1, args.shards + 1)]), check=True)
        ref = files(tmp / "single")
        bad = 0
        for name in ("killed", "merged"):
            got = files(tmp / name)
            differ = sorted(k for k in set(ref) | set(got) if ref.get(k) != got.get(k))
            stray = [k for k in got if k.endswith(".tmp")]
            print(f"{name}: {len(got)} files, {len(differ)} differ from the uninterrupted run"
                  f"{' (' + ', '.join(differ[:5]) + ')' if differ else ''}; {len(stray)} temporary files")
            bad += len(differ) + len(stray)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""How fast the command line starts, beside importing torch, in one run.

    python scripts/bench_startup.py [--repeat 7] [--json]

Times, as medians of `--repeat` interleaved runs of fresh processes: `python -c
"import torch"` (the baseline), `folkrnn --help`, and `folkrnn COMMAND --help` for every
command, and a real `folkrnn render` and `folkrnn check --no-music21` of one tune. Prints
each median and its ratio to the torch import. Timings never go into tests;
`tests/test_layout.py` checks instead that `--help` loads neither torch nor music21.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = ["generate", "batch", "check", "render", "corpus", "train", "evaluate"]


TUNE = "X:1\nT:Test\nM:6/8\nL:1/8\nK:G\n|:GAB c2d|e2d c2A|GAB c2d|e2d c3:|\n"


def runs(tmp: Path) -> dict[str, list[str]]:
    cli = [sys.executable, "-m", "folkrnn"]
    out = {"import torch": [sys.executable, "-c", "import torch"], "folkrnn --help": cli + ["--help"]}
    out.update({f"folkrnn {c} --help": cli + [c, "--help"] for c in COMMANDS})
    (tmp / "tune.abc").write_text(TUNE)
    out["folkrnn render tune.abc"] = cli + ["render", str(tmp / "tune.abc"), "--out", str(tmp)]
    out["folkrnn check --no-music21"] = cli + ["check", str(tmp / "tune.abc"), "--no-music21"]
    return out


def seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cases = runs(Path(tmp))
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.repeat):  # interleaved, so a busy moment hits every case alike
            for name, cmd in cases.items():
                times[name].append(seconds(cmd))
    base = statistics.median(times["import torch"])
    result = {k: {"median_s": round(statistics.median(v), 3),
                  "ratio_to_torch": round(statistics.median(v) / base, 3)} for k, v in times.items()}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for k, v in result.items():
            print(f"{k:30} {v['median_s']:6.3f} s   {v['ratio_to_torch']:5.2f}x torch")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark `build_collection` (`folkrnn batch`): whole collections, timed end to end.

    python scripts/bench_batch.py [-n 1000] [--wav-n 100] [--compare-n 100]
                                  [--compare-workers 0,1] [--repeat 1] [--json]

In one run, with the bundled model (or --model) loaded once:
- warm-up: a 1-tune collection, so the novelty index and torch's first calls are
  paid outside the measured runs (its time is reported as set-up);
- `-n` tunes in abc,mid; `--wav-n` tunes in abc,mid,wav: wall time, tunes/s,
  generate_s / render_s from the manifest, rejected attempts, tunes with no good
  attempt, the share passing the strict check, and (wav) seconds of audio;
- render workers side by side on one `--compare-n` collection (abc,mid,wav, same
  seed, so the same tunes), interleaved so that load drift hits each setting alike.

The machine is shared, so every figure is a median over `--repeat` runs and load
averages are printed beside them. Timings only: nothing here passes or fails.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from folkrnn.collection.build import build_collection  # noqa: E402
from folkrnn.model.checkpoint import load_model  # noqa: E402


def main_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000, help="tunes in the abc,mid collection (default 1000)")
    ap.add_argument("--wav-n", type=int, default=100,
                    help="tunes in the abc,mid,wav collection (default 100)")
    ap.add_argument("--compare-n", type=int, default=100, help="tunes in the worker comparison (default 100)")
    ap.add_argument("--compare-workers", default="0,1", help="render workers to compare (default 0,1)")
    ap.add_argument("--compare-repeat", type=int, default=3, help="runs per worker setting (default 3)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each big collection (default 1)")
    ap.add_argument("--workers", type=int, default=1, help="render workers for the big runs (default 1)")
    ap.add_argument("--batch-size", type=int, default=64, help="tunes decoded together (default 64)")
    ap.add_argument("--seed", type=int, default=1, help="collection seed (default 1)")
    ap.add_argument("--model", default=None, help="checkpoint folder (default: the bundled model)")
    ap.add_argument("--keep", type=Path, default=None, help="build in this folder and keep the collections")
    ap.add_argument("--progress", action="store_true", help="show each build's progress bar")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    return ap


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ one build
def audio_seconds(out: Path, manifest: dict) -> float | None:
    """Seconds of audio in the collection's WAV files (from their headers); None if none."""
    total, found = 0.0, False
    for t in manifest["tunes"]:
        name = t["files"].get("wav")
        if name:
            with wave.open(str(out / name), "rb") as w:
                total += w.getnframes() / w.getframerate()
            found = True
    return round(total, 1) if found else None


def measure(ck, out: Path, n: int, formats: tuple[str, ...], workers: int, args) -> dict:
    """Build one collection in `out` (which must not hold one); its figures."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    m = build_collection(out, n, model=ck, seed=args.seed, formats=formats, workers=workers,
                         batch_size=args.batch_size, progress=args.progress)
    wall = time.perf_counter() - start
    run, tunes = m["timings"]["runs"][-1], m["tunes"]
    passed = sum(bool(t["check"].get("passed")) for t in tunes)
    return {"n": n, "formats": ",".join(formats), "workers": workers, "wall_s": round(wall, 2),
            "manifest_wall_s": run["wall_s"], "tunes_per_s": round(n / wall, 3),
            "generate_s": run.get("generate_s", 0.0), "render_s": run.get("render_s", 0.0),
            "rejects": sum(m["rejects"].values()), "rejects_by_reason": m["rejects"],
            "failed": len(m["failed"]), "tunes": len(tunes),
            "check_passed": round(passed / len(tunes), 4) if tunes else None,
            "audio_s": audio_seconds(out, m) if "wav" in formats else None,
            "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
            "titles": [t["title"] for t in tunes]}


def median_of(runs: list[dict]) -> dict:
    """The first run's figures with the timings replaced by their medians over the runs."""
    med = dict(runs[0])
    for k in ("wall_s", "manifest_wall_s", "generate_s", "render_s"):
        med[k] = round(statistics.median(r[k] for r in runs), 2)
    med["tunes_per_s"] = round(med["n"] / med["wall_s"], 3)
    med["runs_wall_s"] = [r["wall_s"] for r in runs]
    med["load"] = [r["load_before"] for r in runs] + [runs[-1]["load_after"]]
    med["same_tunes"] = all(r["titles"] == runs[0]["titles"] for r in runs)
    return med


def line(label: str, r: dict) -> str:
    audio = f", {r['audio_s']:.0f} s audio" if r.get("audio_s") else ""
    return (f"{label}: {r['n']} tunes in {r['wall_s']:.1f} s ({r['tunes_per_s']:.2f} tunes/s; "
            f"generate {r['generate_s']:.1f} s, render {r['render_s']:.1f} s{audio}); "
            f"load {r['load_before']:.1f} -> {r['load_after']:.1f}")


# ------------------------------------------------------------------ the three parts
def run_big(ck, root: Path, label: str, n: int, formats: tuple[str, ...], args) -> dict:
    runs = []
    for i in range(args.repeat):
        r = measure(ck, root / f"{label}-{i + 1}", n, formats, args.workers, args)
        say(line(f"{label} #{i + 1}", r))
        runs.append(r)
    return median_of(runs)


def run_compare(ck, root: Path, args) -> dict:
    """Each worker setting --compare-repeat times, interleaved (0,1,0,1,...)."""
    settings = [int(x) for x in args.compare_workers.split(",")]
    runs: dict[int, list[dict]] = {w: [] for w in settings}
    for i in range(args.compare_repeat):
        for w in settings:
            r = measure(ck, root / f"compare-w{w}-{i + 1}", args.compare_n, ("abc", "mid", "wav"), w, args)
            say(line(f"compare workers={w} #{i + 1}", r))
            runs[w].append(r)
    meds = {w: median_of(rs) for w, rs in runs.items()}
    base = meds[settings[0]]["wall_s"]
    for m in meds.values():
        m["wall_ratio"] = round(m["wall_s"] / base, 3)
        m["same_tunes_as_base"] = m["titles"] == meds[settings[0]]["titles"]
    return {"workers": settings, "runs": {str(w): m for w, m in meds.items()}}


def environment(ck, setup_s: float) -> dict:
    return {"torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
            "torch": torch.__version__, "model": str(ck.path), "setup_s": round(setup_s, 2),
            "load_at_start": [round(x, 2) for x in os.getloadavg()]}


def bench(args, root: Path) -> dict:
    start = time.perf_counter()
    ck = load_model(args.model)
    measure(ck, root / "warm-up", 1, ("abc", "mid", "wav"), 0, args)  # novelty index, first calls
    env = environment(ck, time.perf_counter() - start)
    say(f"set-up (model load + warm-up collection): {env['setup_s']:.1f} s; "
        f"torch threads {env['torch_threads']} of {env['cpu_count']} CPUs; load {env['load_at_start']}")
    result = {"environment": env}
    result["abc_mid"] = run_big(ck, root, "abc-mid", args.n, ("abc", "mid"), args)
    result["abc_mid_wav"] = run_big(ck, root, "abc-mid-wav", args.wav_n, ("abc", "mid", "wav"), args)
    result["compare"] = run_compare(ck, root, args)
    result["environment"]["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["total_s"] = round(time.perf_counter() - start, 1)
    return result


# ------------------------------------------------------------------ the report
def table(res: dict, args) -> str:
    env = res["environment"]
    rows = ["| collection | workers | tunes | wall s | tunes/s | generate s | render s | audio s "
            "| rejects | no good attempt | strict check passed | load (1 min) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, r in (("abc,mid", res["abc_mid"]), ("abc,mid,wav", res["abc_mid_wav"])):
        rows.append(_row(label, r))
    for r in res["compare"]["runs"].values():
        rows.append(_row(f"compare abc,mid,wav (wall x{r['wall_ratio']:.2f})", r))
    runs = res["compare"]["runs"]
    first, *rest = res["compare"]["workers"]
    ratios = "; ".join(f"workers={w} / workers={first}: {runs[str(w)]['wall_ratio']:.2f} "
                       f"(walls {runs[str(w)]['runs_wall_s']} vs {runs[str(first)]['runs_wall_s']})"
                       for w in rest)
    same = all(r["same_tunes_as_base"] and r["same_tunes"] for r in runs.values())
    notes = [f"torch threads: {env['torch_threads']} (of {env['cpu_count']} CPUs), torch {env['torch']}; "
             f"seed {args.seed}, batch size {args.batch_size}; medians over {args.repeat} run(s) "
             f"(big) and {args.compare_repeat} (compare).",
             f"set-up outside the timings (model load + a 1-tune warm-up): {env['setup_s']:.1f} s; "
             f"whole benchmark {res['total_s']:.0f} s.",
             f"load average at start {env['load_at_start']}, at end {env['load_at_end']}.",
             "wall s: the build_collection call; generate s: the batched decodes; render s: the "
             "sum of per-tune render times (in the workers when workers > 0, beside generation); "
             "audio s: WAV length from the file headers.",
             f"render-worker ratio (wall, lower is faster): {ratios}; same tunes in every "
             f"comparison run: {'yes' if same else 'NO'}."]
    return "\n".join(rows) + "\n\n" + "\n".join(f"- {x}" for x in notes)


def _row(label: str, r: dict) -> str:
    audio = f"{r['audio_s']:.0f}" if r.get("audio_s") else "-"
    check = f"{100 * r['check_passed']:.1f}%" if r["check_passed"] is not None else "-"
    load = f"{min(r['load']):.1f}-{max(r['load']):.1f}"
    return (f"| {label} | {r['workers']} | {r['tunes']}/{r['n']} | {r['wall_s']:.1f} | "
            f"{r['tunes_per_s']:.2f} | {r['generate_s']:.1f} | {r['render_s']:.1f} | {audio} | "
            f"{r['rejects']} | {r['failed']} | {check} | {load} |")


def _public(res: dict) -> dict:
    """The result without the tune titles (kept only to compare runs)."""
    def strip(r: dict) -> dict:
        return {k: v for k, v in r.items() if k != "titles"}
    out = dict(res, abc_mid=strip(res["abc_mid"]), abc_mid_wav=strip(res["abc_mid_wav"]))
    out["compare"] = dict(res["compare"], runs={w: strip(r) for w, r in res["compare"]["runs"].items()})
    return out


def main(argv: list[str] | None = None) -> int:
    args = main_parser().parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        res = bench(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="bench_batch-") as tmp:
            res = bench(args, Path(tmp))
    print(json.dumps(_public(res), indent=1) if args.json else table(res, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

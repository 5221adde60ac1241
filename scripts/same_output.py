"""Fingerprints of what folkrnn writes, to show that a change of code changes no output.

Runs the `folkrnn` command (its public face, the same before and after a
refactor) on fixed seeds and inputs, and records the sha256 of every file and
of the JSON it prints (timings left out):

- `generate`: sampled, greedy, beam, unconstrained, primed in a key, with
  --valid-only; ABC, MIDI, WAV and SVG;
- `batch`: a small collection (tunes, tune book, index page, manifest) and the
  same collection made in two shards and merged;
- `render`: two files of O'Neill's 1850 collection with every tune, straight
  and with drone, flute, `--straight` and `--repeats once`.

    python scripts/same_output.py record reports/same_output.json   # before
    python scripts/same_output.py check reports/same_output.json    # after: lists differences

`check` exits 1 when anything differs. `--quick` runs a subset (the test suite uses it).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GENERATE = {
    "sampled": ["-n", "6", "--seed", "11"],
    "greedy": ["--greedy", "--meter", "6/8", "--key", "D", "--seed", "0"],
    "beam": ["--beam", "3", "-n", "2", "--rhythm", "reel", "--seed", "0"],
    "free": ["--no-constrain", "-n", "4", "--seed", "5", "--temperature", "1.2"],
    "primed": ["--mode", "dor", "--key", "A", "--meter", "4/4", "--prime", "|:EAAB c2BA|",
               "-n", "3", "--seed", "9", "--top-k", "8", "--top-p", "0.95"],
    "valid": ["--valid-only", "-n", "4", "--seed", "21", "--title", "The Kettle Jig"],
}
QUICK = ("sampled", "primed")
RENDER = {
    "plain": [],
    "drone-flute": ["--accompaniment", "drone", "--instrument", "flute"],
    "straight-once": ["--straight", "--repeats", "once", "--tempo", "90"],
    "chords": ["--accompaniment", "chords"],
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def folkrnn(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "folkrnn", "-q", *args], capture_output=True,
                          cwd=ROOT, check=False)


def folder_hashes(folder: Path, prefix: str, drop_timings: bool = False) -> dict[str, str]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(folder).as_posix()
        if rel.startswith(".folkrnn/runs") or rel.endswith("shard.json"):
            continue  # timings
        data = p.read_bytes()
        if p.suffix == ".svg":  # abcm2ps wrote the time and a temporary folder's name
            data = re.sub(rb"<!-- (CommandLine|CreationDate): .* -->\n|<title>.*</title>\n", b"",
                          data)
        if drop_timings and p.suffix == ".json":
            data = _without_timings(json.loads(data))
        out[f"{prefix}/{rel}"] = sha(data)
    return out


def _without_timings(obj) -> bytes:
    if isinstance(obj, dict):
        obj = {k: v for k, v in obj.items() if k not in ("timings", "render_s")}
    return json.dumps(obj, sort_keys=True).encode()


def _printed_json(proc: subprocess.CompletedProcess, name: str) -> list:
    """The JSON `generate --json` printed; anything printed before it (a library's first-run
    notice, say) is left out, and output with no JSON at all is an error that shows it."""
    text = proc.stdout.decode("utf-8", "replace")
    start = text.find("[\n")
    if start < 0:
        if not text.strip():
            return []
        raise SystemExit(f"generate {name} printed no JSON: {text[:300]!r} {proc.stderr[-500:]!r}")
    return json.loads(text[start:])


def run_generate(tmp: Path, names) -> dict[str, str]:
    out = {}
    for name in names:
        folder = tmp / "generate" / name
        proc = folkrnn("generate", *GENERATE[name], "--formats", "abc,mid,wav,svg",
                       "--out", str(folder), "--json")
        out[f"generate/{name}/rc"] = str(proc.returncode)
        printed = _printed_json(proc, name)
        for t in printed:  # the printed paths name the temporary folder
            t["files"] = [Path(f).name for f in t["files"]]
        out[f"generate/{name}/stdout"] = sha(json.dumps(printed, sort_keys=True).encode())
        out.update(folder_hashes(folder, f"generate/{name}"))
    return out


def run_batch(tmp: Path, quick: bool) -> dict[str, str]:
    out = {}
    for n in ("6",) if quick else ("6", "20"):
        common = ["-n", n, "--seed", "3", "--batch-size", "4", "--formats", "abc,mid",
                  "--workers", "0"]
        proc = folkrnn("batch", *common, "--out", str(tmp / f"book{n}"))
        out[f"batch{n}/rc"] = str(proc.returncode)
        out.update(folder_hashes(tmp / f"book{n}", f"batch{n}", drop_timings=True))
    if quick:
        return out
    for i in (1, 2):
        folkrnn("batch", *common, "--shard", f"{i}/2", "--out", str(tmp / f"part{i}"))
    proc = folkrnn("batch", "merge", "--out", str(tmp / "merged"), str(tmp / "part1"),
                   str(tmp / "part2"))
    out["merge/rc"] = str(proc.returncode)
    out.update(folder_hashes(tmp / "merged", "merge", drop_timings=True))
    return out


def run_render(tmp: Path, quick: bool) -> dict[str, str]:
    import music21

    books = Path(music21.__file__).parent / "corpus" / "oneills1850"
    files = ["0001-0050.abc"] if quick else ["0001-0050.abc", "0626-0700.abc"]
    out = {}
    for name, opts in RENDER.items():
        if quick and name != "plain":
            continue
        for f in files:
            folder = tmp / "render" / name / f
            proc = folkrnn("render", str(books / f), "--all", "--midi", *opts, "--out", str(folder))
            out[f"render/{name}/{f}/rc"] = str(proc.returncode)
            out.update(folder_hashes(folder, f"render/{name}/{f}"))
    folder = tmp / "render" / "wav-svg"
    folkrnn("render", str(books / files[0]), "--tune", "3", "--wav", "--svg", "--out", str(folder))
    out.update(folder_hashes(folder, "render/wav-svg"))
    return out


def fingerprints(quick: bool = False, keep: Path | None = None) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = keep or Path(tmp)
        out = run_generate(tmp_path, QUICK if quick else GENERATE)
        out.update(run_batch(tmp_path, quick))
        out.update(run_render(tmp_path, quick))
    return out


def compare(expected: dict[str, str], got: dict[str, str]) -> list[str]:
    """Keys whose hash differs, or that only one side has ('missing'/'new')."""
    diffs = [f"differs: {k}" for k in sorted(expected) if k in got and got[k] != expected[k]]
    diffs += [f"missing: {k}" for k in sorted(set(expected) - set(got))]
    return diffs + [f"new: {k}" for k in sorted(set(got) - set(expected))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=("record", "check"))
    ap.add_argument("path", type=Path)
    ap.add_argument("--quick", action="store_true", help="a subset, as the test suite runs")
    ap.add_argument("--keep", type=Path, help="write the outputs here, to look at a difference")
    args = ap.parse_args(argv)
    got = fingerprints(args.quick, args.keep)
    if args.action == "record":
        args.path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(got)} fingerprints in {args.path}")
        return 0
    expected = json.loads(args.path.read_text())
    if args.quick:
        expected = {k: v for k, v in expected.items() if k in got}
    diffs = compare(expected, got)
    print("\n".join(diffs) or f"all {len(got)} fingerprints the same")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())

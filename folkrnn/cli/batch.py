"""`folkrnn batch`: build a whole tune collection; `folkrnn batch merge`: join its shards."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from folkrnn.cli.options import (
    add_generation_options,
    choose_seed,
    formats_option,
    generation_options,
    render_options,
)
from folkrnn.errors import FolkrnnError

MAX_COLLECTION = 1_000_000  # tunes in one collection (its folder holds a file or more each)

EPILOG = """examples:
  folkrnn batch -n 200 --out jigs --meter 6/8 --seed 1
  folkrnn batch -n 1000 --out book --formats abc,mid,svg --valid-only --novel-only
  folkrnn batch -n 1000 --out book --resume            # after a crash: finish the same book
  folkrnn batch -n 1000 --out part1 --seed 7 --shard 1/2   # on one machine
  folkrnn batch -n 1000 --out part2 --seed 7 --shard 2/2   # on another
  folkrnn batch merge --out book part1 part2
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch", help="build a tune collection", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Build a collection in --out: tunes/ (one file per tune per format), "
                    "tunebook.abc, index.html and manifest.json. `batch merge --out DIR "
                    "SHARD...` joins shards made with --shard.")
    p.add_argument("-n", type=int, default=100, help="how many tunes (default 100)")
    p.add_argument("--out", type=Path, help="the collection folder (required)")
    p.add_argument("--formats", default="abc,mid", help="any of abc,mid,wav,svg (default abc,mid)")
    p.add_argument("--workers", type=int, default=_default_workers(),
                   help="render processes beside generation; 0 renders in the main process "
                        f"(default {_default_workers()})")
    p.add_argument("--resume", action="store_true", help="complete the collection in --out")
    p.add_argument("--shard", default="1/1", metavar="I/N", help="make only part I of N")
    p.add_argument("--batch-size", type=int, default=64, help="tunes decoded together (default 64)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    add_generation_options(p)
    p.set_defaults(func=run)
    merge = p.add_subparsers(dest="action", metavar="merge", required=False).add_parser(
        "merge", help="join shard folders into one collection",
        description="Join the shard folders of one collection (made with --shard i/n) into "
                    "--out; the result equals a single run.",
        epilog="example:\n  folkrnn batch merge --out book part1 part2 part3",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    merge.add_argument("shards", nargs="+", type=Path, help="the shard folders")
    merge.add_argument("--out", type=Path, required=True, help="the collection folder")
    merge.add_argument("--model", help="the model, if not where the shards say")
    merge.add_argument("--workers", type=int, default=0, help="render processes (default 0)")
    merge.add_argument("--json", action="store_true", help="print a JSON summary")
    merge.set_defaults(func=run_merge)


def _default_workers() -> int:
    """Render processes only where cores are left over: generation (torch) takes about two,
    and on a 2-core machine a render process beside it made a 100-tune collection 8% slower
    (scripts/bench_batch.py)."""
    return min(4, max(0, (os.cpu_count() or 1) - 2))


def run_merge(args: argparse.Namespace) -> int:
    from folkrnn.collection import merge_collections

    result = merge_collections(args.out, args.shards, model=args.model, workers=args.workers)
    return _report(args, result)


def run(args: argparse.Namespace) -> int:
    from folkrnn.check.select import Filters
    from folkrnn.collection import build_collection

    if args.out is None:
        raise FolkrnnError("batch needs --out DIR, the folder of the collection")
    if not 1 <= args.n <= MAX_COLLECTION:
        raise FolkrnnError(f"-n must be 1 to {MAX_COLLECTION:,}")
    generation = generation_options(args)  # its limits, before the seed is said
    seed = choose_seed(args, _stored_seed(args.out) if args.resume else None)
    result = build_collection(
        args.out, args.n, model=args.model, seed=seed, formats=formats_option(args.formats),
        generation=generation, render=render_options(args),
        filters=Filters(args.valid_only, args.novel_only, args.tries, args.corpus),
        workers=args.workers, batch_size=args.batch_size, resume=args.resume, shard=args.shard,
        progress=not args.quiet and sys.stderr.isatty())
    return _report(args, result)


def _stored_seed(out: Path) -> int | None:
    """A resume without --seed continues with the seed the collection was started with."""
    from folkrnn.collection.files import read_settings

    settings = read_settings(out) if out.is_dir() else None
    return settings["seed"] if settings else None


def _report(args, result: dict) -> int:
    if "shard" in result:
        summary = {"out": str(args.out), **result}
        line = f"shard {result['shard']}: {result['tunes']} tunes in {args.out}"
        failed = []
    else:
        failed = result["failed"]
        summary = {"out": str(args.out), "tunes": len(result["tunes"]), "failed": failed,
                   "rejects": result["rejects"], "timings": result["timings"]}
        t = result["timings"]
        last = t["runs"][-1]
        line = (f"{len(result['tunes'])} tunes in {args.out} (tunebook.abc, index.html, "
                f"manifest.json); this run made {last['tunes_made']} in {last['wall_s']:.0f} s; "
                f"rejected attempts: {sum(result['rejects'].values())}")
        if failed:
            line += f"; {len(failed)} tunes had no good attempt"
    if args.json:
        print(json.dumps(summary, indent=1))
    elif not args.quiet:
        print(line, file=sys.stderr)
    return 1 if failed else 0

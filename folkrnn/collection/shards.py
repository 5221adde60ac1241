"""Shards of a collection: shard i/n makes the chunks c with c % n == i - 1 of the
collection's chunks of `batch_size` tune numbers; `build.merge_collections` joins them."""
from __future__ import annotations

import json
from pathlib import Path

from folkrnn.atomic import atomic_write_bytes, atomic_write_text
from folkrnn.collection import files as col
from folkrnn.collection.settings import first_difference
from folkrnn.errors import FolkrnnError


def parse_shard(text: str) -> tuple[int, int]:
    """"2/3" -> (2, 3): the second of three shards."""
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        i = n = 0
    if not 1 <= i <= n:
        raise FolkrnnError(f"--shard wants i/n with 1 <= i <= n, e.g. 2/3, not {text!r}")
    return i, n


def shard_numbers(n: int, batch_size: int, shard: tuple[int, int]) -> list[list[int]]:
    """The chunks (lists of tune numbers 1..n) that shard i/n makes."""
    chunks = [list(range(s + 1, min(n, s + batch_size) + 1)) for s in range(0, n, batch_size)]
    return [c for j, c in enumerate(chunks) if j % shard[1] == shard[0] - 1]


def write_summary(out: Path, settings: dict, shard: str, timings: dict) -> dict:
    numbers = [k for c in shard_numbers(settings["n"], settings["batch_size"], parse_shard(shard))
               for k in c]
    summary = {"shard": shard, "tunes": len(numbers), "complete": True, "timings": timings}
    atomic_write_text(out / col.STATE / "shard.json", json.dumps(summary, indent=1) + "\n")
    return summary


def shard_settings(folders: list[Path]) -> dict:
    """The common settings of the shard folders; every shard of 1..n once, each complete."""
    if not folders:
        raise FolkrnnError("merge needs the shard folders to join")
    seen: dict[int, Path] = {}
    settings = None
    for folder in folders:
        s = col.read_settings(folder)
        info_path = folder / col.STATE / "shard.json"
        if s is None or not info_path.exists():
            raise FolkrnnError(f"{folder} is not a finished shard of a collection "
                               "(run `folkrnn batch --shard i/n --resume` there first)")
        i, total = parse_shard(json.loads(info_path.read_text(encoding="utf-8"))["shard"])
        if settings is not None and (diff := first_difference(settings, s)):
            raise FolkrnnError(f"{folder} belongs to another collection ({diff})")
        if i in seen:
            raise FolkrnnError(f"{folder} and {seen[i]} are the same shard {i}/{total}")
        settings, seen[i] = s, folder
    missing = sorted(set(range(1, total + 1)) - set(seen))
    if missing:
        raise FolkrnnError(f"shard {missing[0]}/{total} is missing; merge needs all {total}")
    return settings


def copy_shard(src: Path, out: Path, settings: dict) -> None:
    if src.resolve() == out.resolve():
        return
    numbers = [k for c in shard_numbers(settings["n"], settings["batch_size"],
                                        parse_shard(shard_of(src))) for k in c]
    for r in col.read_records(src, numbers).values():
        for name in r.get("files", {}).values():
            atomic_write_bytes(out / col.TUNES / name, (src / col.TUNES / name).read_bytes())
        col.write_record(out, r)


def shard_of(folder: Path) -> str:
    return json.loads((folder / col.STATE / "shard.json").read_text(encoding="utf-8"))["shard"]

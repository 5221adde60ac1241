"""The files of a tune collection: per-tune files, records, tune book, index page, manifest.

Layout of a collection folder:

    tunes/0001-the-slug.abc|mid|wav|svg   one file per tune per format
    tunebook.abc                          every tune, X:1..N
    index.html                            the tunes, with sheet music, audio and links (page.py)
    manifest.json                         settings, model, each tune's seed and checks, rejects
    .folkrnn/settings.json                what the collection is (a resume checks it)
    .folkrnn/tunes/0001.json              one record per finished tune, written last

Everything is written atomically (folkrnn.atomic), and a tune's record only
after its files, so a record on disk means the tune is whole. No torch here:
`render_files` runs in worker processes.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from folkrnn.abc.reader import read_tune
from folkrnn.abc.writer import renumber
from folkrnn.atomic import atomic_write_text
from folkrnn.errors import FolkrnnError
from folkrnn.render import RenderOptions, render, slug

STATE = ".folkrnn"
TUNES = "tunes"
SLUG_LIMIT = 50  # characters of the title in a tune's file name (a collection's names stay put)


def stem(number: int, title: str, n: int) -> str:
    """`0007-the-bracken-jig`: the tune number (1-based, zero-padded for n) and a title slug."""
    return f"{number:0{max(3, len(str(n)))}d}-{slug(title, SLUG_LIMIT)}"


def render_files(abc: str, folder: str, name: str, formats: list[str],
                 render_options: dict) -> dict:
    """Write one tune's files (a worker's job); returns {format: file name} and the seconds taken."""
    start = time.perf_counter()
    result = render(read_tune(abc), folder, formats, RenderOptions.from_dict(render_options),
                    stem=name)
    return {"files": {k: p.name for k, p in result.files.items()},
            "render_s": time.perf_counter() - start}


# ------------------------------------------------------------------ records
def record_path(out: Path, number: int) -> Path:
    return out / STATE / TUNES / f"{number:06d}.json"


def write_record(out: Path, record: dict) -> None:
    atomic_write_text(record_path(out, record["number"]), json.dumps(record, indent=1) + "\n")


def read_record(out: Path, number: int) -> dict | None:
    """The tune's record if it is whole and its files are all there; else None."""
    path = record_path(out, number)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    folder = out / TUNES
    if not all((folder / name).is_file() for name in record.get("files", {}).values()):
        return None
    return record


def read_records(out: Path, numbers) -> dict[int, dict]:
    return {k: r for k in numbers if (r := read_record(out, k)) is not None}


def clean_temporaries(out: Path) -> int:
    """Remove the temporary files a killed run left (`.name.XXXX.tmp`); returns how many."""
    stale = [p for p in out.rglob(".*.tmp") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)


def remove_unreferenced(out: Path, records: dict[int, dict]) -> list[str]:
    """Delete tune files no record names (left by a replaced tune or a killed run)."""
    keep = {name for r in records.values() for name in r.get("files", {}).values()}
    folder = out / TUNES
    gone = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in keep) \
        if folder.is_dir() else []
    for name in gone:
        (folder / name).unlink(missing_ok=True)
    return gone


# ------------------------------------------------------------------ settings
def write_settings(out: Path, settings: dict) -> None:
    (out / STATE / TUNES).mkdir(parents=True, exist_ok=True)
    (out / TUNES).mkdir(exist_ok=True)
    atomic_write_text(out / STATE / "settings.json", json.dumps(settings, indent=1) + "\n")


# render options a collection made before they were recorded played with
OLD_RENDER_DEFAULTS = {"swing": False}


def read_settings(out: Path) -> dict | None:
    """The folder's settings (None when it has none), with OLD_RENDER_DEFAULTS filled in for
    a folder made before those were recorded, so it resumes and merges as it was made."""
    path = out / STATE / "settings.json"
    if not path.exists():
        return None
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise FolkrnnError(f"{path} is damaged; delete the folder {out} and run again") from None
    for k, v in OLD_RENDER_DEFAULTS.items():
        settings.setdefault("render", {}).setdefault(k, v)
    return settings


def add_runs(out: Path, runs: list[dict]) -> list[dict]:
    """Append to the timings of the runs that made the collection; returns them all."""
    path = out / STATE / "runs.json"
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = []
    atomic_write_text(path, json.dumps(old + runs, indent=1) + "\n")
    return old + runs


def read_runs(out: Path) -> list[dict]:
    try:
        return json.loads((out / STATE / "runs.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


# ------------------------------------------------------------------ the whole collection
def write_tunebook(out: Path, records: list[dict]) -> Path:
    """`tunebook.abc`: every tune, X: numbered by its place in the collection."""
    parts = ["%abc-2.1\n% made by folkrnn; see manifest.json\n"]
    parts += [renumber(r["abc"], r["number"]).strip("\n") + "\n" for r in records]
    return atomic_write_text(out / "tunebook.abc", "\n".join(parts))


MANIFEST_VERSION = 2


def write_manifest(out: Path, settings: dict, records: list[dict], failed: list[dict],
                   rejects: dict, timings: dict) -> Path:
    """`manifest.json`: settings, model, each tune (seed, checks, novelty, files), rejects.
    `format_version` 2: a tune's `generator` numbers its draws in `generate.sampling.Draws`
    (counter-based, since folkrnn 0.2; version 1's were `torch.Generator` seeds)."""
    manifest = {"format_version": MANIFEST_VERSION,
                "folkrnn_version": settings["folkrnn_version"], "settings": settings,
                "tunes": [_public(r) for r in records], "failed": failed,
                "rejects": dict(sorted(rejects.items())), "timings": timings}
    return atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1) + "\n")


def _public(record: dict) -> dict:
    r = {k: v for k, v in record.items() if k != "render_s"}
    r["files"] = {k: f"{TUNES}/{v}" for k, v in record.get("files", {}).items()}
    return r

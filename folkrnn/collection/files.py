"""The files of a tune collection: per-tune files, records, tune book, index page, manifest.

Layout of a collection folder:

    tunes/0001-the-slug.abc|mid|wav|svg   one file per tune per format
    tunebook.abc                          every tune, X:1..N
    index.html                            the tunes, with sheet music, audio and links
    manifest.json                         settings, model, each tune's seed and checks, rejects
    .folkrnn/settings.json                what the collection is (a resume checks it)
    .folkrnn/tunes/0001.json              one record per finished tune, written last

Everything is written atomically (folkrnn.writing), and a tune's record only
after its files, so a record on disk means the tune is whole. No torch here:
`render_files` runs in worker processes.
"""
from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path

from folkrnn.errors import FolkrnnError
from folkrnn.atomic import atomic_write_text

STATE = ".folkrnn"
TUNES = "tunes"
FORMATS = ("abc", "mid", "wav", "svg")


def check_formats(formats) -> None:
    """Raise FolkrnnError for a format that is not one of FORMATS."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise FolkrnnError(f"unknown format {sorted(unknown)[0]!r}; choose from {', '.join(FORMATS)}")


def stem(number: int, title: str, n: int) -> str:
    """`0007-the-bracken-jig`: the tune number (1-based, zero-padded for n) and a title slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", (title or "").lower()).strip("-")[:50] or "tune"
    return f"{number:0{max(3, len(str(n)))}d}-{slug}"


def render_files(abc: str, folder: str, name: str, formats: list[str],
                 render_options: dict) -> dict:
    """Write one tune's files (a worker's job); returns {format: file name} and the seconds taken."""
    from folkrnn.render import render
    from folkrnn.atomic import atomic_write_text as write

    start = time.perf_counter()
    files = {}
    if "abc" in formats:
        files["abc"] = write(Path(folder) / f"{name}.abc", abc).name
    wanted = {f: f in formats for f in ("mid", "wav", "svg")}
    if any(wanted.values()):
        res = render(abc, folder, midi=wanted["mid"], wav=wanted["wav"], svg=wanted["svg"],
                     stem=name, **render_options)
        files.update({k: p.name for k, p in (("mid", res.midi), ("wav", res.audio),
                                             ("svg", res.svg)) if p is not None})
    return {"files": files, "render_s": time.perf_counter() - start}


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


def read_settings(out: Path) -> dict | None:
    path = out / STATE / "settings.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise FolkrnnError(f"{path} is damaged; delete the folder {out} and run again") from None


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
    parts += [re.sub(r"^X:\d+", f"X:{r['number']}", r["abc"]).strip("\n") + "\n" for r in records]
    return atomic_write_text(out / "tunebook.abc", "\n".join(parts))


def write_manifest(out: Path, settings: dict, records: list[dict], failed: list[dict],
                   rejects: dict, timings: dict) -> Path:
    """`manifest.json`: settings, model, each tune (seed, checks, novelty, files), rejects."""
    manifest = {"folkrnn_version": settings["folkrnn_version"], "settings": settings,
                "tunes": [_public(r) for r in records], "failed": failed,
                "rejects": dict(sorted(rejects.items())), "timings": timings}
    return atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1) + "\n")


def _public(record: dict) -> dict:
    r = {k: v for k, v in record.items() if k != "render_s"}
    r["files"] = {k: f"{TUNES}/{v}" for k, v in record.get("files", {}).items()}
    return r


def write_index(out: Path, settings: dict, records: list[dict]) -> Path:
    """`index.html`: the tunes with their sheet music, an audio player and links."""
    model = settings["model"]["name"]
    rows = "\n".join(_tune_html(r) for r in records)
    page = (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>folkrnn collection</title>\n<style>{_CSS}</style></head><body>\n"
            f"<h1>{len(records)} tunes by folkrnn</h1>\n<p>Model {html.escape(model)}, seed "
            f"{settings['seed']}. The whole book: <a href=\"tunebook.abc\">tunebook.abc</a>; "
            f"details in <a href=\"manifest.json\">manifest.json</a>.</p>\n{rows}\n</body></html>\n")
    return atomic_write_text(out / "index.html", page)


def _tune_html(r: dict) -> str:
    esc, files = html.escape, r.get("files", {})
    link = {k: f"{TUNES}/{v}" for k, v in files.items()}
    facts = " · ".join(esc(x) for x in (r.get("rhythm") or "", f"M:{r['meter']}", f"K:{r['key']}") if x)
    parts = [f"<section id=\"t{r['number']}\"><h2>{r['number']}. {esc(r['title'])}</h2>",
             f"<p class=\"facts\">{facts}</p>"]
    if "svg" in link:
        parts.append(f"<img src=\"{esc(link['svg'])}\" alt=\"sheet music of {esc(r['title'])}\">")
    if "wav" in link:
        parts.append(f"<audio controls preload=\"none\" src=\"{esc(link['wav'])}\"></audio>")
    links = [f"<a href=\"{esc(link[k])}\">{label}</a>" for k, label in
             (("abc", "ABC"), ("mid", "MIDI"), ("wav", "WAV"), ("svg", "SVG")) if k in link]
    if links:
        parts.append("<p>" + " · ".join(links) + "</p>")
    return "\n".join(parts) + "</section>"


_CSS = ("body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
        "section{border-top:1px solid #ccc;padding:.5em 0}.facts{color:#555}"
        "img{max-width:100%;background:#fff}")

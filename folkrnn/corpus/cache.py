"""Prepared corpora in the user's cache: the default corpus is prepared there once, so
`folkrnn evaluate` works on a fresh install with no `folkrnn corpus build` first.

    <cache>/corpus/<content hash>/      tunes.jsonl, manifest.json, vocab_char/folkrnn.json
    <cache>/corpus/sources/<key>.json   the content hash that the sources of `key` prepare to

<cache> is $FOLKRNN_CACHE, else $XDG_CACHE_HOME/folkrnn, else ~/.cache/folkrnn. A
folder is named by its content hash (the `corpus_hash` a checkpoint records), which is
known only once the corpus is prepared, so a corpus is prepared in a scratch folder beside
its place and renamed into place whole: an interrupted prepare is never taken for a
finished one. `key` hashes what the content follows from — the source files, the
normalise options and the code that reads and normalises them — and points at the folder,
so a second run finds it without preparing.

    folder = default_corpus()   # data/corpus when built there, else the cached default
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterable, Optional

from folkrnn.abc.normalise import NormaliseOptions
from folkrnn.atomic import atomic_write_text, scratch_dir
from folkrnn.corpus.prepare import (
    DEFAULT_SOURCES,
    Entry,
    build,
    load_manifest,
    resolve_source,
    write,
)
from folkrnn.errors import FolkrnnError
from folkrnn.tokenize import build_tokenizer

log = logging.getLogger(__name__)

LOCAL_CORPUS = Path("data/corpus")  # where `folkrnn corpus build` writes by default
PACKAGE = Path(__file__).resolve().parents[1]
# the code whose changes can change a prepared corpus (and so its content hash)
CODE = ("abc/*.py", "corpus/prepare.py", "tokenize.py", "data/folkrnn_v2_tokens.txt")
BYTES_PER_SECOND = 120_000  # of ABC sources prepared, on this project's 2-core machine
SCRATCH = ".preparing-"
STALE_SECONDS = 3600  # a scratch folder this old was left by a killed prepare

OnPrepare = Callable[[Path, float], None]  # (cache folder, estimated seconds)


def cache_dir() -> Path:
    """$FOLKRNN_CACHE, else $XDG_CACHE_HOME/folkrnn, else ~/.cache/folkrnn."""
    if os.environ.get("FOLKRNN_CACHE"):
        return Path(os.environ["FOLKRNN_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "folkrnn"


def default_corpus(on_prepare: Optional[OnPrepare] = None) -> Path:
    """`data/corpus` when it holds a prepared corpus, else the default corpus from the
    cache, prepared there first (`cached_corpus`) if it is not there yet."""
    if (LOCAL_CORPUS / "tunes.jsonl").is_file():
        return LOCAL_CORPUS
    return cached_corpus(on_prepare=on_prepare)


def cached_corpus(sources: Iterable[str] = DEFAULT_SOURCES,
                  options: NormaliseOptions = NormaliseOptions(), *,
                  cache: str | Path | None = None,
                  on_prepare: Optional[OnPrepare] = None) -> Path:
    """The prepared corpus of `sources` in the cache (`cache_dir()` unless `cache`),
    preparing it there once, as `folkrnn corpus build` would; `on_prepare` is called
    just before a prepare, never when the corpus is already there.

    Returns:
        the folder `<cache>/corpus/<content hash>`.
    """
    sources = list(sources)
    root = Path(cache or cache_dir()) / "corpus"
    pointer = root / "sources" / f"{source_key(sources, options)}.json"
    found = _follow(pointer)
    if found is not None:
        return found
    seconds = prepare_seconds(sources)
    log.info("preparing the corpus of %s into %s (about %.0f s)", ", ".join(sources), root, seconds)
    if on_prepare is not None:
        on_prepare(root, seconds)
    try:
        folder = _prepare_in_place(root, sources, options)
        pointer.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(pointer, json.dumps({"content_hash": folder.name, "sources": sources,
                                               "options": asdict(options)}, indent=1))
    except PermissionError as err:
        raise FolkrnnError(f"cannot write the corpus cache at {root} ({err.strerror}); set "
                           "FOLKRNN_CACHE to a writable folder or pass --corpus") from None
    return folder


def is_complete(folder: Path) -> bool:
    """Whether `folder` holds a whole prepared corpus: its manifest names the folder's own
    content hash (only a finished prepare is renamed to that name) and the tunes are there."""
    try:
        named = load_manifest(folder).get("content_hash") == folder.name
    except (OSError, ValueError, AttributeError):
        return False
    return named and (folder / "tunes.jsonl").is_file()


def _follow(pointer: Path) -> Optional[Path]:
    """The complete corpus folder `pointer` names, or None (no pointer, or no such folder)."""
    try:
        digest = json.loads(pointer.read_text(encoding="utf-8"))["content_hash"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    folder = pointer.parent.parent / str(digest)
    return folder if is_complete(folder) else None


def _prepare_in_place(root: Path, sources: list[str], options: NormaliseOptions) -> Path:
    """Prepare in a scratch folder of `root`, then rename it to its content hash."""
    _sweep(root)
    with scratch_dir(root, SCRATCH) as tmp:
        start = time.perf_counter()
        prepare(tmp, sources, options)
        final = root / load_manifest(tmp)["content_hash"]
        _move_into_place(tmp, final)
        log.info("prepared %s in %.1f s", final, time.perf_counter() - start)
    return final


def _move_into_place(tmp: Path, final: Path) -> None:
    """Rename the finished `tmp` to `final`, unless another process got there first."""
    if is_complete(final):
        return
    if final.exists():  # a folder of that name that is not whole (no prepare leaves one)
        shutil.rmtree(final)
    try:
        os.rename(tmp, final)
    except OSError:
        if not is_complete(final):  # a whole one there now is a concurrent prepare's
            raise


def _sweep(root: Path) -> None:
    """Remove the scratch folders that killed prepares left, once they are an hour old."""
    for old in root.glob(SCRATCH + "*"):
        try:
            if time.time() - old.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


def prepare(out: str | Path, sources: Iterable[str] = DEFAULT_SOURCES,
            options: NormaliseOptions = NormaliseOptions()) -> Path:
    """Build the corpus of `sources` and write it with both vocabularies to `out`."""
    built = build(sources, options)
    write(built, out)
    write_vocabularies(built.entries, out)
    return Path(out)


def write_vocabularies(entries: list[Entry], out: str | Path) -> None:
    """`vocab_char.json` and `vocab_folkrnn.json` of the corpus, in `out`."""
    for kind in ("char", "folkrnn"):
        build_tokenizer(kind, (e.text for e in entries)).save(Path(out) / f"vocab_{kind}.json")


def source_key(sources: Iterable[str], options: NormaliseOptions) -> str:
    """A hash of what a prepared corpus follows from: the source files (names and bytes),
    the options, and the code that reads and normalises them."""
    sources = list(sources)
    h = hashlib.sha256(json.dumps([list(sources), asdict(options)]).encode())
    for name in sources:
        _, files = resolve_source(name)
        for path in files:
            h.update(f"\0{name}\0{path.name}\0".encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    for path in sorted(p for pattern in CODE for p in PACKAGE.glob(pattern)):
        h.update(f"\0{path.relative_to(PACKAGE).as_posix()}\0".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:32]


def prepare_seconds(sources: Iterable[str]) -> float:
    """About how long preparing `sources` takes, from the size of their files."""
    size = sum(p.stat().st_size for name in sources for p in resolve_source(name)[1])
    return size / BYTES_PER_SECOND

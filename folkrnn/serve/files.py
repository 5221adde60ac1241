"""The web composer's files: a stored tune as ABC, MIDI, WAV or SVG, and the kept tunes as
one tune book or a collection folder (zipped)."""
from __future__ import annotations

import io
import json
import re
import tempfile
import threading
import zipfile
from pathlib import Path

from folkrnn.abc.writer import renumber
from folkrnn.errors import FolkrnnError
from folkrnn.serve.store import TuneBook
from folkrnn.serve.work import BadRequest, Busy

FORMATS = {"abc": "text/vnd.abc; charset=utf-8", "mid": "audio/midi", "wav": "audio/wav",
           "svg": "image/svg+xml"}
MAX_AUDIO_MINUTES = 10.0  # the longest tune the server renders to audio
RENDERS = threading.BoundedSemaphore(2)  # MIDI/WAV/SVG renders at once (they are CPU work)


def retitled(abc: str, title: str) -> str:
    """The tune's ABC with its first T: line the stored title (the user may rename it)."""
    return re.sub(r"^T:.*$", lambda _: "T:" + title.replace("\n", " "), abc, count=1, flags=re.M)


def rendered(abc: str, fmt: str, instrument: str, tempo, accompaniment: str) -> bytes:
    """One format of a stored tune; Busy when `RENDERS` are already running."""
    from folkrnn.render import RenderOptions

    try:
        options = RenderOptions(instrument=instrument, accompaniment=accompaniment,
                                tempo=float(tempo) if tempo else None,
                                max_audio_minutes=MAX_AUDIO_MINUTES)
    except ValueError:
        raise BadRequest("tempo must be a number of crotchets a minute") from None
    if not RENDERS.acquire(blocking=False):
        raise Busy()
    try:
        return _render_one(abc, fmt, options)
    finally:
        RENDERS.release()


def _render_one(abc: str, fmt: str, options) -> bytes:
    from folkrnn.abc.reader import read_tune
    from folkrnn.render import render

    with tempfile.TemporaryDirectory() as tmp:
        files = render(read_tune(abc, "<stored>"), tmp, (fmt,), options, stem="tune").files
        if fmt not in files:
            raise FolkrnnError(f"the tune plays longer than {MAX_AUDIO_MINUTES:g} minutes: no audio")
        return Path(files[fmt]).read_bytes()


def book_text(book: TuneBook, kept: list | None = None) -> str:
    """The kept tunes (`kept`, or the book's), oldest first, numbered from 1."""
    kept = kept if kept is not None else list(reversed(book.list(kept_only=True, limit=None)))
    return "\n".join(renumber(retitled(t.abc, t.title), k)
                     for k, t in enumerate(kept, 1))


def book_zip(book: TuneBook) -> bytes:
    """The kept tunes as a collection folder like `folkrnn batch` writes: the tune book,
    each tune's ABC and MIDI, and a manifest of what is in it."""

    if not RENDERS.acquire(blocking=False):
        raise Busy()
    try:
        return _zipped(book)
    finally:
        RENDERS.release()


def _zipped(book: TuneBook) -> bytes:
    from folkrnn.abc.reader import read_tune
    from folkrnn.render import render

    kept = list(reversed(book.list(kept_only=True, limit=None)))  # once: the zip agrees with itself
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z, tempfile.TemporaryDirectory() as tmp:
        z.writestr("tunebook/tunebook.abc", book_text(book, kept))
        names = []
        for k, t in enumerate(kept, 1):
            abc = renumber(retitled(t.abc, t.title), k)
            result = render(read_tune(abc, "<stored>"), tmp, ("abc", "mid"))
            for path in result.files.values():
                z.write(path, f"tunebook/tunes/{k:03d}-{Path(path).name.split('-', 1)[-1]}")
            names.append({"number": k, "id": t.id, "title": t.title, "op": t.op})
        z.writestr("tunebook/manifest.json", json.dumps({"tunes": names}, indent=1))
    return buf.getvalue()

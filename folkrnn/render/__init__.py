"""Rendering: tunes to note events, MIDI, audio and sheet music.

    from folkrnn.render import render, RenderOptions
    render(tune, "out/", ("mid", "wav", "svg"), RenderOptions(instrument="flute"))

`FORMATS` (formats.py) is the one registry of output formats: name, writer,
extension, label and what each needs installed.

The pieces, each usable alone:

- `tune_events(tune, EventOptions(...)) -> TuneEvents`: the interpreter (events.py);
  notes as (pitch, onset, duration, velocity, is_grace) in whole notes, repeats
  expanded the way abc2midi expands them.
- `write_midi(events, path, MidiOptions(...)) -> mido.MidiFile` (midi.py): type 1,
  tempo/meter/key maps, instrument, drone or chord accompaniment.
- `midi_to_wav(midi, path, soundfont=None)` and `synthesize` (audio.py): FluidSynth
  offline, 44.1 kHz 16-bit stereo, peak -1 dBFS; `find_soundfont(explicit)`.
- `abc_to_svg(text, out_dir)` / `tune_to_svg(tune, path)` (svg.py): abcm2ps.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from folkrnn.abc.reader import Tune
from folkrnn.abc.spelling import plain
from folkrnn.render.audio import find_soundfont, midi_to_wav, synthesize
from folkrnn.render.events import EventOptions, NoteEvent, TuneEvents, tune_events
from folkrnn.render.formats import (
    FORMATS,
    Format,
    RenderOptions,
    TuneWork,
    check_formats,
    parse_formats,
    preflight,
)
from folkrnn.render.midi import MidiOptions, save_midi, write_midi
from folkrnn.render.svg import abc_to_svg, tune_to_svg

__all__ = ["render", "RenderResult", "RenderOptions", "FORMATS", "Format", "check_formats",
           "parse_formats", "preflight", "tune_events", "EventOptions", "NoteEvent", "TuneEvents",
           "write_midi", "MidiOptions", "save_midi", "midi_to_wav", "synthesize", "find_soundfont",
           "abc_to_svg", "tune_to_svg", "file_stem", "slug"]


@dataclass
class RenderResult:
    """The files written for one tune, by format name in registry order."""

    stem: str
    files: dict[str, Path] = field(default_factory=dict)


def file_stem(tune: Tune) -> str:
    """`007-the-bracken-jig`: X number and title, safe as a file name."""
    return f"{tune.x:03d}-{slug(tune.title)}" if tune.x is not None else slug(tune.title)


def slug(title: str, limit: int = 60) -> str:
    """A title as a file name: accents dropped (`å` -> `a`), lower case, runs of other
    characters as `-` ("tune" if empty)."""
    return re.sub(r"[^a-z0-9]+", "-", plain(title or "").lower()).strip("-")[:limit] or "tune"


def render(tune: Tune, out_dir: str | Path, formats=("mid",),
           options: RenderOptions = RenderOptions(), *, stem: str | None = None) -> RenderResult:
    """Write one tune in each of `formats` (names of FORMATS) into `out_dir`.

    Files are named `stem` (default `file_stem(tune)`) and written atomically, so a
    killed run never leaves half a file. Raises RenderError (or FolkrnnError for an
    unknown format or option).
    """
    names = check_formats(formats)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = RenderResult(stem or file_stem(tune))
    work = TuneWork(tune, options)
    for name in names:
        result.files[name] = FORMATS[name].write(work, out_dir, result.stem)
    return result

"""Rendering: tunes to note events, MIDI, audio and sheet music.

    from folkrnn.render import render
    render(abc_text_or_tune, "out/", midi=True, wav=True, svg=True, instrument="flute")

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

from folkrnn.abc.reader import Tune, read_text
from folkrnn.errors import RenderError
from folkrnn.render.audio import find_soundfont, midi_to_wav, synthesize
from folkrnn.render.events import EventOptions, NoteEvent, TuneEvents, tune_events
from folkrnn.render.midi import MidiOptions, save_midi, write_midi
from folkrnn.render.svg import abc_to_svg, tune_to_svg

__all__ = ["render", "RenderResult", "tune_events", "EventOptions", "NoteEvent", "TuneEvents",
           "write_midi", "MidiOptions", "midi_to_wav", "synthesize", "find_soundfont",
           "abc_to_svg", "tune_to_svg", "file_stem"]


@dataclass
class RenderResult:
    """The files written for one tune."""

    stem: str
    midi: Path | None = None
    audio: Path | None = None
    svg: Path | None = None
    files: list[Path] = field(default_factory=list)


def file_stem(tune: Tune) -> str:
    """`007-the-bracken-jig`: X number and title, safe as a file name."""
    slug = re.sub(r"[^a-z0-9]+", "-", tune.title.lower()).strip("-")[:60] or "tune"
    return f"{tune.x:03d}-{slug}" if tune.x is not None else slug


def render(tune: Tune | str, out_dir: str | Path, midi: bool = True, wav: bool = False,
           svg: bool = False, *, flac: bool = False, soundfont: str | Path | None = None,
           instrument: str | int = "fiddle", accompaniment: str = "none", accents: bool = True,
           repeats: str = "expand", swing: bool = False, tempo: float | None = None,
           stem: str | None = None) -> RenderResult:
    """Render one tune (a Tune, or ABC text whose first tune is used) into `out_dir`.

    Files are named `stem` (default `file_stem(tune)`) and written atomically, so a
    killed run never leaves half a file. Returns the paths written. Raises
    RenderError (or AbcError for unreadable text).
    """
    tune = _one_tune(tune)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or file_stem(tune)
    result = RenderResult(stem)
    if midi or wav:
        events = tune_events(tune, EventOptions(repeats=repeats, swing=swing, tempo=tempo))
        mf = write_midi(events, None, MidiOptions(instrument, accompaniment, accents))
        if midi:
            result.midi = save_midi(mf, out_dir / f"{stem}.mid")
        if wav:
            result.audio = midi_to_wav(mf, out_dir / f"{stem}.{'flac' if flac else 'wav'}", soundfont)
    if svg:
        result.svg = tune_to_svg(tune, out_dir / f"{stem}.svg")
    result.files = [p for p in (result.midi, result.audio, result.svg) if p is not None]
    return result


def _one_tune(tune: Tune | str) -> Tune:
    if isinstance(tune, Tune):
        return tune
    read = read_text(tune)
    if read.errors and not read.tunes:
        raise read.errors[0]
    if not read.tunes:
        raise RenderError("the text holds no tune (an ABC tune starts with X: or T: and has a K: line)")
    return read.tunes[0]

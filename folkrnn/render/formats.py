"""The output formats, in one registry: name -> writer, extension, label, what it needs.

`render`, `folkrnn generate`, `folkrnn batch`, the collection's index page and
the preflight checks all read `FORMATS`; a new format is one `Format` here.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Callable

from folkrnn.abc.reader import Tune
from folkrnn.abc.writer import tune_text
from folkrnn.errors import FolkrnnError, RenderError
from folkrnn.render.audio import MAX_AUDIO_MINUTES


@dataclass(frozen=True)
class RenderOptions:
    """How a tune sounds and where its audio comes from; every field has a CLI flag."""

    instrument: str | int = "fiddle"  # a name of render.midi.INSTRUMENTS or a GM number 1-128
    accompaniment: str = "none"  # none, drone or chords
    accents: bool = True  # beat accents in the velocities
    repeats: str = "expand"  # expand (as abc2midi plays them) or once
    swing: bool = True  # swing hornpipes' quaver pairs 2:1, as abc2midi does (False: as written)
    tempo: float | None = None  # crotchets a minute, overriding Q:
    soundfont: str | None = None  # SF2 for audio (None: render.audio.find_soundfont's)
    flac: bool = False  # audio as FLAC instead of WAV
    max_audio_minutes: float = MAX_AUDIO_MINUTES  # longer tunes get no audio

    def __post_init__(self) -> None:
        if not 0 < self.max_audio_minutes <= 24 * 60:  # NaN fails too
            raise RenderError(f"--max-audio-minutes must be above 0 and at most a day, "
                              f"not {self.max_audio_minutes}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RenderOptions":
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise FolkrnnError(f"unknown render option {unknown[0]!r}; use {', '.join(sorted(names))}")
        return cls(**d)


class TuneWork:
    """One tune being rendered: what several formats share (the MIDI file) is made once."""

    def __init__(self, tune: Tune, options: RenderOptions) -> None:
        self.tune, self.options = tune, options

    @cached_property
    def midi(self):
        """The tune's mido.MidiFile."""
        from folkrnn.render.events import EventOptions, tune_events
        from folkrnn.render.midi import MidiOptions, write_midi

        o = self.options
        events = tune_events(self.tune, EventOptions(repeats=o.repeats, swing=o.swing, tempo=o.tempo))
        return write_midi(events, None, MidiOptions(o.instrument, o.accompaniment, o.accents))


@dataclass(frozen=True)
class Format:
    """An output format: `write(work, folder, stem)` writes the file atomically, returns its path."""

    name: str  # as --formats spells it
    extension: str
    label: str  # for people: links, help
    needs: str  # what must be installed, for messages ("" when nothing)
    write: Callable[[TuneWork, Path, str], Path]
    preflight: Callable[[RenderOptions], None]  # raises FolkrnnError when `needs` is missing


def _write_abc(work: TuneWork, folder: Path, stem: str) -> Path:
    from folkrnn.atomic import atomic_write_text

    return atomic_write_text(folder / f"{stem}.abc", tune_text(work.tune))


def _write_mid(work: TuneWork, folder: Path, stem: str) -> Path:
    from folkrnn.render.midi import save_midi

    return save_midi(work.midi, folder / f"{stem}.mid")


def _write_audio(work: TuneWork, folder: Path, stem: str) -> Path:
    from folkrnn.render.audio import midi_to_wav

    ext = "flac" if work.options.flac else "wav"
    return midi_to_wav(work.midi, folder / f"{stem}.{ext}", work.options.soundfont,
                       max_minutes=work.options.max_audio_minutes)


def _write_svg(work: TuneWork, folder: Path, stem: str) -> Path:
    from folkrnn.render.svg import tune_to_svg

    return tune_to_svg(work.tune, folder / f"{stem}.svg")


def _nothing(options: RenderOptions) -> None:
    pass


def _audio_ready(options: RenderOptions) -> None:
    from folkrnn.render.audio import _fluidsynth, find_soundfont

    _fluidsynth()
    find_soundfont(options.soundfont)


def _abcm2ps_ready(options: RenderOptions) -> None:
    from folkrnn.render.svg import abcm2ps_available

    if not abcm2ps_available():
        raise RenderError("abcm2ps is not installed, so there is no sheet music; install it "
                          "with `apt-get install abcm2ps` or leave svg out of --formats")


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("abc", "abc", "ABC", "", _write_abc, _nothing),
    Format("mid", "mid", "MIDI", "", _write_mid, _nothing),
    Format("wav", "wav", "WAV", "FluidSynth and a soundfont", _write_audio, _audio_ready),
    Format("svg", "svg", "SVG", "abcm2ps", _write_svg, _abcm2ps_ready),
)}


def check_formats(formats) -> list[str]:
    """The formats in registry order; FolkrnnError for a name that is not one."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise FolkrnnError(f"unknown format {sorted(unknown)[0]!r}; choose from {', '.join(FORMATS)}")
    return [name for name in FORMATS if name in formats]


def parse_formats(text: str) -> list[str]:
    """`"abc,mid"` -> ["abc", "mid"]; "none" -> []."""
    return check_formats(set() if text == "none" else {f.strip() for f in text.split(",") if f.strip()})


def preflight(formats, options: RenderOptions = RenderOptions()) -> None:
    """Fail at once, not on every tune, when a format's tool is missing."""
    for name in check_formats(formats):
        FORMATS[name].preflight(options)

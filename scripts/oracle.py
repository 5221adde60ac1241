"""abc2midi as the oracle: run it, read its notes back, and compare ours with them.

abc2midi delays every note-on by one tick (its note-offs are exact) and starts
the notes of a chord 10 ticks apart; `abc2midi_notes` undoes both, so that
notes compare as (pitch, onset, end) in ticks of 480 to the crotchet.
"""
from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import mido

from folkrnn.abc.reader import Tune
from folkrnn.errors import RenderError
from folkrnn.render.events import EventOptions, tune_events

TICKS = 480  # per crotchet, as abc2midi writes
CHORD_DELAY = 10  # abc2midi's `notedelay` between the notes of a chord
# abc2midi's own defaults: 120 crotchets a minute, hornpipes swung
ABC2MIDI_OPTIONS = EventOptions(default_tempo=120, swing=True)

Note3 = tuple[int, int, int]  # pitch, onset tick, end tick


def abc2midi_available() -> bool:
    return shutil.which("abc2midi") is not None


def run_abc2midi(abc_path: str | Path, out_dir: str | Path, timeout: float = 120) -> dict[int, Path]:
    """Run abc2midi on a whole file (one process); returns X number -> MIDI file.

    Raises:
        RenderError: abc2midi is not installed.
    """
    if not abc2midi_available():
        raise RenderError("abc2midi is not installed; install it with `apt-get install abcmidi`")
    out_dir = Path(out_dir)
    # abc2midi writes beside its input, so it reads a copy in out_dir
    local = out_dir / "tunes.abc"
    shutil.copyfile(abc_path, local)
    subprocess.run(["abc2midi", local.name, "-NGUI", "-silent", "-quiet"],
                   cwd=out_dir, capture_output=True, timeout=timeout, check=False)
    stem = local.stem
    out = {}
    for p in out_dir.glob(f"{stem}*.mid"):
        tail = p.stem[len(stem):]
        if tail.isdigit():
            out[int(tail)] = p
    return out


def abc2midi_notes(path: str | Path) -> list[Note3]:
    """Every note abc2midi wrote (drums aside), its delays undone, sorted."""
    out: list[Note3] = []
    for track in mido.MidiFile(str(path)).tracks:
        out.extend(_track_notes(track))
    return sorted(out)


def _track_notes(track: mido.MidiTrack) -> list[Note3]:
    t, chord_start, last_on, since_off = 0, 0, -100, True
    open_: dict[tuple[int, int], list[int]] = {}
    out = []
    for msg in track:
        t += msg.time
        if msg.type == "note_on" and msg.velocity > 0 and msg.channel != 9:
            in_chord = not since_off and t - last_on == CHORD_DELAY
            chord_start = chord_start if in_chord else t - 1
            open_.setdefault((msg.channel, msg.note), []).append(chord_start)
            last_on, since_off = t, False
        elif msg.type in ("note_on", "note_off") and msg.channel != 9:
            starts = open_.get((msg.channel, msg.note))
            if starts:
                out.append((msg.note, starts.pop(0), t))
            since_off = True
    return out


def our_notes(tune: Tune, options: EventOptions = ABC2MIDI_OPTIONS) -> list[Note3]:
    """Our events as (pitch, onset tick, end tick)."""
    ev = tune_events(tune, options)
    return sorted((n.pitch, _tick(n.onset), _tick(n.end)) for n in ev.notes)


def _tick(t: Fraction) -> int:
    n, d = t.numerator * 4 * TICKS, t.denominator
    return (2 * n + d) // (2 * d)


def first_difference(ours: list[Note3], theirs: list[Note3], tolerance: int = 2) -> str | None:
    """None when the notes agree (times within `tolerance` ticks), else the first difference."""
    a = sorted(ours, key=lambda n: (n[1], n[0]))
    b = sorted(theirs, key=lambda n: (n[1], n[0]))
    for k, (x, y) in enumerate(zip(a, b)):
        if x[0] != y[0] or abs(x[1] - y[1]) > tolerance or abs(x[2] - y[2]) > tolerance:
            return f"note {k}: ours {_show(x)}, abc2midi {_show(y)}"
    if len(a) != len(b):
        k = min(len(a), len(b))
        extra = a[k] if len(a) > k else b[k]
        return f"{len(a)} notes, abc2midi {len(b)}; first extra {_show(extra)}"
    return None


def _show(n: Note3) -> str:
    return f"pitch {n[0]} at crotchet {n[1] / TICKS:g} to {n[2] / TICKS:g}"

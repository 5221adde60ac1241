"""One harmony a bar for the accompaniment: the tune's chord symbols, else the best-fitting triad.

The fit of a triad is the time the bar's melody spends on its notes, the
notes on main beats counting one and a half times, plus a small preference
for the tonic, dominant and subdominant.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from fractions import Fraction

from folkrnn.abc.keys import NATURAL_SEMITONE, Key
from folkrnn.abc.meter import Meter
from folkrnn.render.events import TuneEvents, main_beat

# semitones of each mode's scale
SCALES = {"maj": (0, 2, 4, 5, 7, 9, 11), "min": (0, 2, 3, 5, 7, 8, 10), "dor": (0, 2, 3, 5, 7, 9, 10),
          "mix": (0, 2, 4, 5, 7, 9, 10), "lyd": (0, 2, 4, 6, 7, 9, 11), "phr": (0, 1, 3, 5, 7, 8, 10),
          "loc": (0, 1, 3, 5, 6, 8, 10)}
# preference (in bar lengths) for chords on scale degrees I, IV, V and the others
DEGREE_PRIOR = {0: 0.3, 4: 0.2, 3: 0.15, 5: 0.05, 1: 0.03, 6: 0.02, 2: 0.0}
QUALITIES = {"": (0, 4, 7), "m": (0, 3, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8),
             "maj": (0, 4, 7), "sus4": (0, 5, 7), "sus2": (0, 2, 7), "sus": (0, 5, 7)}
_CHORD_RE = re.compile(r"([A-G])([#b]?)(maj|min|m|dim|aug|sus4|sus2|sus)?(7)?(?:/([A-G])([#b]?))?")


@dataclass(frozen=True)
class Harmony:
    """A bass note and chord pitches (MIDI numbers)."""

    bass: int
    chord: tuple[int, ...]


def triad(root_pc: int, intervals: tuple[int, ...], bass_pc: int | None = None) -> Harmony:
    """Chord in root position from C3 up, bass in the second octave."""
    root = 48 + root_pc % 12
    bass = 36 + (root_pc if bass_pc is None else bass_pc) % 12
    return Harmony(bass, tuple(root + i for i in intervals))


def parse_chord_symbol(text: str) -> Harmony | None:
    """`G`, `Am`, `D7`, `Bbmaj`, `C/E` -> a Harmony; None for text that is no chord."""
    m = _CHORD_RE.fullmatch(text.strip().strip("()"))
    if not m:
        return None
    root = NATURAL_SEMITONE[m[1]] + {"#": 1, "b": -1, "": 0}[m[2]]
    intervals = QUALITIES[m[3] or ""] + ((10,) if m[4] else ())
    bass = NATURAL_SEMITONE[m[5]] + {"#": 1, "b": -1, "": 0}[m[6]] if m[5] else None
    return triad(root, intervals, bass)


def diatonic_triads(key: Key) -> list[tuple[int, Harmony]]:
    """(scale degree, triad) for the key's mode, diminished triads left out."""
    scale = SCALES.get(key.mode, SCALES["maj"])
    out = []
    for d in range(7):
        notes = [scale[(d + k) % 7] + 12 * ((d + k) // 7) for k in (0, 2, 4)]
        intervals = tuple(n - notes[0] for n in notes)
        if intervals[2] == 7:
            out.append((d, triad(key.tonic_semitone + notes[0], intervals)))
    return out


def bar_harmonies(events: TuneEvents) -> list[tuple[Fraction, Fraction, Meter, Harmony]]:
    """(start, end, meter, harmony) for each bar of the tune as played."""
    edges = sorted({Fraction(0), *events.bars, events.length})
    out = []
    chord_times = [t for t, _ in events.chords]
    for start, end in zip(edges, edges[1:]):
        meter = _at(events.meters, start)
        key = _at(events.keys, start)
        h = _symbol_at(events, chord_times, start, end) or best_triad(events, key, start, end, meter)
        out.append((start, end, meter, h))
    return out


def _at(changes: list, t: Fraction):
    """The value in force at t from a sorted (time, value) list."""
    k = bisect_right([c[0] for c in changes], t) - 1
    return changes[max(k, 0)][1]


def _symbol_at(events: TuneEvents, times: list[Fraction], start: Fraction,
               end: Fraction) -> Harmony | None:
    if not times:
        return None
    k = bisect_right(times, start) - 1
    if k < 0 or (k + 1 < len(times) and times[k + 1] < end and times[k] < start):
        k += 1  # a symbol inside this bar beats one carried over from before
    k = min(max(k, 0), len(times) - 1)
    return parse_chord_symbol(events.chords[k][1])


def best_triad(events: TuneEvents, key: Key, start: Fraction, end: Fraction, meter: Meter) -> Harmony:
    """The diatonic triad the melody of [start, end) fits best."""
    weights = [0.0] * 12
    beat = main_beat(meter)
    for n in events.notes:
        if n.voice or n.is_grace or n.end <= start or n.onset >= end:
            continue
        w = float(min(n.end, end) - max(n.onset, start))
        weights[n.pitch % 12] += w * (1.5 if ((n.onset - start) / beat).denominator == 1 else 1.0)
    span = float(end - start)
    scored = [(sum(weights[p % 12] for p in h.chord) + DEGREE_PRIOR[d] * span, -d, h)
              for d, h in diatonic_triads(key)]
    return max(scored, key=lambda s: (s[0], s[1]))[2]

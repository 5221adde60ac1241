"""The playable range: every note within the fiddle's compass in the key the tune will be
written in. Mixed into `TuneState`; it uses the state's fields."""
from __future__ import annotations

import torch

from folkrnn.abc.keys import LETTERS, Key, parse_key
from folkrnn.abc.pitch import PLAYABLE
from folkrnn.abc.symbols import midi_number
from folkrnn.abc.transpose import interval

# the key a tune comes out in when none is asked: common fiddle keys per mode
DEFAULT_KEY = {"maj": "D", "min": "Em", "dor": "Ador", "mix": "Amix", "phr": "Ephr",
               "lyd": "Dlyd", "loc": "Bloc"}
OCTAVE_SHIFTS = ((0, 0), (12, 7), (-12, -7))  # (semitones, letter steps) to_abc may add


def output_interval(mode: str, key: Key | None) -> tuple[Key, int, int]:
    """The key a tune written in C `mode` comes out in (`key`, or DEFAULT_KEY's) and the
    (semitones, letter steps) there; `to_abc` may move it a further octave either way."""
    target = key or parse_key(DEFAULT_KEY[mode])
    semis, steps = interval(Key("C", 0, mode), target.tonic, target.tonic_acc)
    return target, semis, steps


class RangeRules:
    """Every note within `abc.pitch.PLAYABLE` (G3..A6, the fiddle's and the flute's compass)
    once `generate.output.to_abc` moves the tune from C to its key, an octave up or down as fits
    best; mixed into `TuneState`. A pitch is refused when no such octave would hold the
    tune with it. Forced (primed) notes are never refused, and a prime already too wide
    for any octave turns the rule off: the checker reports the tune instead."""

    def _set_shifts(self, mode: str) -> None:
        """The semitones `to_abc` may move the tune by, once the mode is known."""
        _, semis, _ = output_interval(mode, self.header.key)
        self.shifts = tuple(semis + octave for octave, _ in OCTAVE_SHIFTS)

    def _hear(self, pitch: tuple[str, int, int]) -> None:
        midi = midi_number(*pitch)
        self.lowest = midi if self.lowest is None else min(self.lowest, midi)
        self.highest = midi if self.highest is None else max(self.highest, midi)

    def _range_bounds(self) -> tuple[int, int] | None:
        """The lowest and highest MIDI numbers (in C) a note may now have; None: any."""
        if self.primed or not self.shifts:
            return None
        low, high = PLAYABLE
        fits = [s for s in self.shifts
                if self.lowest is None or (low <= self.lowest + s and self.highest + s <= high)]
        if not fits:
            return None
        lo, hi = low - max(fits), high - min(fits)  # the notes some fitting octave still holds
        v = self.v
        if lo <= v.pitch_span[0] and v.pitch_span[1] <= hi:
            return None
        return lo, hi

    def _in_force(self) -> tuple[int, ...]:
        """The alteration each letter sounds now (the bar's accidental, else the key's)."""
        return tuple([self.carried.get(x, self.signature[x]) for x in LETTERS])

    def _range_refused(self) -> torch.Tensor | None:
        """Bool mask [V] of the pitch tokens refused now (None: none are)."""
        bounds = self._range_bounds()
        if bounds is None:
            return None
        lo, hi = bounds
        v = self.v
        in_force = self._in_force()
        refused = v.range_cache.get((lo, hi, in_force))
        if refused is None:
            alt = torch.tensor(in_force)[v.pitch_letter]
            midi = v.pitch_natural + torch.where(v.pitch_written, v.pitch_acc, alt)
            refused = v.none.clone()
            refused[v.pitch_ids[(midi < lo) | (midi > hi)]] = True
            v.range_cache[(lo, hi, in_force)] = refused
        return refused

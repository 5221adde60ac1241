"""Ties: a tie `-` is followed by the same pitch (abc2midi: "Could not find note to be
tied" otherwise): the same letter and octave sounding the same alteration, with only `|`
or `||` between; across the bar line that means writing the accidental the bar had
carried (`^f f-|^f`). Mixed into `TuneState`; it uses the state's fields."""
from __future__ import annotations

import torch

from folkrnn.generate.constraints.tokens import ENDING_ZONE

TIE_MARGIN = 8  # a tie needs a few steps before the ending zone to reach its note
TIE_BARS = ("|", "||")  # bar lines a tie may cross (not repeats: the tie would go nowhere)


class TieRules:
    """Ties: the note after `-` sounds the tied pitch; mixed into `TuneState`."""

    def _tie_possible(self, committed: int, steps_left: int) -> bool:
        """A tie only where its note can follow: in this bar, or across a plain bar line
        in a spelling the vocabulary has."""
        if self.pending is None or self.is_rest or self.tied or steps_left <= ENDING_ZONE + TIE_MARGIN:
            return False
        if self._note_fits(committed):
            return True  # the same token again, in this bar, sounds the same pitch
        return self._crossing_ok(self.open_pitches) and self._bar_ok("|", committed, steps_left)

    def _crossing_ok(self, pitches: tuple) -> bool:
        """Every tied pitch can be spelled in the next bar (its accidentals forgotten)."""
        return all(self._spell(p, {}).any() for p in pitches)

    def _spell(self, pitch: tuple, carried: dict) -> torch.Tensor:
        """The pitch tokens on this letter and octave that sound `pitch`'s alteration."""
        letter, octave, alt = pitch
        m = self.v.none.clone()
        for i, acc in self.v.spellings.get((letter, octave), ()):
            m[i] = (acc if acc is not None else carried.get(letter, self.signature[letter])) == alt
        return m

    def _tie_mask(self, m: torch.Tensor) -> torch.Tensor:
        """`m` narrowed after a tie: the next note or chord repeats the tied pitches."""
        v, k = self.v, self.in_chord
        if k >= 0:  # inside the chord after a tied chord: the same notes in the same order
            return m & (self._spell(self.tie_to[k], self.carried) if k < len(self.tie_to) else v.one("]"))
        keep = m & v.tie_free
        keep |= m & (self._spell(self.tie_to[0], self.carried) if len(self.tie_to) == 1 else v.one("["))
        if self._crossing_ok(self.tie_to):
            for tok in TIE_BARS:
                keep |= m & v.one(tok)
        return keep

    def _read_pitch(self, tok: str) -> tuple[str, int, int]:
        """(letter, octave, sounding alteration) of a pitch token; records its accidental."""
        n = self.v.notes[self.v.index[tok]]
        if n.accidental is not None:
            self.carried = {**self.carried, n.letter: n.accidental}
        return n.letter, n.octave, self.carried.get(n.letter, self.signature[n.letter])

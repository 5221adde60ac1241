"""Parts of a set number of bars (`part_bars`, 0: off): a section closes exactly at its
count, counted as `folkrnn measure` counts (`abc/sections.py`). Mixed into `TuneState`; it
uses the state's fields.

- A bar counts in its part unless it is the part's short first bar (a pickup); a short
  closing bar counts. Bars are counted as they close.
- A plain `|` may close a bar only while the part is short of its count; a section bar line
  (`||`, `|]`, `|:`, `:|`, `::`, `:|2`) only at the count, or `|:` after nothing but a
  pickup (the tune's or a part's); a first ending `|1` only one or two bars before it.
- A second ending replaces the first: after `:|2` the count goes back to where `|1` was.
- The bar that closes a part with a repeat back to a pickup is aimed short from its start
  (as `BarRules._aim_short` does near the length cap), so the pickup can make it up.
- The part's last beat sounds the tonic: in the last bar, a note that starts within half a
  beat of the bar's end is a C (the model writes every tune in C, `abc.normalise`), no rest
  there, and no tie or chord in that bar. A note that starts earlier may still sound on to
  the end (so most parts, not all, end on the tonic).
- The tune may end only where a part has just closed, and must end there when, at its pace
  so far, a repeated part would not fit before the length cap (nor may a part then close
  with `|:` or `::`, which open another).
The rules are off while a prime is forced (its bars are counted; a part it leaves longer
than N closes at its next bar line) and near the length cap (`ENDING_ZONE`), where closing
whatever is open comes first.
"""
from __future__ import annotations

from fractions import Fraction

from folkrnn.generate.constraints.bars import SHORT_BARS
from folkrnn.generate.constraints.tokens import ENDING_ZONE

PART_BARS = (4, 8, 16)  # the counts a part may be asked for
CLOSING = SHORT_BARS  # the section bar lines: `||`, `|]`, `|:`, `:|`, `::`, `:|2`


class FormRules:
    """The part-length masks and steps of `TuneState`."""

    @property
    def beat_len(self) -> Fraction:
        """The meter's beat in eighths (the state's unit)."""
        return self.meter.beat * 8 if self.meter else Fraction(2)

    def _form_on(self, steps_left: int) -> bool:
        return bool(self.part_bars) and not self.primed and steps_left >= ENDING_ZONE

    def _counted(self, length: Fraction) -> int:
        """1 when a bar of `length` closing now counts in its part (0: the part's pickup, a
        short first bar)."""
        return 0 if not self.part_started and length < self.bar_len else 1

    def _room_for_part(self, steps_left: int) -> bool:
        """A repeated part fits before the ending zone, at the tokens a bar has taken so far."""
        per_bar = self.body_steps / self.bars if self.bars else 0
        return steps_left - ENDING_ZONE > per_bar * self.part_bars * 2

    def _form_ok(self, tok: str, committed: Fraction, steps_left: int) -> bool:
        if not self._form_on(steps_left):
            return True
        n, total = self.part_count + self._counted(committed), self.part_bars
        if tok == "|":
            return n < total
        if tok == "|1":
            return total - 2 <= n < total
        if tok == "|:" and n == 0 and not self.part_started:
            return True
        if tok in ("|:", "::") and not self._room_for_part(steps_left):
            return False
        return tok in CLOSING and n >= total

    def _aim_part(self, steps_left: int) -> None:
        """Aim the part's last bar short when a repeat back to a pickup must close it."""
        if self._form_on(steps_left) and self.part_count == self.part_bars - 1:
            self._aim_at_pickup()

    def _cadence(self, m, committed: Fraction, steps_left: int) -> None:
        """In a part's last beat, only the tonic may start (`m` is changed in place)."""
        if not (self._form_on(steps_left) and self.part_count == self.part_bars - 1):
            return
        v = self.v
        for tok in ("-", "["):
            if tok in v.index:
                m[v.index[tok]] = False
        if self.limit - committed <= self.beat_len / 2:
            tonic = v.tonic_natural | (v.tonic_plain if self.carried.get("C") in (None, 0) else v.none)
            m &= ~(v.pitch | v.one("z")) | tonic

    def _count_bar(self, tok: str, length: Fraction) -> None:
        """Count the bar of `length` that `tok` closes (0 when no bar was open)."""
        n = self.part_count + (self._counted(length) if length else 0)
        if tok == ":|2":
            self.part_count = self.ending_from
        elif tok in CLOSING:
            self.part_count, self.part_started = 0, False
        else:
            self.part_count, self.part_started = n, self.part_started or bool(length)
            if tok == "|1":
                self.ending_from = n

    def _part_closed(self, steps_left: int) -> bool:
        return not self._form_on(steps_left) or (self.part_count == 0 and not self.part_started)

    def _end_now(self, steps_left: int) -> bool:
        """A part has just closed and another would not fit: the tune ends here."""
        return (self._form_on(steps_left) and self.bars > 0 and self._part_closed(steps_left)
                and not self._room_for_part(steps_left))

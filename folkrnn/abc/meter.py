"""Meters (`M:`) and unit note lengths (`L:`).

The one place for what a meter is: its bar, whether it is compound, and its beat.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from folkrnn.errors import UnknownMeterError

_METER_RE = re.compile(r"^\(?(\d+(?:\+\d+)*)\)?/(\d+)$")


@dataclass(frozen=True)
class Meter:
    """A time signature; `num/den` of a whole note per bar."""

    num: int
    den: int

    @property
    def bar_length(self) -> Fraction:
        """Length of a full bar in whole notes."""
        return Fraction(self.num, self.den)

    @property
    def in_threes(self) -> bool:
        """The numerator is a multiple of 3: 3/4, 3/8 and 3/2 as well as 6/8, 9/8, 12/8.

        abc2midi gives `(5`, `(7`, `(9` a q of 3 in these meters (see `lengths.default_q`)."""
        return self.num % 3 == 0

    @property
    def compound(self) -> bool:
        """6/8, 9/8, 12/8 (and 6/4, 9/4, 6/16): beats of three notes, the numerator a multiple
        of 3 above 3.

        ABC 2.1 (4.13, tuplets) calls these compound and 3/8, 3/4 simple: a bar of three
        notes is three beats or one, never beats of three. abc2midi's tuplet rule is wider
        (`in_threes`)."""
        return self.in_threes and self.num > 3

    @property
    def beat(self) -> Fraction:
        """The length a beat has (whole notes): three of the denominator's notes in a compound
        meter (6/8: a dotted crotchet), one bar in 3/8 and 3/16 (three short notes are counted
        in one), else one of the denominator's notes (3/4: a crotchet)."""
        if self.compound:
            return Fraction(3, self.den)
        if self.num == 3 and self.den >= 8:
            return self.bar_length
        return Fraction(1, self.den)

    def __str__(self) -> str:
        return f"{self.num}/{self.den}"


MAX_BEATS = 64  # the most beats a bar may have (`M:64/8`); a longer bar is no meter
MAX_UNIT_NUMERATOR, MAX_UNIT_DIVISOR = 16, 512  # `L:16/1` .. `L:1/512`


def parse_meter(text: str) -> Meter | None:
    """Parse an `M:` value: `6/8`, `C` (4/4), `C|` (2/2), `(2+3)/8`; `none` gives None.

    Raises:
        UnknownMeterError: for anything else.
    """
    t = text.split("%")[0].strip().replace(" ", "")
    shown = text.strip()[:24]
    if t.lower() in ("none", ""):
        return None
    if t == "C":
        return Meter(4, 4)
    if t == "C|":
        return Meter(2, 2)
    m = _METER_RE.match(t)
    if not m or m[2] not in ("1", "2", "4", "8", "16", "32", "64"):
        raise UnknownMeterError(f"unknown meter {shown!r}; write it as N/D, C or C|")
    parts = m[1].split("+")
    num = sum(int(x) for x in parts) if len(parts) <= MAX_BEATS and max(map(len, parts)) <= 3 else 0
    if not 0 < num <= MAX_BEATS:
        raise UnknownMeterError(f"unknown meter {shown!r}; a bar must have 1 to {MAX_BEATS} beats")
    return Meter(num, int(m[2]))


def parse_unit(text: str) -> Fraction:
    """Parse an `L:` value such as `1/8`.

    Raises:
        UnknownMeterError: for a value that is not a fraction of a whole note.
    """
    t = text.split("%")[0].strip()
    m = re.match(r"^(\d+)/(\d+)$", t) or re.match(r"^(1)$", t)
    if (not m or len(t) > 9 or not 0 < int(m[1]) <= MAX_UNIT_NUMERATOR
            or (m.lastindex == 2 and not 0 < int(m[2]) <= MAX_UNIT_DIVISOR)):
        raise UnknownMeterError(f"unknown unit note length L:{t[:24]!r}; write it as 1/8, 1/16, ... "
                                f"(at most {MAX_UNIT_NUMERATOR}/1 and 1/{MAX_UNIT_DIVISOR})")
    return Fraction(int(m[1]), int(m[2]) if m.lastindex == 2 else 1)


def default_unit(meter: Meter | None) -> Fraction:
    """ABC's default L: below 3/4 it is 1/16, else 1/8."""
    if meter is not None and meter.bar_length < Fraction(3, 4):
        return Fraction(1, 16)
    return Fraction(1, 8)

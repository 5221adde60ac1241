"""Meters (`M:`) and unit note lengths (`L:`)."""
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

    def __str__(self) -> str:
        return f"{self.num}/{self.den}"


def parse_meter(text: str) -> Meter | None:
    """Parse an `M:` value: `6/8`, `C` (4/4), `C|` (2/2), `(2+3)/8`; `none` gives None.

    Raises:
        UnknownMeterError: for anything else.
    """
    t = text.split("%")[0].strip().replace(" ", "")
    if t.lower() in ("none", ""):
        return None
    if t == "C":
        return Meter(4, 4)
    if t == "C|":
        return Meter(2, 2)
    m = _METER_RE.match(t)
    if not m or int(m[2]) == 0 or m[2] not in ("1", "2", "4", "8", "16", "32", "64"):
        raise UnknownMeterError(f"unknown meter {text.strip()!r}; write it as N/D, C or C|")
    num = sum(int(x) for x in m[1].split("+"))
    if num == 0:
        raise UnknownMeterError(f"unknown meter {text.strip()!r}; a bar must have beats")
    return Meter(num, int(m[2]))


def parse_unit(text: str) -> Fraction:
    """Parse an `L:` value such as `1/8`.

    Raises:
        UnknownMeterError: for a value that is not a fraction of a whole note.
    """
    t = text.split("%")[0].strip()
    m = re.match(r"^(\d+)/(\d+)$", t) or re.match(r"^(1)$", t)
    if not m or (m.lastindex == 2 and int(m[2]) == 0):
        raise UnknownMeterError(f"unknown unit note length L:{t!r}; write it as 1/8, 1/16, ...")
    return Fraction(int(m[1]), int(m[2]) if m.lastindex == 2 else 1)


def default_unit(meter: Meter | None) -> Fraction:
    """ABC's default L: below 3/4 it is 1/16, else 1/8."""
    if meter is not None and meter.bar_length < Fraction(3, 4):
        return Fraction(1, 16)
    return Fraction(1, 8)

"""Time on an integer grid for the interpreter: `WHOLE` ticks to a whole note.

`WHOLE` is eight of `abc.lengths.TICKS` (2^9 * 315 to an eighth), so every length a tune
is likely to hold — binary divisions to 1/4096 of a whole note, triplets, quintuplets,
septuplets, nonuplets, a broken rhythm's parts, a grace note's quarter, a roll's fifth —
is a whole number of ticks, and the interpreter adds and compares `int`s instead of
`Fraction`s. A length off the grid (an `(11` tuplet, `L:1/3`) stays exact as a `Fraction`
of ticks: the arithmetic is the same, only slower.
"""
from __future__ import annotations

import functools
from fractions import Fraction

from folkrnn.abc.lengths import TICKS

WHOLE = 8 * TICKS


@functools.lru_cache(maxsize=4096)
def from_whole(length: Fraction) -> int | Fraction:
    """Whole notes -> ticks: an `int` on the grid, else a `Fraction`."""
    t = length * WHOLE
    return t.numerator if t.denominator == 1 else t


def div(t: int | Fraction, k: int) -> int | Fraction:
    """`t / k` ticks, an `int` when it divides."""
    if isinstance(t, int):
        q, r = divmod(t, k)
        return q if not r else Fraction(t, k)
    return t / k


def whole(t: int | Fraction) -> Fraction:
    """Ticks -> whole notes."""
    return Fraction(t, WHOLE) if isinstance(t, int) else t / WHOLE

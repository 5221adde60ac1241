"""Lengths and tuplets as numbers: a written length's multiplier, a tuplet's (p, q, r),
the q of a tuplet written without one (`default_q`), the limits on both, and lengths as
integer ticks (`TICKS` to an eighth, for the code that counts a token at a time).

A zero length, a number of more than `MAX_DIGITS` digits, or a tuplet's q or r of 0 or
over `MAX_TUPLET` is an `AbcLimitError` (unlocated: the lexer adds the place).
"""
from __future__ import annotations

import functools
import re
from fractions import Fraction

from folkrnn.abc.meter import Meter
from folkrnn.abc.symbols import TUPLET, Sym
from folkrnn.errors import AbcLimitError

# more digits than any sane length, tuplet or bar count has; refused before int() (Python
# itself refuses to convert over 4,300 digits, and a long number costs time to convert)
MAX_DIGITS = 6
MAX_TUPLET = 32  # the most a tuplet's q (the time of p notes) or r (the notes it spans) may be

# the q of tuplet p written without one, with r = p (ABC 2.1, 4.13); 5, 7, 9: see default_q
FIXED_Q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}
_Q_WRITTEN = re.compile(r"\(\d:\d")
# Ticks to an eighth (`L:1/8`). A length the constraints allow has a divisor of at most 2**6
# (abc2midi wants powers of 2), a tuplet divides by p <= 9, a broken rhythm by up to 8 and
# the tuplet rule halves: 2**9 * 315 (315 = 9 * 5 * 7) keeps every product of them whole
# (`generate.constraints.Vocab` checks its own lengths and tuplets).
TICKS = 2**9 * 315


def default_q(p: int, meter: Meter | None) -> int:
    """The q of a tuplet `(p` written without one: fixed for 2, 3, 4, 6, 8 (`FIXED_Q`); for
    5, 7, 9 it is 3 when the header's meter is `in_threes` and 2 otherwise.

    ABC 2.1 (4.13) says 3 in compound meters (`Meter.compound`) and leaves the meter in
    force to decide. abc2midi, which plays what we read and write, takes 3 whenever the
    header's numerator is a multiple of 3 (3/4, 3/8 and 3/2 too) and ignores later `M:`
    fields; the model, the renderer and the constraints follow abc2midi, so that a bar we
    count full is a bar it plays full."""
    if p in FIXED_Q:
        return FIXED_Q[p]
    return 3 if meter is not None and meter.in_threes else 2


def tuplet_value(m: re.Match, meter: Meter | None) -> tuple[int, int, int]:
    """(p, q, r) of a `TUPLET` match, q and r filled in as written without them."""
    p = int(m["p"])
    q = number(m["q"], "a tuplet's q") if m["q"] else default_q(p, meter)
    r = number(m["r"], "a tuplet's r") if m["r"] else p
    if not (0 < q <= MAX_TUPLET and 0 < r <= MAX_TUPLET):
        raise AbcLimitError(f"the tuplet {m[0]} cannot be played: q and r must be 1 to {MAX_TUPLET}")
    return p, q, r


def resolve_tuplets(syms: list[Sym], meter: Meter | None) -> list[Sym]:
    """`syms` with the q of each `(5`, `(7`, `(9` written without one taken from the
    header's `meter` (see `default_q`), where `lex_line`, reading a line alone, assumed
    a simple meter."""
    out = []
    for s in syms:
        if s.kind == TUPLET and s.value[0] not in FIXED_Q and not _Q_WRITTEN.match(s.text):
            p, _, r = s.value
            s = s.with_(value=(p, default_q(p, meter), r))
        out.append(s)
    return out


def number(digits: str, what: str) -> int:
    """int(`digits`), refusing more than MAX_DIGITS of them (an `AbcLimitError`)."""
    if len(digits) > MAX_DIGITS:
        raise AbcLimitError(f"{what} {digits[:12]}{'...' if len(digits) > 12 else ''} is beyond "
                            f"any tune (more than {MAX_DIGITS} digits)")
    return int(digits)


@functools.lru_cache(maxsize=1024)
def parse_length(num: str | None, slash: str | None, den: str | None) -> Fraction:
    """`3`, `/`, `//`, `/4`, `3/2` -> Fraction multiplier.

    Raises:
        AbcLimitError: a zero length (`0`, `/0`) or more than MAX_DIGITS digits.
    """
    n = number(num, "a length") if num else 1
    d = number(den, "a length's divisor") if den else 1
    if n == 0 or d == 0:
        raise AbcLimitError(f"a length of zero ({num or ''}{slash or ''}{den or ''}) cannot be played")
    if not slash:
        return Fraction(n)
    if not den:
        return Fraction(n, 2 ** len(slash))
    return Fraction(n, d * 2 ** (len(slash) - 1))


def to_ticks(length: Fraction) -> int:
    """A length in eighths as ticks (ValueError: not a whole number of them)."""
    t = length * TICKS
    if t.denominator != 1:
        raise ValueError(f"the length {length} is not a whole number of ticks")
    return t.numerator


def floor_ticks(length: Fraction) -> int:
    """A length in eighths as ticks, rounded down (a length no count here needs exactly)."""
    return length.numerator * TICKS // length.denominator


def times(ticks: int, mult: Fraction | int) -> int:
    """A length in ticks scaled by a tuplet's or a broken rhythm's multiplier (whole for the
    lengths `TICKS` holds; rounded down where a stream mixes them past that); the plain
    multiplier may be the int 1."""
    if mult.__class__ is int:
        return ticks * mult
    return ticks * mult.numerator // mult.denominator

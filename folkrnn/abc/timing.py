"""Time in the ABC model: the real length of each symbol, bar lengths, and the bar rule.

Lengths here are in whole notes (a crotchet is 1/4), after `L:`, broken
rhythm (`>`, `<`, `>>`) and tuplets (`(p:q:r`) are applied.

The one place for the broken-rhythm ratios (`BROKEN_RATIOS`, `HORNPIPE_BROKEN`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from folkrnn.abc.meter import Meter, parse_meter, parse_unit
from folkrnn.abc.symbols import BAR, BROKEN, CHORD, ENDING, FIELD, NOTE, REST, TUPLET, Sym

# broken rhythm: the factors of the (first, second) note by the number of `>` (3:1, 7:1,
# 15:1; ABC 2.1, 4.4, and abc2midi); `<` is the mirror. abc2midi plays `>` in an
# `R:hornpipe` as 2:1 (`HORNPIPE_BROKEN`; its automatic swing uses the same ratio).
BROKEN_RATIOS = {1: (Fraction(3, 2), Fraction(1, 2)), 2: (Fraction(7, 4), Fraction(1, 4)),
                 3: (Fraction(15, 8), Fraction(1, 8))}
HORNPIPE_BROKEN = (Fraction(4, 3), Fraction(2, 3))
SECTION_BARS = {"||", "|]", "[|", "|:", ":|", "::"}
# where a `:|` goes back to: `|:`, `::`, or (no `|:` written) the last section bar line,
# as abc2midi reads `A:|B:|` as `A::B:|` and `A:|B||C:|` as `A:|B|:C:|`
MIN_BARS = 4  # a tune has at least this many bars: the checker's rule, which the constraints keep
REPEAT_TARGETS = {"|:", "::", ":|", "||", "|]", "[|"}  # where a later `:|` goes back to
REPEATS = {":|", "::"}


def broken_ratio(mark: str) -> tuple[Fraction, Fraction] | None:
    """The (first, second) factors of a broken-rhythm mark (`>`, `<<`, ...); None for one
    of more than three (`>>>>`) or a mixed one (`<>`)."""
    n = len(mark)
    if n not in BROKEN_RATIOS or mark not in (">" * n, "<" * n):
        return None
    first, second = BROKEN_RATIOS[n]
    return (first, second) if mark[0] == ">" else (second, first)


def durations(syms: list[Sym], unit: Fraction) -> list[Fraction | None]:
    """Real length of each symbol in whole notes (None for untimed symbols).

    `[L:...]` fields change the unit from where they stand.
    """
    out: list[Fraction | None] = [None] * len(syms)
    last_timed, pending_second = None, None
    tuplet_left, tuplet_factor = 0, Fraction(1)
    for i, s in enumerate(syms):
        if s.kind == FIELD and s.value[0] == "L":
            unit = parse_unit(s.value[1])
        elif s.kind == TUPLET:
            p, q, r = s.value
            tuplet_left, tuplet_factor = r, Fraction(q, p)
        elif s.kind == BROKEN and last_timed is not None and (ratio := broken_ratio(s.value)):
            first, second = ratio
            out[last_timed] *= first
            pending_second = second
        elif s.kind in (NOTE, CHORD, REST):
            d = s.length * unit
            if pending_second is not None:
                d, pending_second = d * pending_second, None
            if tuplet_left:
                d, tuplet_left = d * tuplet_factor, tuplet_left - 1
            out[i], last_timed = d, i
        elif s.kind == BAR:
            last_timed = None
    return out


@dataclass(frozen=True)
class Bar:
    """One bar: its length, the bar line that closes it, and where it starts."""

    length: Fraction
    closing: str  # canonical bar, or "" at the end of the tune
    ending: str  # the ending mark on the closing bar line
    start: int  # index of its first symbol
    section_start: bool  # first bar of the tune or after a section bar line / ending
    repeat_start: bool = False  # first bar of the tune or after a `REPEAT_TARGETS` bar line


def bars(syms: list[Sym], unit: Fraction) -> list[Bar]:
    """The bars of a body (empty bars between adjacent bar lines are skipped)."""
    lens = durations(syms, unit)
    out, length, start, section_start, began = [], Fraction(0), 0, True, False
    repeat_start, repeat_open = True, False
    for i, (s, d) in enumerate(zip(syms, lens)):
        if d is not None:
            length += d
            began = True
        if s.kind in (BAR, ENDING):
            if began:
                out.append(Bar(length, s.bar, s.ending, start, section_start, repeat_start))
            if began or s.kind == ENDING or s.bar in SECTION_BARS or s.ending:
                section_start = s.bar in SECTION_BARS or bool(s.ending) or s.kind == ENDING
            repeat_start = _repeat_start(s, repeat_start and not began, repeat_open)
            repeat_open = s.bar in ("|:", "::") or (repeat_open and s.bar not in (":|", "|]"))
            length, start, began = Fraction(0), i + 1, False
    if began:
        out.append(Bar(length, "", "", start, section_start, repeat_start))
    return out


def _repeat_start(s: Sym, before: bool, repeat_open: bool) -> bool:
    """Whether the bar after bar line (or ending) `s` is where a later `:|` goes back to.

    before: it was so before `s` (only empty bars since); repeat_open: a `|:` or `::`
    is open, so a `||` is no place to go back to."""
    if s.kind == ENDING or s.ending:
        return False
    if s.bar in ("|:", "::", ":|") or (s.bar in REPEAT_TARGETS and not repeat_open):
        return True
    return before


@dataclass
class _Pickups:
    """The short bars a closing bar may make up, as the walk over the bars finds them."""

    tune: Fraction | None = None  # the tune's first bar, when short
    section: Fraction = Fraction(0)  # the first bar of this section, when short
    repeat: Fraction = Fraction(0)  # the first bar after where a `:|` goes back to
    ending: int = 0  # the ending this bar lies in (0: none)

    def enter(self, b: Bar, full: Fraction) -> None:
        short = b.length if b.length < full else Fraction(0)
        if b.section_start:
            self.section = short
            self.tune = short if self.tune is None else self.tune
        if b.repeat_start:
            self.repeat = short

    def leave(self, b: Bar) -> None:
        if b.ending:
            self.ending = int(re.match(r"\d*", b.ending).group() or 1)
        elif b.closing in SECTION_BARS:
            self.ending = 0

    def short_ok(self, all_bars: list[Bar], n: int, full: Fraction) -> bool:
        """Bar n, shorter than `full`, is a pickup or the close of a section it makes up."""
        b = all_bars[n]
        if b.closing in REPEATS and self.ending < 2 and not b.repeat_start:
            return full - b.length == self.repeat  # abc2midi joins the two on the repeat
        if b.section_start and n + 1 < len(all_bars):
            return True
        # the tune's last bar ends a section whatever its bar line (`...E2E|` too)
        ends_section = b.closing in SECTION_BARS or n + 1 == len(all_bars) or (
            all_bars[n + 1].section_start)
        return ends_section and full - b.length in (
            self.section, self.tune or 0, _next_pickup(all_bars, n, full))


def bar_problems(syms: list[Sym], unit: Fraction, meter: Meter | None,
                 all_bars: list[Bar] | None = None) -> list[tuple[int, str]]:
    """(symbol index, message) for each bar whose length does not fit the meter.

    Rules: a full bar equals the meter; the first bar of a section may be short
    (a pickup); the last bar before a repeat `:|` or `::` (outside a second ending)
    may be short when it and the pickup after the point the repeat goes back to make
    a full bar (abc2midi joins them on the repeat); the last bar before another
    section bar line, an ending or the end may be short when it and the section's,
    the tune's or the next section's pickup make a full bar.
    `[M:...]` fields change the meter from where they stand. `all_bars`: `bars(syms, unit)`,
    when the caller has them.
    """
    if meter is None:
        return []
    problems, pickups = [], _Pickups()
    meters = _meter_at(syms, meter)
    all_bars = all_bars if all_bars is not None else bars(syms, unit)
    for n, b in enumerate(all_bars):
        m = meters[b.start] if b.start < len(meters) else meter
        full = m.bar_length
        pickups.enter(b, full)
        if b.length > full or (b.length < full and not pickups.short_ok(all_bars, n, full)):
            what = "too long" if b.length > full else "too short"
            problems.append((b.start, f"bar {n + 1} is {what}: {b.length} of a whole note "
                                      f"where the meter {m} wants {full}"))
        pickups.leave(b)
    return problems


def _next_pickup(all_bars: list[Bar], n: int, full: Fraction) -> Fraction:
    """The pickup of the section after bar n (0 if none): the short first bar of the
    next section, when more bars follow it (printed music shortens the bar before
    a section by the next section's pickup, e.g. `...G2 || d | g2 ...`)."""
    if n + 2 < len(all_bars) and all_bars[n + 1].section_start and all_bars[n + 1].length < full:
        return all_bars[n + 1].length
    return Fraction(0)


def _meter_at(syms: list[Sym], meter: Meter) -> list[Meter]:
    out, cur = [], meter
    for s in syms:
        if s.kind == FIELD and s.value[0] == "M":
            cur = parse_meter(s.value[1]) or cur
        out.append(cur)
    return out

"""Sections and form: how a tune's bars group into parts, as folk musicians count them.

The one place for the section-reading rules (`folkrnn measure` and `check.form` use them).
Bars are `timing.bars`, the bars the strict checker counts.

- Sections: the bars between section bar lines (`||`, `|]`, `[|`, `|:`, `:|`, `::`:
  `timing.SECTION_BARS`) and the ends of the tune. A `:|` that closes a first ending
  (an ending mark follows it: `:|2`, `:| [2`) does not end the section; the last ending
  runs on to the next section bar line or the end, as abc2midi and ABC 2.1 read it.
- Counted bars: a section's first bar, when shorter than the meter's bar (`M:` of the
  header), is a pickup and is not counted; a short closing bar is counted (it completes
  the pickup); a short bar elsewhere is counted as written. Of first, second (third, ...)
  endings only the last is counted, in place of the others, so
  `|: A B C D E F G |1 H :|2 H' |` is 8 bars. A section with no counted bar (a pickup
  alone, `G|:c2d...`) is the pickup of the next section, not a section of its own.
- Repeats: a section closed by `:|` or `::`, or holding endings, is played twice, from
  where its `:|` goes back to (`Bar.repeat_start`, as the checker reads it): the last `|:`
  or `::`, else the last section bar line, else the start. So `|: A || B :|` plays ABAB
  and `A :| B :|` plays AABB.
- Form: each section gets the next letter (A, B, C, ...) and a repeated span's letters are
  written again: `|:A:|:B:|` is AABB, `A || B ||` is AB. Sections alike in content get the
  same letter only through repeat signs: a repeat written out is a new letter. A tune of
  one section played once is `free` (`FREE`).
- The last note of a section: its last sounding note (`melody`: a chord's highest note)
  as the section ends: in its last ending when it has endings; rests are passed over.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from folkrnn.abc.pitch import sounding_pitches
from folkrnn.abc.reader import Tune
from folkrnn.abc.symbols import BAR, CHORD, NOTE, REST, Sym
from folkrnn.abc.timing import REPEATS, SECTION_BARS, Bar, bars, durations

FREE = "free"  # the form of a tune of one section played once


@dataclass(frozen=True)
class Section:
    """One section: the bars it counts, where its repeat goes back to, its last note.

    counted: indices into `timing.bars` of the tune (pickup and earlier endings left out);
    repeat_from: the index of the section its repeat goes back to (None: played once);
    last_pitch: the MIDI number of its last sounding note (None: no note).
    """

    counted: tuple[int, ...]
    repeat_from: int | None
    last_pitch: int | None

    @property
    def length(self) -> int:
        """Its bars, as a musician counts them."""
        return len(self.counted)


def melody(tune: Tune) -> list[tuple[int, int]]:
    """(symbol index, MIDI number) of each sounding note, a chord's highest note for it.

    Raises:
        AbcError: an inline `K:` that is no key.
    """
    top: dict[int, int] = {}
    for i, midi in sounding_pitches(tune.symbols, tune.key):
        top[i] = max(midi, top.get(i, midi))
    return sorted(top.items())


def bar_endings(syms: list[Sym], all_bars: list[Bar]) -> list[int]:
    """The ending each bar lies in: 0 for none, else its first pass (`1,3` -> 1)."""
    state, current = [], 0
    for s in syms:
        state.append(current)  # the ending in force before symbol s
        if s.ending:
            current = int(re.match(r"\d*", s.ending).group() or 1)
        elif s.kind == BAR and s.bar in SECTION_BARS:
            current = 0
    state.append(current)
    return [state[b.start] for b in all_bars]


def _groups(all_bars: list[Bar], endings: list[int]) -> list[list[int]]:
    """Bar indices of each section, in order (endings kept together)."""
    out, current = [], []
    for n, b in enumerate(all_bars):
        current.append(n)
        last = n + 1 == len(all_bars)
        # a `:|2` (or `:| [2`) closes a first ending inside the section
        inside = not last and endings[n + 1] > endings[n] >= 1
        if last or (b.closing in SECTION_BARS and not inside):
            out.append(current)
            current = []
    return out


def _counted(group: list[int], all_bars: list[Bar], endings: list[int],
             full: Fraction | None) -> tuple[int, ...]:
    """The bars of a section that count: no pickup, the last ending for all endings."""
    last = max(endings[n] for n in group)
    kept = [n for n in group if endings[n] in (0, last)]
    first = group[0]
    if full is not None and endings[first] == 0 and all_bars[first].length < full:
        kept.remove(first)
    return tuple(kept)


def _repeat_bar(group: list[int], all_bars: list[Bar], endings: list[int]) -> int | None:
    """The bar whose repeat sign repeats the section (None: played once)."""
    closing = [n for n in group if all_bars[n].closing in REPEATS]
    if closing:
        return closing[0]
    return group[-1] if any(endings[n] for n in group) else None


def _goes_back_to(all_bars: list[Bar], n: int) -> int:
    """The bar a repeat sign at the end of bar n goes back to."""
    return max(m for m in range(n + 1) if all_bars[m].repeat_start or m == 0)


def _last_pitch(tune_melody: list[tuple[int, int]], start: int, end: int) -> int | None:
    """The last sounding note among symbols start..end-1."""
    inside = [midi for i, midi in tune_melody if start <= i < end]
    return inside[-1] if inside else None


def sections(tune: Tune) -> list[Section]:
    """The tune's sections by the rules above, in order.

    Raises:
        AbcError: an inline `K:` that is no key.
    """
    all_bars = bars(tune.symbols, tune.unit)
    endings = bar_endings(tune.symbols, all_bars)
    full = tune.meter.bar_length if tune.meter else None
    groups = _groups(all_bars, endings)
    owner = {n: g for g, group in enumerate(groups) for n in group}
    tune_melody = melody(tune)
    kept: dict[int, int] = {}  # group index -> section index
    out: list[Section] = []
    for g, group in enumerate(groups):
        counted = _counted(group, all_bars, endings, full)
        if not counted:
            continue
        kept[g] = len(out)
        end = all_bars[groups[g + 1][0]].start if g + 1 < len(groups) else len(tune.symbols)
        repeat = _repeat_bar(group, all_bars, endings)
        back = None if repeat is None else _section_at(kept, owner[_goes_back_to(all_bars, repeat)])
        out.append(Section(counted, back, _last_pitch(tune_melody, all_bars[group[0]].start, end)))
    return out


def _section_at(kept: dict[int, int], group: int) -> int:
    """The section a repeat goes back to: that of `group`, or the next one kept."""
    return min((s for g, s in kept.items() if g >= group), default=len(kept) - 1)


def form(secs: list[Section]) -> str:
    """The form as played: `AABB`, `AB`, `ABAB`, ... or `free` (see the module's rules)."""
    if len(secs) <= 1 and (not secs or secs[0].repeat_from is None):
        return FREE  # one section played once, or none at all (no bar)
    letters = [_letter(i) for i in range(len(secs))]
    played: list[str] = []
    for i, s in enumerate(secs):
        played.append(letters[i])
        if s.repeat_from is not None:
            played += letters[s.repeat_from:i + 1]
    return "".join(played)


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"({i + 1})"


BarContent = tuple[tuple[tuple[int, ...], Fraction], ...]


def bar_contents(tune: Tune) -> list[BarContent]:
    """Each written bar (`timing.bars`) as its notes and rests: (sounding pitches, length)
    for each, a rest's pitches empty; two bars are alike when their contents are equal.

    Raises:
        AbcError: an inline `K:` that is no key.
    """
    syms = tune.symbols
    lengths = durations(syms, tune.unit)
    pitches: dict[int, list[int]] = {}
    for i, midi in sounding_pitches(syms, tune.key):
        pitches.setdefault(i, []).append(midi)
    all_bars = bars(syms, tune.unit)
    ends = [b.start for b in all_bars[1:]] + [len(syms)]
    return [tuple((tuple(sorted(pitches.get(i, ()))), lengths[i]) for i in range(b.start, end)
                  if syms[i].kind in (NOTE, CHORD, REST))
            for b, end in zip(all_bars, ends)]



# ------------------------------------------------------------ form labels

FORM_LENGTHS = (4, 8, 16)  # the bars per part a form label may name
_PLAYED = re.compile(r"^(?:([A-Z])\1?)+$")


@dataclass(frozen=True)
class Part:
    """One part of a form label: its bars, and whether it is played twice."""

    bars: int
    repeated: bool


def form_label(secs: list[Section]) -> str:
    """The tune's form as a label, `AABB8`, `AB16`, `ABC8`: the form as played (`form`) and
    the bars of every part, when all parts have the same count of 4, 8 or 16 and each part
    is played once or twice in a row; else `free`."""
    played = form(secs)
    lengths = {s.length for s in secs}
    if played == FREE or len(lengths) != 1 or not lengths <= set(FORM_LENGTHS):
        return FREE
    label = f"{played}{lengths.pop()}"
    return label if parse_form_label(label) else FREE


def parse_form_label(label: str) -> tuple[Part, ...] | None:
    """The parts a label names, in order (None: `free`, or not a form label).

    `AABB8` -> (Part(8, True), Part(8, True)); `AB16` -> (Part(16, False), Part(16, False)).
    The letters run A, B, C, ... each once or twice in a row."""
    m = re.match(r"^([A-Z]+)(\d+)$", label)
    if not m or int(m.group(2)) not in FORM_LENGTHS or not _PLAYED.match(m.group(1)):
        return None
    played, bars = m.group(1), int(m.group(2))
    parts: list[Part] = []
    i = 0
    while i < len(played):
        twice = i + 1 < len(played) and played[i + 1] == played[i]
        if played[i] != _letter(len(parts)):
            return None
        parts.append(Part(bars, twice))
        i += 2 if twice else 1
    return tuple(parts)

"""Writing ABC back out: canonical symbol text, bodies in lines, whole tunes.

The one place for a tune's ABC text as read (`tune_text`).
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

from folkrnn.abc.lengths import FIXED_Q
from folkrnn.abc.reader import Tune
from folkrnn.abc.symbols import (
    ANNOT,
    BAR,
    BROKEN,
    CHORD,
    DECO,
    ENDING,
    EOL,
    FIELD,
    GRACE,
    MREST,
    NOTE,
    REST,
    SLUR,
    SPACER,
    TUPLET,
    Sym,
    length_text,
)


def tuplet_text(p: int, q: int, r: int, short: bool = False) -> str:
    """`(3` when q and r are the defaults, else `(p:q:r`. The default q of 5, 7 and 9
    depends on the meter (`lengths.default_q`), so for them `short` says: it was written `(p`."""
    if r == p and (q == FIXED_Q[p] if p in FIXED_Q else short):
        return f"({p}"
    return f"({p}:{q}:{r}"


def sym_text(s: Sym) -> str:
    """The canonical ABC text of a symbol."""
    k = s.kind
    if k == NOTE:
        return s.note.pitch_text() + length_text(s.length) + ("-" if s.tie else "")
    if k == CHORD:
        inner = "".join(n.pitch_text() for n in s.notes)
        return f"[{inner}]{length_text(s.length)}" + ("-" if s.tie else "")
    if k == REST:
        return (s.value or "z") + length_text(s.length)
    if k == BAR:
        return s.bar + s.ending
    if k == ENDING:
        return "[" + s.ending
    if k == TUPLET:
        return tuplet_text(*s.value, short=s.text == f"({s.value[0]}")
    if k == GRACE:
        return "{" + "".join(n.pitch_text() + length_text(n.length) for n in s.notes) + "}"
    if k == FIELD:
        return f"[{s.value[0]}:{s.value[1]}]"
    if k == ANNOT:
        return f'"{s.value}"'
    if k in (BROKEN, DECO):
        return s.text if k == DECO else str(s.value)
    if k == EOL:
        return "\n"
    if k in (SLUR, MREST):
        return s.text
    return ""  # SPACER


def write_body(syms: list[Sym], bars_per_line: int = 4, beam_unit: Fraction | None = None,
               unit: Fraction = Fraction(1, 8)) -> str:
    """ABC body text with a line break every `bars_per_line` bars.

    With `beam_unit` (a length in whole notes, e.g. 3/8 for jigs) notes are
    beamed by beat: a space goes before a note that starts on a beat; else the
    spaces are kept as read.
    """
    from folkrnn.abc.timing import durations  # timing imports nothing from here; keep the import local

    beat, lens = 0, [0] * len(syms)
    if beam_unit is not None:  # on a grid of integer ticks fine enough for every length
        real = durations(syms, unit)
        grid = math.lcm(beam_unit.denominator, *(d.denominator for d in set(real) if d))
        ticks = {d: int(d * grid) for d in set(real) if d}
        beat, lens = int(beam_unit * grid), [ticks[d] if d else 0 for d in real]
    lines, cur, bars, pos, prev, music = [], [], 0, 0, None, False
    for s, d in zip(syms, lens):
        if s.kind in (EOL, SPACER):
            continue
        if s.kind == BAR:
            cur.append(sym_text(s))
            bars, pos = bars + music, 0  # a bar line after no music closes no bar
            if music and bars % bars_per_line == 0:
                lines.append("".join(cur).strip())
                cur = []
            music = False
        else:
            if _space_before(s, prev, pos, beat) and cur:
                cur.append(" ")
            cur.append(sym_text(s))
            pos += d
            music = music or s.kind in (NOTE, CHORD, REST)
        prev = s
    if "".join(cur).strip():
        lines.append("".join(cur).strip())
    return "\n".join(lines)


def _space_before(s: Sym, prev: Sym | None, pos: int, beat: int) -> bool:
    """Whether a space goes before `s`: with a `beat` (ticks; 0: none), before a note that
    starts on one; else as read."""
    if not beat:
        return s.spaced
    if prev is None or prev.kind in (BAR, BROKEN, TUPLET, GRACE, ANNOT, DECO) or getattr(prev, "tie", False):
        return False
    return s.kind in (NOTE, CHORD, REST, TUPLET) and pos > 0 and pos % beat == 0


def write_tune(fields: list[tuple[str, str]], body: str) -> str:
    """A tune: header fields in order (X first, K last) then the body."""
    head = [f"{name}:{value}" for name, value in fields]
    return "\n".join(head) + "\n" + body.rstrip("\n") + "\n"


def renumber(abc: str, x: int) -> str:
    """A tune's text with its leading `X:` field set to `x`."""
    return re.sub(r"^X:\s*\d+", f"X:{x}", abc, count=1)


def tune_text(tune: Tune) -> str:
    """ABC text of a tune as read: its header fields, then its body lines."""
    return write_tune(tune.fields, "\n".join(text for _, text in tune.body))

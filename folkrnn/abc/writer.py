"""Writing ABC back out: canonical symbol text, bodies in lines, whole tunes."""
from __future__ import annotations

from fractions import Fraction

from .symbols import (ANNOT, BAR, BROKEN, CHORD, DECO, ENDING, EOL, FIELD, GRACE, MREST,
                      NOTE, REST, SLUR, SPACER, TUPLET, Sym, length_text)

_TUPLET_DEFAULT_Q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}


def tuplet_text(p: int, q: int, r: int) -> str:
    """`(3` when q and r are the defaults, else `(p:q:r`."""
    if q == _TUPLET_DEFAULT_Q.get(p, 2) and r == p:
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
        return tuplet_text(*s.value)
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

    With `beam_unit` (a length in whole notes, e.g. 3/8 for jigs) a space is put
    at each beat so that notes beam by beat; else spaces are kept as read.
    """
    lines, cur, bars, pos = [], [], 0, Fraction(0)
    for s in syms:
        if s.kind in (EOL, SPACER):
            continue
        if s.kind == BAR:
            cur.append(sym_text(s))
            bars += 1
            pos = Fraction(0)
            if bars % bars_per_line == 0:
                lines.append("".join(cur).strip())
                cur = []
            continue
        if beam_unit is not None:
            if pos and pos % beam_unit == 0 and s.kind in (NOTE, CHORD, REST, TUPLET, GRACE):
                if cur and not cur[-1].endswith(" ") and cur[-1] not in ("(",) and not cur[-1].startswith("("):
                    cur.append(" ")
        elif s.spaced and cur:
            cur.append(" ")
        cur.append(sym_text(s))
        if s.kind in (NOTE, CHORD, REST):
            pos += s.length * unit
    if cur and "".join(cur).strip():
        lines.append("".join(cur).strip())
    return "\n".join(lines)


def write_tune(fields: list[tuple[str, str]], body: str) -> str:
    """A tune: header fields in order (X first, K last) then the body."""
    head = [f"{name}:{value}" for name, value in fields]
    return "\n".join(head) + "\n" + body.rstrip("\n") + "\n"

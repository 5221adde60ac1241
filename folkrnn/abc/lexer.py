"""The body lexer: ABC music lines -> `Sym`s with their musical meaning.

The one place for the patterns of a pitch, a length and a tuplet (`PITCH_PATTERN`,
`LENGTH_PATTERN`, `TUPLET_PATTERN`); what they mean as numbers is `lengths`.

Strict lexing (the training corpus) refuses a line with anything it cannot read; tolerant
lexing skips what abc2midi skips with a warning (a stray `]` or `/`, a lone digit, a
quoted-printable `=20`, a `:` inside a chord) and records it in `Skipped`. Either way a
zero or absurd length or tuplet is an `AbcLimitError`: it cannot be played.
"""
from __future__ import annotations

import functools
import re
from typing import NamedTuple

from folkrnn.abc.lengths import MAX_DIGITS, parse_length, tuplet_value
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
    Note,
    Sym,
    parse_accidental,
)
from folkrnn.errors import AbcError, AbcLimitError

# pattern pieces, matched where a symbol starts; `generate.constraints.tokens` anchors them
# to whole tokens
PITCH_PATTERN = r"(?P<acc>\^\^|\^|__|_|=)?(?P<letter>[A-Ga-g])(?P<oct>[,']*)"
LENGTH_PATTERN = r"(?P<num>\d+)?(?P<slash>/+)?(?P<den>\d+)?"
TUPLET_PATTERN = r"\((?P<p>[2-9])(?::(?P<q>\d*)(?::(?P<r>\d*))?)?"
_NOTE_RE = re.compile(PITCH_PATTERN + LENGTH_PATTERN)
_LEN_RE = re.compile(LENGTH_PATTERN)
_REST_RE = re.compile(r"(?P<r>[zx])" + LENGTH_PATTERN)
_MREST_RE = re.compile(r"[ZX](?P<n>\d*)")
_QP_RE = re.compile(r"=[0-9A-F]{2}")
_BAR_RE = re.compile(r"(?P<bar>::+(?!\|)|:*\[\|\]|:*(?:\[\||\|\]|\|\||\|):*)"
                     r"(?P<end>\[?\d+(?:[,-]\d+)*(?!\d*/))?")
_ENDING_RE = re.compile(r"\[(?P<end>\d+(?:[,-]\d+)*)")
_TUPLET_RE = re.compile(TUPLET_PATTERN)
_FIELD_RE = re.compile(r"\[(?P<f>[A-Za-z]):(?P<v>[^\]]*)\]")
_BROKEN_RE = re.compile(r"<+|>+")
# `~ .` and the letters ABC reserves for (user-definable) decorations
_DECO_CHARS = set("~.hijklmnopqrstuvwHIJKLMNOPQRSTUVW")
_IGNORED = set("`y$*")


def _unnamed(pattern: str) -> str:
    """`pattern` with its named groups made plain groups, to sit inside another pattern."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


# the common symbols in one pattern, tried first (speed: one match per symbol)
_FAST_RE = re.compile(
    r"(?P<note>" + _unnamed(PITCH_PATTERN + LENGTH_PATTERN) + r")|(?P<ws>[ \t]+)"
    r"|(?P<bar>" + _unnamed(_BAR_RE.pattern) + ")"
    r"|(?P<broken><+|>+)")


class Skipped(NamedTuple):
    """Text a tolerant lexer skipped: where (line, col), what, and why."""

    line: int
    col: int
    text: str
    why: str


def lex_line(text: str, line: int = 1, col0: int = 1, source: str = "<string>",
             skipped: list[Skipped] | None = None) -> list[Sym]:
    """Lex one line of music; positions are reported from (line, col0).

    With a `skipped` list the lexer is tolerant: what abc2midi skips is appended there
    instead of raising.

    Raises:
        AbcError: text it cannot read (strict), or a zero or absurd length (always).
    """
    return _Lexer(text, line, col0, source, skipped).run()


class _Lexer:
    def __init__(self, text: str, line: int, col0: int, source: str,
                 skipped: list[Skipped] | None) -> None:
        self.s, self.line, self.col0, self.source = text, line, col0, source
        self.i, self.out, self.spaced = 0, [], False
        self.skipped = skipped

    def error(self, message: str, at: int | None = None) -> AbcError:
        return AbcError(message, self.source, "", self.line, self.col0 + (self.i if at is None else at))

    def debris(self, message: str, at: int, text: str, why: str = "") -> None:
        """What abc2midi skips: `message` as an error when strict, else `text` recorded as
        skipped, with `why` (default: the message); the caller moves on."""
        if self.skipped is None:
            raise self.error(message, at)
        self.skipped.append(Skipped(self.line, self.col0 + at, text, why or message))

    def run(self) -> list[Sym]:
        try:
            return self._run()
        except AbcLimitError as err:
            if err.line:
                raise
            raise AbcLimitError(err.message, self.source, "", self.line, self.col0 + self.i) from None

    def _run(self) -> list[Sym]:
        s, fast = self.s, _FAST_RE.match
        while self.i < len(s):
            m = fast(s, self.i)
            if m:
                kind = m.lastgroup
                if kind == "note":
                    note = _note(m[0])
                    self.emit(NOTE, m[0], notes=(note,), length=note.length)
                elif kind == "ws":
                    self.i, self.spaced = m.end(), True
                elif kind == "bar":
                    self.bar()
                else:
                    self.emit(BROKEN, m[0], value=m[0])
                continue
            ch = s[self.i]
            if ch == "%":
                break
            if ch == "\\" and not self.s[self.i + 1:].strip():
                return self.out  # continuation: no end of line
            self.lex_one(ch)
        self.emit(EOL, "")
        return self.out

    def emit(self, kind: str, text: str, **kw) -> Sym:
        sym = Sym(kind, text, self.line, self.col0 + self.i, self.spaced, **kw)
        self.out.append(sym)
        self.spaced = False
        self.i += len(text)
        return sym

    def lex_one(self, ch: str) -> None:
        s, i = self.s, self.i
        for handler in (self.note, self.bar, self.bracket, self.rest, self.tuplet):
            if handler():
                return
        if ch in "<>":
            self.emit(BROKEN, _BROKEN_RE.match(s, i)[0], value=_BROKEN_RE.match(s, i)[0])
        elif ch == "-":
            self.tie()
        elif ch in "()":
            self.emit(SLUR, ch)
        elif ch == '"':
            self.quoted()
        elif ch in "!+":
            self.bang(ch)
        elif ch == "{":
            self.grace()
        elif ch in _DECO_CHARS:
            self.emit(DECO, ch, value=ch)
        elif ch in _IGNORED:
            self.emit(SPACER, ch)
        elif ch in "ZX":
            m = _MREST_RE.match(s, i)
            # an absurd count stays absurd (the reader clips or refuses it) without int() of it all
            n = m["n"] or "1"
            self.emit(MREST, m[0], value=int(n) if len(n) <= MAX_DIGITS else 10 ** MAX_DIGITS)
        else:
            self.unknown()

    def unknown(self) -> None:
        """Skip a symbol ABC does not have (tolerant), with the run of debris it starts:
        `=20` (quoted-printable), `]`, `/`, a lone digit."""
        if self.skipped is None:
            raise self.error(f"unknown symbol {self.s[self.i]!r}")
        if self.s[self.i] == "&":  # abc2midi plays the overlay with the bar's first voice
            bar = self.s.find("|", self.i)
            text = self.s[self.i:bar if bar > 0 else len(self.s)]
            self.debris("", self.i, text, "a voice overlay: its second voice is left out "
                        "(folkrnn does not play overlays)")
            self.i += len(text)
            return
        qp = _QP_RE.match(self.s, self.i)
        text = qp[0] if qp else self.s[self.i]
        self.debris("", self.i, text, "a quoted-printable code from an e-mail, not ABC" if qp
                    else "not an ABC symbol (abc2midi skips it too)")
        self.i += len(text)

    def note(self) -> bool:
        m = _NOTE_RE.match(self.s, self.i)
        if not m:
            return False
        note = _note(m[0])
        self.emit(NOTE, m[0], notes=(note,), length=note.length)
        return True

    def rest(self) -> bool:
        m = _REST_RE.match(self.s, self.i)
        if not m:
            return False
        self.emit(REST, m[0], length=parse_length(m["num"], m["slash"], m["den"]),
                  value=m["r"])
        return True

    def bar(self) -> bool:
        m = _BAR_RE.match(self.s, self.i)
        if not m or (m["bar"] == "[|" and self.s.startswith("[|]", self.i)):
            return False
        end = (m["end"] or "").lstrip("[")
        self.emit(BAR, m[0], bar=canonical_bar(m["bar"]), ending=end)
        return True

    def bracket(self) -> bool:
        """`[K:G]` inline field, `[1` ending, or `[CEG]` chord."""
        s, i = self.s, self.i
        if s[i] != "[":
            return False
        m = _FIELD_RE.match(s, i)
        if m:
            self.emit(FIELD, m[0], value=(m["f"], m["v"].strip()))
        elif (m := _ENDING_RE.match(s, i)):
            self.emit(ENDING, m[0], ending=m["end"])
        else:
            self.chord()
        return True

    def chord(self) -> None:
        s, start = self.s, self.i
        if self.skipped is not None and s.find("]", start) < 0:
            self.debris("", start, "[", "an unclosed chord")
            self.i += 1
            return
        j, notes = start + 1, []
        while j < len(s) and s[j] != "]":
            m = _NOTE_RE.match(s, j)
            if m:
                notes.append(_note_from(m))
                j = m.end()
            elif s[j] == "-" and notes:
                notes[-1] = _with_tie(notes[-1])
                j += 1
            elif s[j] in " ()" or s[j] in _DECO_CHARS:
                j += 1
            elif s[j] in '!+"' and s.find(s[j], j + 1) > 0:
                j = s.find(s[j], j + 1) + 1
            else:
                self.debris(f"unexpected {s[j]!r} in chord", j, s[j], "not a note, in a chord")
                j += 1
        if j >= len(s) or not notes:
            self.debris("unclosed or empty chord '['", start, s[start:j + 1], "an empty chord")
            self.i = j + 1
            return
        m = _LEN_RE.match(s, j + 1)
        length = parse_length(m["num"], m["slash"], m["den"])
        tie = s.startswith("-", m.end())
        self.emit(CHORD, s[start:m.end()], notes=tuple(notes), length=length * notes[0].length,
                  tie=tie or all(n.tie for n in notes))
        if tie:
            self.i += 1

    def tuplet(self) -> bool:
        m = _TUPLET_RE.match(self.s, self.i)
        if not m:
            return False
        self.emit(TUPLET, m[0], value=tuplet_value(m, None))  # see resolve_tuplets
        return True

    def tie(self) -> None:
        # `A>-A` ties as `A->A` does (abc2midi too): the tie reaches back over `>`
        prev = next((k for k in range(len(self.out) - 1, -1, -1)
                     if self.out[k].kind not in (SLUR, DECO, ANNOT, SPACER, BROKEN)), None)
        if prev is not None and self.out[prev].kind in (NOTE, CHORD):
            self.out[prev] = self.out[prev].with_(tie=True)
        self.i += 1  # a tie after a bar or rest ties nothing: dropped

    def quoted(self) -> None:
        end = self.s.find('"', self.i + 1)
        if end < 0:
            self.debris('unclosed \'"\' (chord symbol or annotation)', self.i, self.s[self.i:],
                        "an unclosed chord symbol or annotation")
            self.i = len(self.s)  # the rest of the line is its text
            return
        self.emit(ANNOT, self.s[self.i:end + 1], value=self.s[self.i + 1:end])

    def bang(self, ch: str) -> None:
        end = self.s.find(ch, self.i + 1)
        if end < 0 or " " in self.s[self.i:end].strip():
            self.emit(SPACER, ch)  # old-style `!` line break
            return
        self.emit(DECO, self.s[self.i:end + 1], value=self.s[self.i + 1:end])

    def grace(self) -> None:
        end = self.s.find("}", self.i)
        if end < 0:
            self.debris("unclosed grace notes '{'", self.i, "{", "unclosed grace notes")
            self.i += 1
            return
        inner = self.s[self.i + 1:end]
        notes = tuple(_note_from(m) for m in _NOTE_RE.finditer(inner))
        rest = "".join(c for c in _NOTE_RE.sub("", inner) if c not in _DECO_CHARS and c not in "/- ")
        if not notes:
            self.debris("empty grace notes" if not rest else f"unexpected {rest[:1]!r} in grace notes",
                        self.i, self.s[self.i:end + 1], "no notes in grace notes")
            self.i = end + 1
            return
        if rest:
            junk = self.i + 1 + next(k for k, c in enumerate(inner) if c == rest[0])
            self.debris(f"unexpected {rest[:1]!r} in grace notes", junk, rest, "not a note, in grace notes")
        self.emit(GRACE, self.s[self.i:end + 1], notes=notes)


@functools.lru_cache(maxsize=4096)
def _note(text: str) -> Note:
    """The Note of a note's text (cached: a corpus repeats a few hundred spellings)."""
    return _note_from(_NOTE_RE.fullmatch(text))


def _note_from(m: re.Match) -> Note:
    letter = m["letter"]
    octave = (1 if letter.islower() else 0) + m["oct"].count("'") - m["oct"].count(",")
    return Note(letter.upper(), octave, parse_accidental(m["acc"] or ""),
                parse_length(m["num"], m["slash"], m["den"]))


def _with_tie(n: Note) -> Note:
    return Note(n.letter, n.octave, n.accidental, n.length, True)


def canonical_bar(text: str) -> str:
    """Map the many bar spellings to `|`, `||`, `|]`, `[|`, `|:`, `:|`, `::`."""
    text = text.replace("[|]", "|")  # an invisible bar line is a bar line
    start, end = text.endswith(":"), text.startswith(":")
    if start and end:
        return "::"
    if end:
        return ":|"
    if start:
        return "|:"
    if "]" in text:
        return "|]"
    if "[" in text:
        return "[|"
    return "||" if "||" in text else "|"

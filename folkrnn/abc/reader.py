"""Reading ABC files: tunes, header fields, body lines, and their symbols.

Two ways to read. Tolerant (the default, for a user's tunes: check, render, composing):
what abc2midi skips with a warning is skipped with an `AbcWarning` on the tune (file:line:col,
the tune) and the tune is read; a rest of more than `MAX_REST_BARS` bars is clipped to it.
Strict (`strict=True`, for building the training corpus, where a dropped tune is counted by
reason): each of those is an error. Both refuse, with a located `AbcLimitError`, what
cannot be played at all: a zero or absurd length or tuplet, a note longer than
`MAX_NOTE_BARS` bars, a tune of more than `MAX_SYMBOLS` symbols or a file over `MAX_FILE_BYTES`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterator

from folkrnn.abc.keys import Key, parse_key
from folkrnn.abc.lengths import resolve_tuplets
from folkrnn.abc.lexer import Skipped, lex_line
from folkrnn.abc.meter import Meter, default_unit, parse_meter, parse_unit
from folkrnn.abc.symbols import CHORD, FIELD, MREST, NOTE, REST, Sym
from folkrnn.errors import AbcError, AbcLimitError, AbcWarning, UnknownKeyError

_FIELD_LINE = re.compile(r"^([A-Za-z+]):(.*)$")
# fields that may appear as lines inside a body; the rest of a body line is music
_BODY_FIELDS = set("KLMPQVTWwNRIHBCDFGOSZmrsU+")
MAX_NOTE_BARS = 16  # a longer note or rest is refused
MAX_REST_BARS = 64  # a longer multi-measure rest `Z` is clipped (tolerant) or refused (strict)
MAX_ENDING = 16  # the highest pass an ending may name (`|1`, `[1,3`, `|1-4`)
MAX_BODY_CHARS = 200_000  # of one tune's body, refused before it is lexed
MAX_SYMBOLS = 20_000  # symbols in one tune: some 2,000 bars, three quarters of an hour of reel
MAX_FILE_BYTES = 64 * 2 ** 20


@dataclass
class Tune:
    """One tune: its header fields, body lines and lexed symbols.

    `fields` keeps every header field in order as (name, value); `body` holds
    (line number, text) of the music lines and field lines after `K:`.
    """

    source: str = "<string>"
    line: int = 0
    fields: list[tuple[str, str]] = field(default_factory=list)
    field_lines: list[int] = field(default_factory=list)  # the file line of each of `fields`
    body: list[tuple[int, str]] = field(default_factory=list)
    symbols: list[Sym] = field(default_factory=list)
    warnings: list[AbcWarning] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of header field `name`."""
        return next((v for f, v in self.fields if f == name), default)

    @property
    def x(self) -> int | None:
        v = self.get("X", "")
        m = re.match(r"\s*(\d{1,9})(?!\d)", v or "")
        return int(m[1]) if m else None

    @property
    def titles(self) -> list[str]:
        return [v.strip() for f, v in self.fields if f == "T" and v.strip()]

    @property
    def title(self) -> str:
        return (self.titles or [""])[0]

    @property
    def label(self) -> str:
        """How errors name the tune: `X:3 'The Title'`."""
        x = f"X:{self.x}" if self.x is not None else f"at line {self.line}"
        return f"{x} {self.title!r}" if self.title else x

    @property
    def meter(self) -> Meter | None:
        return self._parse(parse_meter, "M", "none")

    @property
    def unit(self) -> Fraction:
        v = self.get("L")
        return default_unit(self.meter) if v is None else self._parse(parse_unit, "L", "1/8")

    @property
    def key(self) -> Key:
        return self._parse(parse_key, "K", "")

    @property
    def rhythm(self) -> str:
        return (self.get("R") or "").strip()

    def _parse(self, parse, name: str, default: str):
        try:
            return parse(self.get(name, default))
        except AbcError as err:
            k = next((i for i, (f, _) in enumerate(self.fields) if f == name), None)
            line = self.field_lines[k] if k is not None and k < len(self.field_lines) else self.line
            raise AbcError(err.message, self.source, self.label, line, 1) from None


@dataclass
class ReadResult:
    """Tunes read from one text, and the located errors of those that failed."""

    tunes: list[Tune]
    errors: list[AbcError]


def decode_bytes(data: bytes) -> str:
    """UTF-8 text, else latin-1 (old ABC files)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_file(path: str | Path, strict: bool = False) -> ReadResult:
    """Read every tune of an ABC file; a bad tune is an error, the rest still load.

    Raises:
        AbcLimitError: the file is larger than MAX_FILE_BYTES (checked before reading it).
    """
    try:
        text = file_text(path)
    except AbcLimitError:
        raise
    except AbcError as err:  # binary
        return ReadResult([], [err])
    return read_text(text, str(path), strict)


def file_text(path: str | Path) -> str:
    """The text of an ABC file (UTF-8, else latin-1).

    Raises:
        AbcLimitError: the file is larger than MAX_FILE_BYTES (checked before reading it).
        AbcError: the file is binary.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise AbcLimitError(f"the file has {size:,} bytes, more than the {MAX_FILE_BYTES:,} an ABC file "
                            "may have here", str(path))
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise AbcError("this is a binary file, not ABC text", str(path), "", 1, 1)
    return decode_bytes(data)


def read_text(text: str, source: str = "<string>", strict: bool = False) -> ReadResult:
    """Read every tune of ABC `text`, tolerantly unless `strict` (see the module's docstring)."""
    tunes, errors = [], []
    for block_line, lines in _blocks(text):
        try:
            tune = _parse_block(block_line, lines, source, strict)
        except AbcError as err:
            errors.append(err)
            continue
        if tune is not None:
            tunes.append(tune)
    return ReadResult(tunes, errors)


def read_tune(text: str, source: str = "<string>") -> Tune:
    """The first tune of ABC `text` that can be read.

    Raises:
        AbcError: none can (the first tune's error), or the text holds no tune.
    """
    read = read_text(text, source)
    if read.tunes:
        return read.tunes[0]
    if read.errors:
        raise read.errors[0]
    raise AbcError("the text holds no tune (an ABC tune starts with X: or T: and has a K: line)",
                   source)


def _blocks(text: str) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """Split the file into tune blocks at `X:` lines and blank lines."""
    block: list[tuple[int, str]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if line.startswith("X:") or not line.strip():
            if block:
                yield block[0][0], block
            block = [(n, line)] if line.strip() else []
        else:
            block.append((n, line))
    if block:
        yield block[0][0], block


def _parse_block(first: int, lines: list[tuple[int, str]], source: str, strict: bool) -> Tune | None:
    """A tune from its block, or None for a block that is no tune (file header, text)."""
    if not lines[0][1].startswith(("X:", "T:")):
        return None
    tune = Tune(source=source, line=first)
    header = True
    for n, line in lines:
        if line.startswith("%"):
            continue
        m = _FIELD_LINE.match(line)
        if header:
            if m:
                tune.fields.append((m[1], m[2].split("%")[0].strip() if m[1] != "T" else m[2].strip()))
                tune.field_lines.append(n)
                header = m[1] != "K"
            continue
        tune.body.append((n, line))
    if header:
        raise AbcError("the tune has no K: field, so its body cannot be read",
                       source, tune.label, first, 1)
    if not strict:
        _tolerate_mode(tune)
    skipped: list[Skipped] | None = None if strict else []
    tune.symbols = _limited(tune, _lex_body(tune, skipped), strict)
    tune.warnings = _warnings(tune, skipped or []) + tune.warnings
    return tune


def _tolerate_mode(tune: Tune) -> None:
    """`K:Bn` (an unknown mode on a good tonic) read as its major key, with a warning, as
    abc2midi plays it; inline `[K:Bn]` and body `K:` lines too."""
    k = next((i for i, (f, _) in enumerate(tune.fields) if f == "K"), None)
    fixed = _major_of(tune.fields[k][1])
    if fixed:
        tune.fields[k] = ("K", fixed[0])
        tune.warnings.append(AbcWarning(fixed[1], tune.source, tune.label, tune.field_lines[k], 1))


def _major_of(value: str) -> tuple[str, str] | None:
    """(tonic, warning) for a key whose mode is unknown but whose tonic is good, else None."""
    try:
        parse_key(value)
        return None
    except UnknownKeyError as err:
        tonic = re.match(r"\s*([A-Ga-g][#b]?)[A-Za-z]", value)
        if not err.message.startswith("unknown mode") or not tonic:
            return None
        key = tonic[1][0].upper() + tonic[1][1:]
        return key, f"{err.message.split(';')[0]}: read as {key} major, as abc2midi does"


def _lex_body(tune: Tune, skipped: list[Skipped] | None) -> list[Sym]:
    tune.key, tune.meter, tune.unit  # noqa: B018 - header errors surface here, located
    if sum(len(line) for _, line in tune.body) > MAX_BODY_CHARS:
        raise AbcLimitError(f"the tune's body is longer than {MAX_BODY_CHARS:,} characters, more than "
                            "any tune plays", tune.source, tune.label, tune.body[0][0], 1)
    syms: list[Sym] = []
    for n, line in tune.body:
        m = _FIELD_LINE.match(line)
        if m and m[1] in _BODY_FIELDS:
            if m[1] in "KLMPQV":
                syms.append(Sym(FIELD, line, n, 1, value=(m[1], m[2].split("%")[0].strip())))
            continue
        try:
            syms.extend(lex_line(line, n, 1, tune.source, skipped))
        except AbcError as err:
            raise type(err)(err.message, tune.source, tune.label, err.line, err.col) from None
        if len(syms) > MAX_SYMBOLS:
            raise AbcLimitError(f"the tune has more than {MAX_SYMBOLS} symbols, more than any tune "
                                "plays", tune.source, tune.label, n, 1)
    return resolve_tuplets(syms, tune.meter)


def _limited(tune: Tune, syms: list[Sym], strict: bool) -> list[Sym]:
    """`syms` within the limits: a note too long for the unit and meter in force refused, an
    ending numbered past MAX_ENDING refused, a too-long `Z` rest clipped (tolerant: one
    warning, with a count) or refused (strict)."""
    bar, unit = tune.meter.bar_length if tune.meter else Fraction(1), tune.unit
    longest = MAX_NOTE_BARS * bar / unit  # in units: one division a tune, not two products a note
    out, clipped = [], []
    for s in syms:
        if s.kind == FIELD and s.value[0] in "LM":
            bar, unit = _inline_bar_unit(s.value, bar, unit)
            longest = MAX_NOTE_BARS * bar / unit
        elif s.kind == FIELD and s.value[0] == "K" and not strict and (fixed := _major_of(s.value[1])):
            s = s.with_(value=("K", fixed[0]))
            tune.warnings.append(AbcWarning(fixed[1], tune.source, tune.label, s.line, s.col))
        elif s.kind in (NOTE, REST, CHORD) and s.length > longest:
            raise _limit(tune, s, f"{s.text!r} lasts {float(s.length * unit / bar):.0f} bars, longer "
                         f"than the {MAX_NOTE_BARS} bars a note may last here")
        elif s.ending and any(len(n) > 2 or int(n) > MAX_ENDING for n in re.findall(r"\d+", s.ending)):
            raise _limit(tune, s, f"the ending {s.ending[:20]} is numbered past {MAX_ENDING}")
        elif s.kind == MREST and s.value > MAX_REST_BARS:
            if strict:
                raise _limit(tune, s, f"the rest {s.text} is longer than the {MAX_REST_BARS} bars allowed")
            clipped.append(s)
            s = s.with_(value=MAX_REST_BARS)
        out.append(s)
    if clipped:
        first = clipped[0]
        tune.warnings.append(AbcWarning(f"the rest {first.text} clipped to {MAX_REST_BARS} bars",
                                        tune.source, tune.label, first.line, first.col, len(clipped)))
    return out


def _inline_bar_unit(field: tuple[str, str], bar: Fraction, unit: Fraction) -> tuple[Fraction, Fraction]:
    """The bar and unit after an inline `[L:...]` or `[M:...]` (unchanged when it is no good:
    the renderer ignores it too)."""
    name, value = field
    try:
        if name == "L":
            return bar, parse_unit(value)
        meter = parse_meter(value)
        return (meter.bar_length if meter else Fraction(1)), unit
    except AbcError:
        return bar, unit


def _limit(tune: Tune, s: Sym, message: str) -> AbcLimitError:
    return AbcLimitError(message, tune.source, tune.label, s.line, s.col)


def _warnings(tune: Tune, skipped: list[Skipped]) -> list[AbcWarning]:
    """One warning for each kind of thing skipped in the tune: its first place, and a count.
    Skipped runs that touch (`=`, `2`, `0`) are one."""
    runs: list[Skipped] = []
    for k in skipped:
        last = runs[-1] if runs else None
        if last and last.why == k.why and last.line == k.line and last.col + len(last.text) == k.col:
            runs[-1] = last._replace(text=last.text + k.text)
        else:
            runs.append(k)
    first: dict[str, tuple[Skipped, int]] = {}
    for k in runs:
        seen, count = first.get(k.why, (k, 0))
        first[k.why] = (seen, count + 1)
    return [AbcWarning(f"skipped {k.text[:20]!r}: {k.why}", tune.source, tune.label, k.line, k.col, n)
            for k, n in first.values()]

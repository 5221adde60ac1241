"""A tune as the model's text: root C with its mode, `L:1/8`, cleaned, one body line.

    T:The Bracken Jig
    R:jig
    M:6/8
    K:Cmaj
    |:Gccc2d|...:|

Rules: chord symbols, decorations, grace notes and slurs are dropped unless
kept by `NormaliseOptions`; a `-` between different pitches is a slur (old
transcriptions), not a tie, so it goes; adjacent bar lines merge; section bar
lines (`||`, `|]`) stay. A tune that cannot be represented raises `Unrepresentable`
with the reason, which the corpus counts.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from fractions import Fraction

from folkrnn.abc.keys import Key
from folkrnn.abc.meter import Meter, parse_meter, parse_unit
from folkrnn.abc.pitch import PitchReader
from folkrnn.abc.reader import Tune
from folkrnn.abc.symbols import (
    ANNOT,
    BAR,
    BROKEN,
    CHORD,
    DECO,
    ENDING,
    FIELD,
    GRACE,
    MREST,
    NOTE,
    REST,
    TUPLET,
    Sym,
)
from folkrnn.abc.transpose import interval, transpose_symbols
from folkrnn.abc.writer import sym_text
from folkrnn.errors import FolkrnnError

EIGHTH = Fraction(1, 8)
RHYTHM_ALIASES = {"slipjig": "slip jig", "double jig": "jig", "single jig": "jig",
                  "highland fling": "fling", "reels": "reel", "hornpipes": "hornpipe",
                  "jigs": "jig", "slide": "slide"}


KNOWN_RHYTHMS = {"reel", "jig", "slip jig", "hornpipe", "polka", "waltz", "march", "strathspey",
                 "fling", "clog", "air", "slide", "mazurka", "schottische", "barndance",
                 "walkaround", "quickstep", "set dance", "song", "lied"}


class Unrepresentable(FolkrnnError):
    """A tune the model stream cannot hold; `reason` is a short label for counting."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}{': ' + detail if detail else ''}")


@dataclass(frozen=True)
class NormaliseOptions:
    keep_chord_symbols: bool = False
    keep_decorations: bool = False
    keep_grace_notes: bool = False


@dataclass(frozen=True)
class NormalTune:
    """A normalised tune: header values and the body as canonical symbol texts."""

    title: str
    rhythm: str
    meter: str  # e.g. "6/8"
    mode: str  # maj, min, dor, mix, phr, lyd, loc
    body: tuple[str, ...]

    @property
    def text(self) -> str:
        head = [f"T:{self.title}"] + ([f"R:{self.rhythm}"] if self.rhythm else [])
        head += [f"M:{self.meter}", f"K:C{self.mode}"]
        return "\n".join(head) + "\n" + "".join(self.body)


def normalise(tune: Tune, options: NormaliseOptions = NormaliseOptions()) -> NormalTune:
    """The model's text for `tune`.

    Raises:
        Unrepresentable: no meter, several voices, a key change, and the like.
    """
    meter, key = _meter(tune), tune.key
    _refuse_unsupported(tune)
    semis, steps = interval(key, "C", 0)
    syms = transpose_symbols(tune.symbols, key, semis, steps, keep=lambda s: _keep(s, options))
    syms = _fix_ties(syms, key_c(key.mode))
    syms = _scale_lengths(syms, tune.unit)
    syms = _merge_bars(syms)
    body = tuple(sym_text(s) for s in syms)
    if not any(s.kind in (NOTE, CHORD) for s in syms):
        raise Unrepresentable("no notes")
    return NormalTune(normalise_title(tune.title), normalise_rhythm(tune.rhythm, tune.title),
                      f"{meter.num}/{meter.den}", key.mode, body)


def key_c(mode: str) -> Key:
    return Key("C", 0, mode)


def _meter(tune: Tune) -> Meter:
    meter = tune.meter
    if meter is None:
        raise Unrepresentable("no meter", "M: is missing or 'none'")
    return meter


def _refuse_unsupported(tune: Tune) -> None:
    if any(f == "V" for f, _ in tune.fields):
        raise Unrepresentable("several voices")
    for s in tune.symbols:
        if s.kind == FIELD and s.value[0] == "K":
            raise Unrepresentable("key change", f"line {s.line}")
        if s.kind == FIELD and s.value[0] == "V":
            raise Unrepresentable("several voices")
        if s.kind == MREST:
            raise Unrepresentable("multi-measure rest", f"line {s.line}")
        if s.kind == FIELD and s.value[0] == "M" and parse_meter(s.value[1]) is None:
            raise Unrepresentable("no meter", f"free meter at line {s.line}")


def _keep(s: Sym, o: NormaliseOptions) -> bool:
    if s.kind in (NOTE, CHORD, REST, BAR, ENDING, BROKEN, TUPLET):
        return True
    if s.kind == FIELD:
        return s.value[0] in ("M", "L")
    return ((s.kind == ANNOT and o.keep_chord_symbols) or (s.kind == DECO and o.keep_decorations)
            or (s.kind == GRACE and o.keep_grace_notes))


def _fix_ties(syms: list[Sym], key: Key) -> list[Sym]:
    """Drop ties whose next note has another pitch (a slur in old transcriptions)."""
    reader, out = PitchReader(key), list(syms)
    pitches: list[tuple[int, tuple[int, ...]]] = []
    for i, s in enumerate(syms):
        if s.kind == BAR:
            reader.bar()
        elif s.kind in (NOTE, CHORD):
            pitches.append((i, tuple(sorted(reader.midi(n) for n in s.notes))))
        elif s.kind == REST:
            pitches.append((i, ()))
    for (i, here), (_, nxt) in zip(pitches, pitches[1:] + [(None, ())]):
        if out[i].tie and (here != nxt or not nxt):
            out[i] = out[i].with_(tie=False, notes=tuple(replace(n, tie=False) for n in out[i].notes))
    return out


def _scale_lengths(syms: list[Sym], unit: Fraction) -> list[Sym]:
    """Lengths re-expressed in eighths; `[L:]` fields change the unit and vanish."""
    out = []
    for s in syms:
        if s.kind == FIELD and s.value[0] == "L":
            unit = parse_unit(s.value[1])
            continue
        if s.kind in (NOTE, CHORD):
            s = s.with_(length=_in_eighths(s.length, unit))
        elif s.kind == REST:  # an invisible rest `x` is a rest all the same
            s = s.with_(length=_in_eighths(s.length, unit), value="z")
        elif s.kind == FIELD and s.value[0] == "M":
            m = parse_meter(s.value[1])
            s = s.with_(value=("M", f"{m.num}/{m.den}"))
        out.append(s)
    return out


@functools.lru_cache(maxsize=4096)
def _in_eighths(length: Fraction, unit: Fraction) -> Fraction:
    return length * unit / EIGHTH


def _merge_bars(syms: list[Sym]) -> list[Sym]:
    """Join adjacent bar lines and endings (`|` `|:` -> `|:`, `:|` `|:` -> `::`); drop a leading `|`."""
    out: list[Sym] = []
    for s in syms:
        if s.kind == ENDING:
            s = Sym(BAR, "", s.line, s.col, bar="|", ending=s.ending)
        if s.kind == BAR and out and out[-1].kind == BAR:
            out[-1] = _join_bars(out[-1], s)
            continue
        out.append(s)
    if out and out[0].kind == BAR and out[0].bar == "|" and not out[0].ending:
        out = out[1:]
    return out


_RANK = {"|": 0, "[|": 1, "||": 2, "|]": 3}


def _join_bars(a: Sym, b: Sym) -> Sym:
    end_rep = a.bar in (":|", "::") or b.bar in (":|",) and a.bar != "|:"
    start_rep = b.bar in ("|:", "::") or (a.bar == "|:" and b.bar == "|")
    if end_rep and start_rep:
        bar = "::"
    elif end_rep:
        bar = ":|"
    elif start_rep:
        bar = "|:"
    else:
        bar = max(a.bar, b.bar, key=lambda x: _RANK.get(x, 0))
    return a.with_(bar=bar, ending=b.ending or a.ending)


def normalise_title(title: str) -> str:
    """`Lamentation of Owen Roe O'Neill, The` -> `The Lamentation ...`; `LANIGAN'S BALL -- JIG`
    -> `Lanigan's Ball`; trailing dots and extra spaces go."""
    t = re.sub(r"\s+", " ", title).strip()
    t = re.split(r"\s+--\s+", t)[0].strip()
    t = t.rstrip(".").strip()
    m = re.match(r"^(.*),\s*(The|A|An)$", t, re.IGNORECASE)
    if m:
        t = f"{m[2].capitalize()} {m[1]}"
    if t.isupper() and len(t) > 3:
        t = re.sub(r"[A-Za-z]+('[A-Za-z]+)?", lambda w: w[0].capitalize(), t.lower())
    return t


def normalise_rhythm(rhythm: str, title: str = "") -> str:
    """Lower case, known aliases joined (`slipjig` -> `slip jig`); from the title's
    `-- JIG` suffix when R: is absent."""
    r = rhythm
    if not r.strip():
        m = re.search(r"\s--\s+(.+)$", title)
        r = m[1] if m else ""
    r = re.sub(r"\s+", " ", r).strip().lower().strip('."')
    r = RHYTHM_ALIASES.get(r, r)
    return r if r in KNOWN_RHYTHMS or rhythm.strip() else ""


def split_normal(text: str) -> tuple[list[str], str]:
    """Header lines and body of a normalised text."""
    lines = text.split("\n")
    k = next((i for i, line in enumerate(lines) if line.startswith("K:")), None)
    if k is None:
        raise Unrepresentable("no key", "a normalised tune needs a K: line")
    return lines[:k + 1], "\n".join(lines[k + 1:])


def read_normal(text: str, source: str = "<normalised>") -> Tune:
    """A normalised text read back as a Tune (L:1/8 implied)."""
    from folkrnn.abc.reader import read_text  # the reader is the one parser of record

    head, body = split_normal(text)
    # strict: the model's own text (and a --prime) must be good ABC as written, not repaired
    result = read_text("X:1\n" + "\n".join(head[:-1] + ["L:1/8", head[-1]]) + "\n" + body + "\n",
                       source, strict=True)
    if result.errors:
        raise result.errors[0]
    return result.tunes[0]

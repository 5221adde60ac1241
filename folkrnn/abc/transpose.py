"""Transposition that respects key signatures and accidentals carried through the bar."""
from __future__ import annotations

import re
from typing import Callable

from folkrnn.abc.keys import LETTERS, NATURAL_SEMITONE, Key, parse_key
from folkrnn.abc.pitch import PitchReader, PitchWriter, diatonic_of, respell
from folkrnn.abc.symbols import ANNOT, BAR, CHORD, FIELD, GRACE, NOTE, Sym
from folkrnn.abc.writer import sym_text

_CHORD_ROOT = re.compile(r"^([A-G])([#b]?)")


def interval(src: Key, tonic: str, tonic_acc: int = 0, up: bool | None = None) -> tuple[int, int]:
    """(semitones, letter steps) from `src`'s tonic to `tonic`: the nearer way, or up/down."""
    semis = (NATURAL_SEMITONE[tonic] + tonic_acc - src.tonic_semitone) % 12
    steps = (LETTERS.index(tonic) - LETTERS.index(src.tonic)) % 7
    if up is None:
        up = semis <= 6 if semis != 6 else steps <= 3
        if steps == 0 and semis in (1, 11):  # C# -> C, Cb -> C: same letter
            up = semis == 1
    if not up:
        semis, steps = semis - 12, steps - 7 if steps else 0
    return semis, steps


def transpose_key(key: Key, semis: int, steps: int) -> Key:
    """The key `semis` semitones and `steps` letters away, in the same mode."""
    if key.explicit_only and not key.extra:
        return key
    idx = LETTERS.index(key.tonic) + steps
    letter = LETTERS[idx % 7]
    acc = (key.tonic_semitone + semis - NATURAL_SEMITONE[letter]) % 12
    acc = acc - 12 if acc > 6 else acc
    extra = tuple(_move_extra(key, e, semis, steps) for e in key.extra)
    return Key(letter, acc, key.mode, extra, key.bagpipe, key.explicit_only)


def _move_extra(key: Key, extra: tuple[str, int], semis: int, steps: int) -> tuple[str, int]:
    letter, alt = extra
    midi = NATURAL_SEMITONE[letter] + alt + semis
    new, _, new_alt = respell(midi, LETTERS.index(letter) + steps)
    return new, new_alt


def transpose_symbols(syms: list[Sym], key: Key, semis: int, steps: int,
                      keep: Callable[[Sym], bool] | None = None) -> list[Sym]:
    """Symbols moved by `semis` semitones and `steps` letters, accidentals respelled.

    With `keep`, only the kept symbols are returned and spelled; the others are
    still read, so an accidental on a dropped grace note carries as the source meant.
    """
    reader, writer = PitchReader(key), PitchWriter(transpose_key(key, semis, steps))
    out = []
    for s in syms:
        kept = keep is None or keep(s)
        if s.kind == BAR:
            reader.bar()
            writer.bar()
        elif s.kind in (NOTE, CHORD, GRACE) and not kept:
            for n in s.notes:
                reader.midi(n)
        elif s.kind in (NOTE, CHORD, GRACE):
            notes = tuple(_move(n, reader, writer, semis, steps) for n in s.notes)
            s = s.with_(notes=notes)
            s.text = sym_text(s)  # a fresh copy: safe to set
            out.append(s)
            continue
        elif s.kind == FIELD and s.value[0] == "K":
            new_key = parse_key(s.value[1])
            reader.set_key(new_key)
            moved = transpose_key(new_key, semis, steps)
            writer.set_key(moved)
            s = s.with_(value=("K", moved.name()))
        elif s.kind == ANNOT:
            s = s.with_(value=transpose_chord_symbol(s.value, semis, steps))
        if kept:
            out.append(s.with_(text=sym_text(s)))
    return out


def _move(n, reader: PitchReader, writer: PitchWriter, semis: int, steps: int):
    midi = reader.midi(n) + semis
    letter, octave, alt = respell(midi, diatonic_of(n) + steps)
    return writer.note(letter, octave, alt, length=n.length, tie=n.tie)


def transpose_chord_symbol(text: str, semis: int, steps: int) -> str:
    """`Am` -> `Em` and the like; annotations (`^text`) and unknown text stay."""
    m = _CHORD_ROOT.match(text)
    if not m:
        return text
    alt = {"#": 1, "b": -1, "": 0}[m[2]]
    letter, _, new_alt = respell(NATURAL_SEMITONE[m[1]] + alt + semis + 60,
                                 LETTERS.index(m[1]) + steps)
    if abs(new_alt) > 1:
        return text
    rest = text[m.end():]
    bass = re.match(r"^(.*/)([A-G][#b]?)(.*)$", rest)
    if bass:
        rest = bass[1] + transpose_chord_symbol(bass[2], semis, steps) + bass[3]
    return letter + {1: "#", -1: "b", 0: ""}[new_alt] + rest


def transposed_text(tune, tonic: str, tonic_acc: int = 0) -> str:
    """ABC of a read tune (`reader.Tune`) moved to `tonic` the nearer way, in its own mode:
    the header as it was but `K:`, the body written four bars a line, spacing as read.
    Inline `K:` fields move with it."""
    from folkrnn.abc.writer import write_body, write_tune

    key = tune.key
    semis, steps = interval(key, tonic, tonic_acc)
    syms = transpose_symbols(tune.symbols, key, semis, steps)
    fields = [(f, transpose_key(key, semis, steps).name() if f == "K" else v) for f, v in tune.fields]
    return write_tune(fields, write_body(syms, 4, None, tune.unit))

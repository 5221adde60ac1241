"""Pitch in context: key signatures and accidentals that carry through the bar.

Reading follows abc2midi (the project's MIDI oracle): an accidental holds for
that letter in every octave until the bar line. Writing is safe under both
that rule and the per-octave reading of ABC 2.1: a note gets an accidental
whenever either reading would otherwise give another pitch.

The one place for the playable range (`PLAYABLE`) and for the walk that gives every note
of a body its sounding pitch (`sounding_pitches`).
"""
from __future__ import annotations

from folkrnn.abc.keys import LETTERS, Key, parse_key
from folkrnn.abc.symbols import BAR, CHORD, FIELD, NOTE, Note, Sym, midi_number
from folkrnn.errors import AbcError

# The playable range, G3..A6 (MIDI 55..93): G3 is the fiddle's open G string, the lowest
# note of the fiddle, mandolin and GDAE banjo; A6 is as high as session fiddle, flute and
# whistle players go, and the highest note of the bundled corpus (none lies outside).
# The checker refuses notes outside it; the constraints and `to_abc` keep tunes inside it.
PLAYABLE = (55, 93)


class _InKey:
    """A key signature plus what the current bar has changed; `bar()` forgets the latter."""

    def __init__(self, key: Key) -> None:
        self.set_key(key)

    def set_key(self, key: Key) -> None:
        self.signature = key.signature()
        self.bar()

    def bar(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class PitchReader(_InKey):
    """Gives each note its sounding alteration; call `bar()` at bar lines."""

    def bar(self) -> None:
        self.carried: dict[str, int] = {}

    def alteration(self, note: Note) -> int:
        """The alteration (-2..2) this note sounds with; records its accidental."""
        if note.accidental is not None:
            self.carried[note.letter] = note.accidental
            return note.accidental
        return self.carried.get(note.letter, self.signature[note.letter])

    def midi(self, note: Note) -> int:
        return midi_number(note.letter, note.octave, self.alteration(note))


def sounding_pitches(syms: list[Sym], key: Key) -> list[tuple[int, int]]:
    """(symbol index, MIDI number) of every note and chord note of `syms`, in order, as it
    sounds in `key`: bar accidentals carried to the bar line, inline `K:` fields changing
    the key from where they stand (grace notes are left out).

    Raises:
        AbcError: an inline `K:` that is no key, at its line and column.
    """
    reader, out = PitchReader(key), []
    for i, s in enumerate(syms):
        if s.kind == BAR:
            reader.bar()
        elif s.kind == FIELD and s.value[0] == "K":
            reader.set_key(_field_key(s))
        elif s.kind in (NOTE, CHORD):
            out += [(i, reader.midi(n)) for n in s.notes]
    return out


def _field_key(s: Sym) -> Key:
    try:
        return parse_key(s.value[1])
    except AbcError as err:
        raise AbcError(err.message, line=s.line, col=s.col) from None


class PitchWriter(_InKey):
    """Spells pitches with the fewest accidentals that still read unambiguously."""

    def bar(self) -> None:
        self.by_letter: dict[str, int] = {}
        self.by_octave: dict[tuple[str, int], int] = {}

    def note(self, letter: str, octave: int, alteration: int, **kw) -> Note:
        """A Note that reads as `alteration` on `letter`/`octave` here; updates the bar state."""
        key_alt = self.signature[letter]
        as_letter = self.by_letter.get(letter, key_alt)
        as_octave = self.by_octave.get((letter, octave), key_alt)
        acc = None if as_letter == alteration and as_octave == alteration else alteration
        if acc is not None:
            self.by_letter[letter] = acc
            self.by_octave[(letter, octave)] = acc
        return Note(letter, octave, acc, **kw)


def spell(midi: int, diatonic: int) -> tuple[str, int, int]:
    """(letter, octave, alteration) of `midi` written on diatonic step `diatonic`
    (7 * octave + letter index, C of octave 0 = middle C = 0)."""
    octave, idx = divmod(diatonic, 7)
    letter = LETTERS[idx]
    return letter, octave, midi - midi_number(letter, octave, 0)


def diatonic_of(note: Note) -> int:
    return 7 * note.octave + LETTERS.index(note.letter)


def respell(midi: int, diatonic: int) -> tuple[str, int, int]:
    """Like `spell`, moving to a neighbouring letter if more than a double accidental is needed."""
    letter, octave, alt = spell(midi, diatonic)
    if abs(alt) <= 2:
        return letter, octave, alt
    return spell(midi, diatonic + (1 if alt > 0 else -1))

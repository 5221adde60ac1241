"""The ABC model: every body symbol with its musical meaning.

One representation serves the tokenizer, the checker, the transposer and the
MIDI renderer. Lengths are Fractions in units of the tune's `L:`.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from folkrnn.abc.keys import ACCIDENTAL_TEXT, ACCIDENTAL_VALUE, NATURAL_SEMITONE

# symbol kinds
NOTE, REST, CHORD, BAR, ENDING = "note", "rest", "chord", "bar", "ending"
BROKEN, TUPLET, GRACE, FIELD = "broken", "tuplet", "grace", "field"
SLUR, DECO, ANNOT, EOL, SPACER = "slur", "deco", "annot", "eol", "spacer"
MREST = "mrest"  # multi-measure rest `Z4`


def midi_number(letter: str, octave: int, alteration: int) -> int:
    """The MIDI number of `letter` in `octave` (0: `C`..`B`, from middle C, 60), altered."""
    return 60 + 12 * octave + NATURAL_SEMITONE[letter] + alteration


@dataclass(frozen=True)
class Note:
    """A pitch: letter (upper case), octave (0 for `C`..`B`, 1 for `c`..`b`, ...), accidental."""

    letter: str
    octave: int
    accidental: int | None = None  # None: none written; else -2..2 (0 is `=`)
    length: Fraction = Fraction(1)  # of a note inside a chord or grace group
    tie: bool = False

    def midi(self, key_alteration: int) -> int:
        """MIDI number given the alteration in force (key or bar accidental)."""
        alt = self.accidental if self.accidental is not None else key_alteration
        return midi_number(self.letter, self.octave, alt)

    def pitch_text(self) -> str:
        """`^c'`, `_B,`, `=F`: accidental, letter, octave marks (no length)."""
        acc = "" if self.accidental is None else ACCIDENTAL_TEXT[self.accidental]
        if self.octave >= 1:
            return acc + self.letter.lower() + "'" * (self.octave - 1)
        return acc + self.letter + "," * (-self.octave)


@dataclass(slots=True)
class Sym:
    """One body symbol; treat it as immutable (`with_` makes changed copies).

    kind: one of the kinds above. text: as written in the source.
    line, col: 1-based position in the file. spaced: whitespace came before it.
    notes: the note (one), chord notes, or grace notes. length: in L units.
    bar: canonical bar (`|`, `||`, `|]`, `[|`, `|:`, `:|`, `::`); ending: `1`, `2`, `1,3`.
    value: broken rhythm (`>`), decoration, annotation text, field `K:G`, tuplet (p, q, r).
    tie: a tie follows (notes and chords).
    """

    kind: str
    text: str
    line: int = 0
    col: int = 0
    spaced: bool = False
    notes: tuple[Note, ...] = ()
    length: Fraction = Fraction(1)
    bar: str = ""
    ending: str = ""
    value: object = None
    tie: bool = False

    @property
    def note(self) -> Note:
        return self.notes[0]

    @property
    def is_timed(self) -> bool:
        """Takes time: a note, chord or rest."""
        return self.kind in (NOTE, CHORD, REST)

    @property
    def repeat_start(self) -> bool:
        return self.kind == BAR and self.bar in ("|:", "::")

    @property
    def repeat_end(self) -> bool:
        return self.kind == BAR and self.bar in (":|", "::")

    def with_(self, **changes) -> "Sym":
        """A copy with `changes` (faster than dataclasses.replace, which this hot path used)."""
        new = object.__new__(Sym)
        for name in Sym.__slots__:
            setattr(new, name, changes[name] if name in changes else getattr(self, name))
        return new


def length_text(length: Fraction) -> str:
    """ABC spelling of a length multiplier: ``, `2`, `/2`, `3/2`."""
    if length == 1:
        return ""
    if length.denominator == 1:
        return str(length.numerator)
    if length.numerator == 1:
        return f"/{length.denominator}"
    return f"{length.numerator}/{length.denominator}"


def parse_accidental(text: str) -> int | None:
    return ACCIDENTAL_VALUE[text] if text else None

"""Token classes and two families of rules that `constraints.TuneState` mixes in.

- `Vocab`: the token classes of a folkrnn vocabulary as bool masks;
- `HeaderRules`: the header `T:` title `T/` [`R:`] `M:` `K:`, forced where primed,
  and `RHYTHM_METERS`;
- `TieRules`: a tie `-` is followed by the same pitch (abc2midi: "Could not find note
  to be tied" otherwise): the same letter and octave sounding the same alteration,
  with only `|` or `||` between; across the bar line that means writing the
  accidental the bar had carried (`^f f-|^f`);
- `RangeRules`: the tune stays playable in the key it will be written in.
The mixins use `TuneState`'s fields; they hold no state of their own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import torch

from .abc.keys import LETTERS, Key, parse_key
from .abc.lexer import default_q, lex_line, parse_length
from .abc.meter import Meter, parse_meter
from .abc.symbols import midi_number
from .abc.transpose import interval
from .check import PLAYABLE
from .tokenize import EOS, TITLE_END, TITLE_START

PITCH_RE = re.compile(r"^(\^\^|\^|__|_|=)?[A-Ga-g][,']*$")
LENGTH_RE = re.compile(r"^(\d+)?(/+)?(\d+)?$")
TUPLET_RE = re.compile(r"^\((\d)(?::(\d*)(?::(\d*))?)?$")
BROKEN = {">": (Fraction(3, 2), Fraction(1, 2)), "<": (Fraction(1, 2), Fraction(3, 2)),
          ">>": (Fraction(7, 4), Fraction(1, 4)), "<<": (Fraction(1, 4), Fraction(7, 4))}
BARS = {"|", "||", "|]", "|:", ":|", "::", "|1", ":|2"}
ENDING_ZONE = 60  # this close to the length cap, a tune ends at the first bar line it may
TITLE_MAX = 60
# abc2midi swings `R:hornpipe` only in 2/4 or 4/4 and calls any other meter an error
# ("Hornpipe must be in 2/4 or 4/4 time"), 2/2 and `C|` included, though a 2/2 hornpipe
# is good ABC (194 of the corpus's 439). The header is constrained, so the model writes
# its body knowing the meter (2/4 mostly: it likes 2/4 hornpipes far more than 4/4 ones);
# dropping `R:` would lose the rhythm, and writing `M:4/4` for the model's `M:2/2` in
# `to_abc` would make the ABC say what the model did not.
RHYTHM_METERS = {"R:hornpipe": ("M:2/4", "M:4/4")}
TIE_MARGIN = 8  # a tie needs a few steps before the ending zone to reach its note
TIE_BARS = ("|", "||")  # bar lines a tie may cross (not repeats: the tie would go nowhere)
# the key a tune comes out in when none is asked: common fiddle keys per mode
DEFAULT_KEY = {"maj": "D", "min": "Em", "dor": "Ador", "mix": "Amix", "phr": "Ephr",
               "lyd": "Dlyd", "loc": "Bloc"}


class Vocab:
    """Token classes of a folkrnn vocabulary, as bool masks and lookup tables."""

    def __init__(self, vocab: list[str]) -> None:
        self.vocab, V = vocab, len(vocab)
        self.index = {t: i for i, t in enumerate(vocab)}

        def mask(pred) -> torch.Tensor:
            return torch.tensor([bool(pred(t)) for t in vocab], dtype=torch.bool)

        self.pitch = mask(PITCH_RE.match)
        self.title_chars = mask(lambda t: len(t) == 1 and t not in "\n")
        self.rhythms = mask(lambda t: t.startswith("R:"))
        self.meters = mask(lambda t: t.startswith("M:") and parse_meter(t[2:]) is not None)
        self.modes = mask(lambda t: t.startswith("K:C"))
        self.lengths = sorted((length, i) for i, length in enumerate(map(note_length, vocab)) if length)
        self.length_values = [v for v, _ in self.lengths]
        self.length_upto = [torch.zeros(V, dtype=torch.bool)]  # [k]: the k shortest lengths
        for _, i in self.lengths:
            m = self.length_upto[-1].clone()
            m[i] = True
            self.length_upto.append(m)
        self.min_length = self.length_values[0] if self.lengths else Fraction(1)
        self.tuplets = {i: parse_tuplet(t) for i, t in enumerate(vocab) if TUPLET_RE.match(t)}
        self.none = torch.zeros(V, dtype=torch.bool)
        self.notes = {i: lex_line(t)[0].note for i, t in enumerate(vocab) if PITCH_RE.match(t)}
        self.spellings: dict[tuple[str, int], list[tuple[int, int | None]]] = {}
        for i, n in self.notes.items():  # (letter, octave) -> [(token id, accidental)]
            self.spellings.setdefault((n.letter, n.octave), []).append((i, n.accidental))
        self.tie_free = ~(self.pitch | self.one("z") | self.one("[") | self.one(EOS)
                          | mask(lambda t: t in BARS))  # what a pending tie never restricts
        self._pitch_tables()

    def _pitch_tables(self) -> None:
        """The pitch tokens as tensors, for RangeRules: token id, MIDI number unaltered,
        letter, accidental written (`pitch_written` False: the bar's or the key's)."""
        notes = sorted(self.notes.items())
        natural = [midi_number(n.letter, n.octave, 0) for _, n in notes]
        self.pitch_ids = torch.tensor([i for i, _ in notes], dtype=torch.long)
        self.pitch_natural = torch.tensor(natural, dtype=torch.long)
        self.pitch_letter = torch.tensor([LETTERS.index(n.letter) for _, n in notes], dtype=torch.long)
        self.pitch_written = torch.tensor([n.accidental is not None for _, n in notes], dtype=torch.bool)
        self.pitch_acc = torch.tensor([n.accidental or 0 for _, n in notes], dtype=torch.long)
        self.pitch_span = (min(natural) - 2, max(natural) + 2) if natural else (0, 0)
        self.range_cache: dict[tuple, torch.Tensor] = {}  # (lo, hi, alterations) -> refused

    def one(self, token: str) -> torch.Tensor:
        m = self.none.clone()
        if token in self.index:
            m[self.index[token]] = True
        return m


def note_length(tok: str) -> Fraction | None:
    """The length a length token writes, or None: not a length, or one abc2midi refuses.

    abc2midi wants the written divisor a power of 2 (`/3`: "3 b is not a power of 2", an
    error); the corpus has a few such lengths, so the vocabulary does too."""
    m = LENGTH_RE.match(tok)
    if not tok or not m or tok == "/" or not tok.strip("0/"):
        return None
    num, slashes, den = m.groups()
    divisor = int(den) if den else 2 ** len(slashes or "")
    return parse_length(num, slashes, den) if divisor & (divisor - 1) == 0 else None


def output_interval(mode: str, key: Key | None) -> tuple[Key, int, int]:
    """The key a tune written in C `mode` comes out in (`key`, or DEFAULT_KEY's) and the
    (semitones, letter steps) there; `to_abc` may move it a further octave either way."""
    target = key or parse_key(DEFAULT_KEY[mode])
    semis, steps = interval(Key("C", 0, mode), target.tonic, target.tonic_acc)
    return target, semis, steps


OCTAVE_SHIFTS = ((0, 0), (12, 7), (-12, -7))  # (semitones, letter steps) to_abc may add


def parse_tuplet(t: str, meter: Meter | None = None) -> tuple[int, int, int]:
    p, q, r = TUPLET_RE.match(t).groups()
    p = int(p)
    return p, int(q) if q else default_q(p, meter), int(r) if r else p


@dataclass
class Header:
    """Forced header values (None: the model chooses), as tokens of the vocabulary; and
    the key the tune will be written in, which the range rule needs."""

    title: list[str] | None = None  # title character tokens
    rhythm: str | None = None  # "R:jig", or "" for none
    meter: str | None = None  # "M:6/8"
    mode: str | None = None  # "K:Cmaj"
    key: Key | None = None  # the key the tune will be written in (None: DEFAULT_KEY's)


class HeaderRules:
    """The header's masks and steps, mixed into `TuneState`."""

    def _header_mask(self) -> torch.Tensor:
        v, h = self.v, self.header
        if self.phase == "start":
            return v.one(TITLE_START)
        if self.phase == "title":
            if h.title is not None:
                return v.one(h.title[self.title_len] if self.title_len < len(h.title) else TITLE_END)
            m = v.title_chars.clone() if self.title_len < TITLE_MAX else v.none.clone()
            m[v.index[TITLE_END]] = self.title_len > 0 or self.title_len >= TITLE_MAX
            return m
        if self.phase == "rhythm":
            if h.rhythm is not None:
                return v.one(h.rhythm) if h.rhythm else self._meter_mask()
            return self._rhythm_mask() | self._meter_mask()
        if self.phase == "meter":
            return self._meter_mask()
        return v.one(h.mode) if h.mode else v.modes  # phase "mode"

    def _rhythm_mask(self) -> torch.Tensor:
        m = self.v.rhythms.clone()
        for rhythm, meters in RHYTHM_METERS.items():
            if self.constrain_body and self.header.meter and self.header.meter not in meters:
                m &= ~self.v.one(rhythm)
        return m

    def _meter_mask(self) -> torch.Tensor:
        if self.header.meter:
            return self.v.one(self.header.meter)
        only = RHYTHM_METERS.get(self.rhythm, ()) if self.constrain_body else ()
        m = self.v.meters & sum((self.v.one(t) for t in only), self.v.none.clone())
        return m if m.any() else self.v.meters

    def _advance_header(self, tok: str) -> None:
        if self.phase == "start" and tok == TITLE_START:
            self.phase = "title"
        elif self.phase == "title":
            self.phase = "rhythm" if tok == TITLE_END else "title"
            self.title_len += tok != TITLE_END
        elif tok.startswith("R:"):
            self.phase, self.rhythm = "meter", tok
        elif tok.startswith("M:"):
            self.meter = meter = parse_meter(tok[2:])
            self.bar_len = self.limit = meter.bar_length * 8 if meter else Fraction(8)
            self.phase = "mode"
        elif tok.startswith("K:"):
            self.signature = parse_key(tok[2:]).signature()
            self.phase = "body"
            self._set_shifts(tok[3:])


class TieRules:
    """Ties: the note after `-` sounds the tied pitch; mixed into `TuneState`."""

    def _tie_possible(self, committed: Fraction, steps_left: int) -> bool:
        """A tie only where its note can follow: in this bar, or across a plain bar line
        in a spelling the vocabulary has."""
        if self.pending is None or self.is_rest or self.tied or steps_left <= ENDING_ZONE + TIE_MARGIN:
            return False
        if self._note_fits(committed):
            return True  # the same token again, in this bar, sounds the same pitch
        return self._crossing_ok(self.open_pitches) and self._bar_ok("|", committed, steps_left)

    def _crossing_ok(self, pitches: tuple) -> bool:
        """Every tied pitch can be spelled in the next bar (its accidentals forgotten)."""
        return all(self._spell(p, {}).any() for p in pitches)

    def _spell(self, pitch: tuple, carried: dict) -> torch.Tensor:
        """The pitch tokens on this letter and octave that sound `pitch`'s alteration."""
        letter, octave, alt = pitch
        m = self.v.none.clone()
        for i, acc in self.v.spellings.get((letter, octave), ()):
            m[i] = (acc if acc is not None else carried.get(letter, self.signature[letter])) == alt
        return m

    def _tie_mask(self, m: torch.Tensor) -> torch.Tensor:
        """`m` narrowed after a tie: the next note or chord repeats the tied pitches."""
        v, k = self.v, self.in_chord
        if k >= 0:  # inside the chord after a tied chord: the same notes in the same order
            return m & (self._spell(self.tie_to[k], self.carried) if k < len(self.tie_to) else v.one("]"))
        keep = m & v.tie_free
        keep |= m & (self._spell(self.tie_to[0], self.carried) if len(self.tie_to) == 1 else v.one("["))
        if self._crossing_ok(self.tie_to):
            for tok in TIE_BARS:
                keep |= m & v.one(tok)
        return keep

    def _read_pitch(self, tok: str) -> tuple[str, int, int]:
        """(letter, octave, sounding alteration) of a pitch token; records its accidental."""
        n = self.v.notes[self.v.index[tok]]
        if n.accidental is not None:
            self.carried = {**self.carried, n.letter: n.accidental}
        return n.letter, n.octave, self.carried.get(n.letter, self.signature[n.letter])


class RangeRules:
    """Every note within `check.PLAYABLE` (G3..A6, the fiddle's and the flute's compass)
    once `generate.to_abc` moves the tune from C to its key, an octave up or down as fits
    best; mixed into `TuneState`. A pitch is refused when no such octave would hold the
    tune with it. Forced (primed) notes are never refused, and a prime already too wide
    for any octave turns the rule off: the checker reports the tune instead."""

    def _set_shifts(self, mode: str) -> None:
        """The semitones `to_abc` may move the tune by, once the mode is known."""
        _, semis, _ = output_interval(mode, self.header.key)
        self.shifts = tuple(semis + octave for octave, _ in OCTAVE_SHIFTS)

    def _hear(self, pitch: tuple[str, int, int]) -> None:
        midi = midi_number(*pitch)
        self.lowest = midi if self.lowest is None else min(self.lowest, midi)
        self.highest = midi if self.highest is None else max(self.highest, midi)

    def _range_refused(self) -> torch.Tensor | None:
        """Bool mask [V] of the pitch tokens refused now (None: none are)."""
        if self.primed or not self.shifts:
            return None
        low, high = PLAYABLE
        fits = [s for s in self.shifts
                if self.lowest is None or (low <= self.lowest + s and self.highest + s <= high)]
        if not fits:
            return None
        lo, hi = low - max(fits), high - min(fits)  # the notes some fitting octave still holds
        v = self.v
        if lo <= v.pitch_span[0] and v.pitch_span[1] <= hi:
            return None
        in_force = tuple(self.carried.get(x, self.signature[x]) for x in LETTERS)
        refused = v.range_cache.get((lo, hi, in_force))
        if refused is None:
            alt = torch.tensor(in_force)[v.pitch_letter]
            midi = v.pitch_natural + torch.where(v.pitch_written, v.pitch_acc, alt)
            refused = v.none.clone()
            refused[v.pitch_ids[(midi < lo) | (midi > hi)]] = True
            v.range_cache[(lo, hi, in_force)] = refused
        return refused

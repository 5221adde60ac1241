"""`TuneState`: where one tune stands, and the mask of the tokens that may come next.

This module holds the notes within the bar (lengths, chords, tuplets, broken rhythm);
the other rules are mixed in from their own modules. At every step:
- the header runs `T:` title `T/` [`R:`] `M:` `K:`, with any of them forced by priming,
  and a hornpipe in 2/4 or 4/4 (`header.py`);
- a note, rest or chord may start only if it can still fit the bar; a length
  token only if the note then fits; a bar line only when the bar is full, or is
  the tune's pickup, or closes a section short (below);
- short bars as abc2midi counts them (`bars.py`): it checks a bar's length at a plain `|` but
  lets a short bar run on over `||`, `|]`, `|:`, `:|` and `::` into the next bar it
  plays, the tune's first bar alone excepted. So a repeat (`:|`, `::`, `:|2`) may
  close on a short bar only when the bar after the point it goes back to (`|:`, `::`,
  an earlier `:|`, `||`, `|]`, or the start) is a pickup that makes it up, and then
  leaves room for it; `||`, `|]` and `|:` may close a section short by the tune's or
  the repeat's pickup; and the bar after a short bar closed so (`:|2` aside: its pass
  skips the first ending) must be exactly the rest, a pickup of the next section;
- repeats and endings stay balanced: `:|` only inside a repeatable section, `|1`
  only there, `:|2` only after `|1`, no `|:` inside an open repeat;
- `</s>` only right after a closing bar line, and near the length cap the tune is
  steered to close;
- the notes of a tuplet have the first one's written length (abc2midi warns
  "Different length notes in tuple" otherwise; a handful of the corpus's tuplets differ);
- every note lies within the fiddle's compass, G3..A6, in the key the tune will be
  written in (`range.py`);
- a tie `-` is followed by the same pitch (abc2midi: "Could not find note to be
  tied" otherwise): the same letter and octave sounding the same alteration, with
  only `|` or `||` between; across the bar line that means writing the accidental
  the bar had carried (`^f f-|^f`; `ties.py`).
Lengths are integer ticks, `TICKS` to an eighth (`L:1/8`; `tokens.py` says why every length
the rules meet is a whole number of them); multipliers (tuplets, broken rhythm) stay Fractions
and scale a length by `times`, but for the plain one, the int 1 (`ONE`): it equals Fraction(1)
and hashes as it does, so the mask table's keys are the same, and it is several times
cheaper to hash and multiply on a path taken every token.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from fractions import Fraction

import torch

from folkrnn.abc.keys import parse_key
from folkrnn.abc.lengths import TICKS, times
from folkrnn.abc.meter import Meter
from folkrnn.generate.constraints.bars import BarRules
from folkrnn.generate.constraints.form import FormRules
from folkrnn.generate.constraints.header import Header, HeaderRules
from folkrnn.generate.constraints.range import RangeRules
from folkrnn.generate.constraints.ties import TieRules
from folkrnn.generate.constraints.tokens import (
    BROKEN,
    ENDING_ZONE,
    LENGTH_RE,
    PITCH_RE,
    TUPLET_RE,
    Vocab,
    is_bar_line,
    parse_tuplet,
)
from folkrnn.model.positions import length_ticks
from folkrnn.tokenize import BOS, EOS

CHORD_MAX = 3  # notes in a chord (double and triple stops)
GRID = TICKS // 8  # outside tuplets, bar positions stay on 1/64 notes so a bar can always fill
HORNPIPE_UNIT = {4: TICKS, 2: TICKS // 2}  # meter numerator -> the note swung
ONE = 1  # the plain multiplier (an int: see the module's docstring)


@dataclass
class TuneState(HeaderRules, BarRules, FormRules, TieRules, RangeRules):
    """Where one tune stands; `allowed()` is the mask for its next token."""

    v: Vocab
    header: Header = field(default_factory=Header)
    constrain_body: bool = True
    phase: str = "start"
    title_len: int = 0
    bar_len: int = 8 * TICKS
    limit: int = 8 * TICKS  # this bar's length: the meter's, or the rest a short bar left
    aimed: bool = False  # `limit` is short so that this bar closes a repeat (`_aim_short`)
    meter: Meter | None = None
    pos: int = 0
    pending: int | None = None  # length of the note still open to a length token
    pend_mult: Fraction | int = ONE
    length_given: bool = False
    is_rest: bool = False
    tied: bool = False
    next_mult: Fraction | int = ONE
    partner_len: int | None = None  # after `>`: the written length the next note must have
    req_len: int | None = None  # the open note's required written length (broken pair)
    tuplet_left: int = 0
    tuplet_mult: Fraction | int = ONE
    tuplet_len: int | None = None  # the written length of the tuplet's first note
    in_tuplet: bool = False  # the open note is one of a tuplet's
    in_chord: int = -1  # -1: not in a chord; else pitches so far
    tune_pickup: int | None = None
    repeat_first: bool = True  # the next bar is the first after where a repeat would go back
    repeat_pickup: int = 0  # that bar's length, when it was a pickup
    repeat_open: bool = True
    open_start: bool = False
    ending: int = 0
    bars: int = 0
    part_bars: int = 0  # bars every part must have (FormRules); 0: any
    form_parts: tuple = ()  # the form's parts (`abc.sections.Part`), when it has one
    form_free: bool = False  # the model's `F:` token sets no form (`--form free`)
    part_no: int = 0  # parts closed so far
    prime_repeat: bool = False  # the prime's first token is `|:` (its form repeats the first part)
    part_count: int = 0  # bars counted in the part so far
    ending_from: int = 0  # the count where the first ending began
    part_started: bool = False  # a bar of the part has closed (only its first may be a pickup)
    body_steps: int = 0  # body tokens so far (the pace FormRules judges the room by)
    last: str = BOS
    rhythm: str = ""  # the `R:` token written, if any
    # pitch state; never changed in place (beam search shares it between shallow copies)
    signature: dict = field(default_factory=lambda: parse_key("C").signature())
    carried: dict = field(default_factory=dict)  # letter -> accidental written in this bar
    open_pitches: tuple = ()  # (letter, octave, alteration) of the open note or chord
    tie_to: tuple = ()  # after `-`: the pitches the next note or chord must sound
    primed: int = 0  # body tokens still to be forced (the prime's opening bars)
    shifts: tuple = ()  # semitones to_abc may move the tune by (RangeRules)
    lowest: int | None = None  # the tune's lowest and highest MIDI numbers in C so far
    highest: int | None = None

    # ---------------------------------------------------------------- masks
    def allowed(self, steps_left: int = 10**6) -> torch.Tensor:
        """Bool mask [V] of the tokens that may come next."""
        if self.phase != "body":
            return self._header_mask()
        if not self.constrain_body:
            m = ~self.v.none
            m[self.v.index[BOS]] = False
            return m
        m = self._body_mask(steps_left)
        refused = self._range_refused()
        if refused is not None:
            m &= ~refused
        if self.tie_to:
            tied = self._tie_mask(m)
            m = tied if tied.any() else m  # never deadlock: drop the tie instead
        if not m.any():  # never leave the sampler with nothing: end the tune
            m = self.v.one(EOS)
        return m

    def _body_mask(self, steps_left: int) -> torch.Tensor:
        v = self.v
        if self.in_chord >= 0:
            m = v.pitch.clone() if self.in_chord < CHORD_MAX else v.none.clone()
            return m | v.one("]") if self.in_chord >= 1 else m
        self._aim_short(steps_left)
        self._aim_part(steps_left)
        m = v.none.clone()
        committed = self.committed()
        if self.pending is not None and not self.length_given:
            m |= self._length_mask()
            if not self._fits(TICKS) or self.req_len not in (None, TICKS):
                return m  # the implicit length would overfill or go off the grid: a length must follow
        if self._note_fits(committed):
            m |= v.pitch | v.one("[") | v.one("z")
        if self._tie_possible(committed, steps_left):
            m |= v.one("-")
        self._allow_broken(m)
        self._allow_tuplets(m, committed)
        self._allow_bars(m, committed, steps_left)
        self._cadence(m, committed, steps_left)
        if self._can_end(steps_left):
            if steps_left < ENDING_ZONE or self._end_now(steps_left):
                return v.one(EOS)
            m |= v.one(EOS)
        return m

    def committed(self) -> int:
        return self.pos + (times(self.pending, self.pend_mult) if self.pending is not None else 0)

    def _mult(self) -> Fraction | int:
        return self.next_mult * self.tuplet_mult if self.tuplet_left else self.next_mult

    def _note_fits(self, committed: int) -> bool:
        return committed + times(self.v.min_length, self._mult()) <= self.limit

    def _fits(self, length: int) -> bool:
        """The bar can still be filled exactly once the open note is `length` long as
        written, leaving room for the rest of a tuplet (its notes as long as the first)."""
        new_pos = self.pos + times(length, self.pend_mult)
        if self.tuplet_left:
            each = self.tuplet_len if self.tuplet_len is not None else length
            return new_pos + times(self.tuplet_left * each, self.tuplet_mult) <= self.limit
        return new_pos <= self.limit and (self.limit - new_pos) % GRID == 0

    def _length_mask(self) -> torch.Tensor:
        mult = self.pend_mult  # the longest written length that fits, rounded down to a tick
        room = (self.limit - self.pos) * mult.denominator // mult.numerator
        k = bisect.bisect_right(self.v.length_values, room)
        m = self.v.length_upto[k].clone()
        for value, i in self.v.lengths[:k]:
            # abc2midi applies `>` only between notes of equal written length
            if not self._fits(value) or (
                    self.req_len is not None and value != self.req_len):
                m[i] = False
        return m

    def _allow_broken(self, m: torch.Tensor) -> None:
        # not after the second note of a broken pair or a tuplet's last note: abc2midi
        # compares sounding lengths ("Cannot apply broken rhythm", an error, in `a>b>c`)
        if (self.pending is None or self.tuplet_left or self.next_mult != 1
                or self.pend_mult != 1 or self._swung()):
            return
        for tok, (first, second) in BROKEN.items():
            # assume the partner note has the same written length, as it nearly always does
            need = self.pos + times(self.pending, first) + times(self.pending, second)
            if tok in self.v.index and need <= self.limit and (self.limit - need) % GRID == 0:
                m[self.v.index[tok]] = True

    def _swung(self) -> bool:
        """abc2midi swings an `R:hornpipe` on its own (store.c `hornp`): a quaver (4/4) or
        semiquaver (2/4) that starts off the beat pair, at an odd multiple of its length,
        is made the short half of a `>` with the note before when that note was written
        as long. So a broken rhythm may not begin on such a note: either the note is
        already the second of a swung pair, or the pair would end off the beat and the
        next such note would be swung against a note `>` has already shortened. Both are
        abc2midi's error "Cannot apply broken rhythm. Notes not equal durations"."""
        unit = HORNPIPE_UNIT.get(self.meter.num) if self.meter else None
        return (self.rhythm == "R:hornpipe" and unit is not None and self.pend_mult == 1
                and self.pending == unit and self.pos % (2 * unit) == unit)

    def _allow_tuplets(self, m: torch.Tensor, committed: int) -> None:
        if self.tuplet_left or self.next_mult != 1:
            return
        for i, (p, q, r) in self.v.tuplets.items():
            if p in (2, 3, 4) and committed + q * r * TICKS // (2 * p) <= self.limit:
                m[i] = True

    # -------------------------------------------------------------- advance
    def advance(self, tok: str) -> None:
        """Take token `tok` as the next one."""
        if self.phase != "body":
            self._advance_header(tok)
        elif tok == EOS:
            self.phase = "done"
        else:
            self._advance_body(tok)
        self.last = tok

    def _advance_body(self, tok: str) -> None:
        self.primed = max(0, self.primed - 1)
        self.body_steps += 1
        if self.in_chord >= 0:
            if tok == "]":
                self.in_chord = -1
                self._open_note(rest=False)
            elif PITCH_RE.match(tok):  # anything else only unconstrained: not a chord note
                self.in_chord += 1
                self.open_pitches += (self._read_pitch(tok),)
                self._hear(self.open_pitches[-1])
            return
        if PITCH_RE.match(tok) or tok == "z":
            self._commit()
            self.open_pitches = (self._read_pitch(tok),) if tok != "z" else ()
            for p in self.open_pitches:
                self._hear(p)
            self._open_note(rest=tok == "z")
        elif tok == "[":
            self._commit()
            self.in_chord, self.open_pitches = 0, ()
        elif tok == "-":
            self.tied = self.length_given = True  # a length comes before the tie, never after
            self.tie_to = self.open_pitches
        elif tok in BROKEN:
            self.pend_mult *= BROKEN[tok][0]
            self.next_mult = BROKEN[tok][1]
            self.partner_len, self.length_given = self.pending, True
        elif TUPLET_RE.match(tok):
            self._commit()
            p, q, r = parse_tuplet(tok, self.meter)
            self.tuplet_left, self.tuplet_mult, self.tuplet_len = r, Fraction(q, p), None
        elif is_bar_line(tok):
            self._bar(tok)
        elif LENGTH_RE.match(tok) and self.pending is not None:
            self.pending = length_ticks(tok)
            self.length_given = True

    def _open_note(self, rest: bool) -> None:
        self.pending, self.length_given, self.is_rest, self.tied = TICKS, False, rest, False
        self.tie_to = ()
        self.pend_mult = self._mult()
        self.next_mult = ONE
        self.req_len, self.partner_len = self.partner_len, None
        self.in_tuplet = self.tuplet_left > 0
        if self.in_tuplet:  # abc2midi: "Different length notes in tuple" otherwise
            self.req_len = self.tuplet_len if self.tuplet_len is not None else self.req_len
            self.tuplet_left -= 1

    def _commit(self) -> None:
        if self.pending is not None:
            self.pos += times(self.pending, self.pend_mult)
            if self.in_tuplet and self.tuplet_len is None:
                self.tuplet_len = self.pending  # the tuplet's first note: the others follow it
        self.pending, self.length_given, self.pend_mult = None, False, ONE

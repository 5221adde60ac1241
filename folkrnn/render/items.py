"""Reading one voice's symbols into items: notes, rests, bars and fields in written order.

This is the first half of the interpreter (the second, `repeats`, decides the
playing order). It follows abc2midi, the project's MIDI oracle, where ABC
leaves a choice:

- accidentals carry to the end of the bar for that letter in every octave
  (`PitchReader`);
- broken rhythm is 3:1 (`>`), 7:1 (`>>`), 15:1 (`>>>`) (`timing.BROKEN_RATIOS`), and
  applies only between two notes or rests of equal length (a chord always qualifies);
- `(5`, `(7`, `(9` take the q the reader gave them from the header's meter
  (`lengths.default_q`: 3 when its numerator is a multiple of 3);
- with `swing="hornpipe"`, tunes with `R:hornpipe` in 2/4 or 4/4 play pairs
  of quavers (semiquavers in 2/4) as 2:1, and so does `>`;
- a note's decoration changes how it sounds: `.` and `!breath!` halve it,
  `H`/`!fermata!` doubles it, `T`/`!trill!`, `~` and `R` are ornaments;
- grace notes before a bar line are dropped.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from fractions import Fraction

from folkrnn.abc.keys import LETTERS, parse_key
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
    SLUR,
    TUPLET,
    Note,
    Sym,
    midi_number,
)
from folkrnn.abc.timing import BROKEN_RATIOS, HORNPIPE_BROKEN
from folkrnn.errors import FolkrnnError

log = logging.getLogger(__name__)

# decoration spellings -> what they do to the sound
_DECOS = {".": "staccato", "breath": "staccato", "T": "trill", "trill": "trill", "~": "cut",
          "R": "roll", "H": "fermata", "fermata": "fermata"}
_ORNAMENTS = ("trill", "cut", "roll")
_ABC2MIDI_DECOS = set(".~HLMOPRSTuv'")


@dataclass
class Item:
    """One thing in written order: a note, chord or rest (timed), or a bar, ending, part, field.

    length: whole notes the item occupies; first: the length abc2midi compares
    for broken rhythm (None: always equal, as for chords). pitches/staff/ties:
    per chord note. graces: (pitch, notated whole-note length). up/down: the
    neighbour pitches an ornament uses; unit: the `L:` an ornament's cut uses.
    """

    kind: str
    length: Fraction = Fraction(0)
    first: Fraction | None = None
    pitches: tuple[int, ...] = ()
    staff: tuple[tuple[str, int], ...] = ()
    ties: tuple[bool, ...] = ()
    deco: str = ""
    staccato: bool = False
    graces: tuple[tuple[int, Fraction], ...] = ()
    up: int = 0
    down: int = 0
    unit: Fraction = Fraction(1, 8)
    cut3: bool = False  # a `~` on a note of three units: note, cut, note, cut, note
    bar: str = ""
    endings: frozenset[int] = frozenset()
    value: object = None
    line: int = 0


@dataclass
class _Hornpipe:
    """abc2midi's automatic hornpipe rhythm: state kept while reading."""

    on: bool = False
    time_num: int = 4
    last: tuple[int, int] = (0, 1)
    pos: Fraction = Fraction(0)


def is_hornpipe(tune: Tune) -> tuple[bool, bool]:
    """abc2midi's hornpipe: (`R:` starts with `hornpipe` or `Hornpipe`, and the meter is 2/4 or 4/4).

    The first alone makes `>` 2:1; both together swing the quaver pairs too.
    """
    rhythm, meter = tune.rhythm, tune.meter
    named = rhythm[:1] in "hH" and rhythm[1:8] == "ornpipe"
    return named, named and meter is not None and meter.den == 4 and meter.num in (2, 4)


def parse_endings(text: str) -> frozenset[int]:
    """`1`, `2`, `1,3`, `1-3` -> the passes an ending is played on."""
    out: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if lo.isdigit():
            out.update(range(int(lo), int(hi) + 1 if hi.isdigit() else int(lo) + 1))
    return frozenset(out)


class ItemReader:
    """Turns a voice's symbols into `Item`s; see the module docstring for the rules."""

    def __init__(self, tune: Tune, swing: bool = False) -> None:
        self.unit, self.meter = tune.unit, tune.meter
        self.header_meter = tune.meter or Meter(4, 4)
        self.pitch = PitchReader(tune.key)
        named, auto = is_hornpipe(tune) if swing else (False, False)
        self.hp = _Hornpipe(on=auto, time_num=self.header_meter.num)
        self.broken_ratio = HORNPIPE_BROKEN if named else BROKEN_RATIOS[1]
        self.lines = dict(tune.body)
        self.deco_end: tuple[int, int] = (0, 0)
        self.out: list[Item] = []
        self.decos: set[str] = set()
        self.graces: list[tuple[int, Fraction]] = []
        self.tuplet_left, self.tuplet = 0, (1, 1)  # (q, p): lengths times q/p
        self.prev: Item | None = None
        self.broken: tuple[Fraction, Fraction] | None = None

    def read(self, syms: list[Sym]) -> list[Item]:
        handlers = {NOTE: self.note, CHORD: self.chord, REST: self.rest, BAR: self.bar_line,
                    ENDING: self.ending, GRACE: self.grace, BROKEN: self.broken_rhythm,
                    TUPLET: self.start_tuplet, DECO: self.deco, FIELD: self.field_, MREST: self.mrest,
                    ANNOT: self.annotation, SLUR: self.slur}
        for s in syms:
            if s.kind in (NOTE, CHORD, REST) and self.decos and self.tie_since_deco(s):
                self.decos.clear()
            handler = handlers.get(s.kind)
            if handler:
                handler(s)
        return self.out

    # -- timed symbols -------------------------------------------------------------
    def note(self, s: Sym) -> None:
        n = s.note
        pitch = self.pitch.midi(n)
        # abc2midi plays `~` on a note of three units as note, cut, note, cut, note
        cut3 = self.multiplier(n.length) * (2 if "fermata" in self.decos else 1) == 3
        self.hornpipe_check(n.length)  # before `written`: it needs the position before the note
        item = self.timed_item("note", self.written(n.length), s.line)
        item.pitches, item.staff, item.ties = (pitch,), ((n.letter, n.octave),), (s.tie,)
        item.up, item.down = self.neighbours(n)
        item.cut3 = item.deco == "cut" and cut3
        self.finish(item)

    def chord(self, s: Sym) -> None:
        pitches = tuple(self.pitch.midi(n) for n in s.notes)
        if _first_note_fermata(s.text):
            self.decos.add("fermata")  # abc2midi times a chord by its first note
        item = self.timed_item("chord", self.written(s.length), s.line)
        item.staccato = item.staccato or bool(item.deco)  # abc2midi halves an ornamented chord
        item.deco, item.first = "", None
        item.pitches, item.staff = pitches, tuple((n.letter, n.octave) for n in s.notes)
        item.ties = tuple(s.tie or n.tie for n in s.notes)
        self.hp.last = (3, self.hp.last[1])  # hornpiping cannot follow a chord
        self.finish(item)

    def rest(self, s: Sym) -> None:
        item = self.timed_item("rest", self.written(s.length), s.line)
        item.deco, item.staccato = "", False
        item.first = item.length
        self.hp.last = (3, self.hp.last[1])
        self.finish(item)

    def mrest(self, s: Sym) -> None:
        """`Z4`: four bars' rest, with bar lines between (as abc2midi writes it)."""
        bar = (self.meter or Meter(4, 4)).bar_length
        for i in range(int(s.value)):
            if i:
                self.bar_line(Sym(BAR, "|", s.line, bar="|"))
            item = Item("rest", bar, bar, line=s.line)
            self.finish(item)

    def written(self, length: Fraction) -> Fraction:
        """Whole-note length of a written multiplier, tuplet applied; counts the tuplet down."""
        q, p = self.tuplet
        out = length * self.unit * Fraction(q, p) if self.tuplet_left else length * self.unit
        self.hp.pos += out
        if self.tuplet_left:
            self.tuplet_left -= 1
            if not self.tuplet_left:
                self.tuplet = (1, 1)
        return out

    def multiplier(self, length: Fraction) -> Fraction:
        q, p = self.tuplet if self.tuplet_left else (1, 1)
        return length * Fraction(q, p)

    def timed_item(self, kind: str, length: Fraction, line: int) -> Item:
        """An item with the pending decorations applied to its length."""
        decos, self.decos = self.decos, set()
        if "fermata" in decos:
            length *= 2
        deco = next((d for d in _ORNAMENTS if d in decos), "")
        staccato = "staccato" in decos and not deco
        first = length / 2 if staccato else length
        return Item(kind, length, first, deco=deco, staccato=staccato, unit=self.unit, line=line,
                    graces=self.take_graces())

    def take_graces(self) -> tuple[tuple[int, Fraction], ...]:
        graces, self.graces = tuple(self.graces), []
        return graces

    def finish(self, item: Item) -> None:
        """Apply a pending broken rhythm between the previous timed item and this one."""
        if self.broken is not None and self.prev is not None and _equal(self.prev, item):
            a, b = self.broken
            _scale(self.prev, a)
            _scale(item, b)
        self.broken = None
        self.prev = item
        self.out.append(item)

    def neighbours(self, n: Note) -> tuple[int, int]:
        """Pitches of the diatonic neighbours in the key (no bar accidentals), for ornaments."""
        i = LETTERS.index(n.letter)
        up_letter, down_letter = LETTERS[(i + 1) % 7], LETTERS[(i - 1) % 7]
        up_oct = n.octave + (up_letter == "C")
        down_oct = n.octave - (down_letter == "B")
        sig = self.pitch.signature
        return (midi_number(up_letter, up_oct, sig[up_letter]),
                midi_number(down_letter, down_oct, sig[down_letter]))

    def hornpipe_check(self, length: Fraction) -> None:
        """abc2midi's `hornp`: a quaver on the off-beat after an equal quaver swings the pair."""
        hp = self.hp
        if not hp.on:
            return
        q, p = self.tuplet if self.tuplet_left else (1, 1)
        num, den = length.numerator * q, length.denominator * p * self.unit.denominator
        last_num, last_den = hp.last
        pos_den = hp.pos.denominator
        if (num * last_den == last_num * den and num == 1 and den * hp.time_num == 32
                and ((hp.time_num == 4 and pos_den == 8) or (hp.time_num == 2 and pos_den == 16))):
            self.broken = HORNPIPE_BROKEN
        hp.last = (num, den)

    # -- untimed symbols -----------------------------------------------------------
    def bar_line(self, s: Sym) -> None:
        self.pitch.bar()
        self.hp.pos = Fraction(0)
        self.decos.clear()  # abc2midi: a decoration does not reach past a bar line
        if self.graces:  # grace notes with no note before the bar line are dropped
            self.graces = []
        self.out.append(Item("bar", bar=s.bar, line=s.line))
        if s.ending:
            self.out.append(Item("ending", endings=parse_endings(s.ending), line=s.line))

    def ending(self, s: Sym) -> None:
        self.out.append(Item("ending", endings=parse_endings(s.ending), line=s.line))

    def grace(self, s: Sym) -> None:
        q, p = self.tuplet if self.tuplet_left else (1, 1)
        for n in s.notes:
            self.graces.append((self.pitch.midi(n), n.length * self.unit * Fraction(q, p)))
        self.hp.last = (3, self.hp.last[1])

    def broken_rhythm(self, s: Sym) -> None:
        n = len(s.value)
        if n not in BROKEN_RATIOS:
            return
        a, b = self.broken_ratio if n == 1 else BROKEN_RATIOS[n]
        self.broken = (a, b) if s.value[0] == ">" else (b, a)

    def start_tuplet(self, s: Sym) -> None:
        p, q, r = s.value  # q as the reader resolved it (`lengths.default_q`)
        self.tuplet_left, self.tuplet = r, (q, p)

    def deco(self, s: Sym) -> None:
        what = _DECOS.get(str(s.value))
        if len(str(s.value)) == 1 and str(s.value) not in _ABC2MIDI_DECOS:
            self.decos.clear()  # a letter abc2midi reserves (`k`, `J`, ...) cancels decorations
        if what:
            self.decos.add(what)
            self.deco_end = (s.line, s.col + len(s.text))

    def tie_since_deco(self, s: Sym) -> bool:
        """A `-` between a decoration and its note: abc2midi then drops the decoration.

        The lexer turns `-` into a flag on the note before, so look at the text.
        """
        line, col = self.deco_end
        return bool(self.decos) and line == s.line and "-" in self.lines.get(line, "")[col - 1:s.col - 1]

    def slur(self, s: Sym) -> None:
        self.decos.clear()  # abc2midi drops a decoration with a slur between it and its note

    def annotation(self, s: Sym) -> None:
        """A chord symbol ("G", "Am7", "D/F#") is kept for accompaniment; other text is not."""
        self.decos.clear()  # abc2midi drops a decoration with text between it and its note
        if re.match(r"[A-G][#b]?(m|min|maj|dim|aug|sus|[0-9]|/|$)", str(s.value)):
            self.out.append(Item("gchord", value=str(s.value), line=s.line))

    def field_(self, s: Sym) -> None:
        name, text = s.value
        try:
            if name == "K":
                self.pitch.set_key(parse_key(text))
            elif name == "L":
                self.unit = parse_unit(text)
            elif name == "M":
                self.meter = parse_meter(text)
        except FolkrnnError as err:
            log.warning("line %d: ignored field %s:%s (%s)", s.line, name, text[:40], err)
            return
        self.out.append(Item("field", value=(name, text), line=s.line))


def _first_note_fermata(text: str) -> bool:
    """`[HCE]`: the lexer skips decorations inside chords, so look at the text."""
    head = re.split(r"[A-Ga-g]", text[1:], maxsplit=1)[0]
    return "H" in head or "!fermata!" in head


def _equal(a: Item, b: Item) -> bool:
    """abc2midi applies broken rhythm only to equal lengths (chords always pass)."""
    return a.first is None or b.first is None or a.first == b.first


def _scale(item: Item, factor: Fraction) -> None:
    item.length *= factor  # (an ornament's cut keeps its length: abc2midi does not scale it)
    if item.first is not None:
        item.first *= factor

"""How one timed item sounds: grace notes, staccato, trills, rolls and cuts.

Times are ticks (`ticks.WHOLE` to a whole note) from the item's start. The rules are abc2midi's:

- a grace note lasts a quarter of its written length and the group is taken
  from the start of the note after it; a group as long as that note is dropped;
- staccato sounds the first half of the note;
- a trill alternates the upper neighbour and the note, starting above, in notes
  that halve until each is at most 0.1 s at the tune's tempo;
- `R` (roll) is five equal notes: note, upper, note, lower, note;
- `~` is a cut: the upper neighbour as a grace note, then the note; on a note
  of three units, note, cut, note, cut (from below), note.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from folkrnn.render.items import Item
from folkrnn.render.ticks import div, from_whole

GRACE_FRACTION = Fraction(1, 4)
# abc2midi: trill notes halve while longer than this many microseconds
TRILL_MAX_US = 100_000


@dataclass(frozen=True)
class Piece:
    """One sounding note of an item; `staff` and `tie` are set on notes a tie can join."""

    offset: int | Fraction  # ticks (a Fraction of them only where a length is off the grid)
    duration: int | Fraction
    pitch: int
    is_grace: bool = False
    staff: tuple[str, int] | None = None
    tie: bool = False


def realise(item: Item, length: int | Fraction, tempo_us: int, header_unit: Fraction
            ) -> list[Piece]:
    """The pieces of a note, chord or rest (a rest sounds only its grace notes); `length`:
    the item's length in ticks."""
    if item.deco == "cut":
        return _cut(item, length)
    host = div(length, 2) if item.staccato else length
    graces, taken = _graces(item.graces, host)
    if item.kind == "rest":
        return graces
    if item.deco == "trill":
        return graces + _trill(item, taken, length - taken, tempo_us, header_unit)
    if item.deco == "roll":
        return graces + _roll(item, taken, length - taken)
    return graces + [Piece(taken, host - taken, p, False, s, t)
                     for p, s, t in zip(item.pitches, item.staff, item.ties)]


def _graces(graces: tuple[tuple[int, Fraction], ...], host) -> tuple[list[Piece], int | Fraction]:
    """Grace pieces from offset 0, and the time they take from the host note."""
    if not graces:
        return [], 0
    lengths = [from_whole(length * GRACE_FRACTION) for _, length in graces]
    total = sum(lengths)
    if total >= host:
        return [], 0
    out, t = [], 0
    for (pitch, _), d in zip(graces, lengths):
        out.append(Piece(t, d, pitch, True))
        t += d
    return out, total


def _trill(item: Item, start, length, tempo_us: int, header_unit: Fraction) -> list[Piece]:
    units = Fraction(length) / from_whole(header_unit)  # abc2midi counts in the header's L
    count, den = units.numerator, units.denominator * header_unit.denominator
    while tempo_us * 4 // den > TRILL_MAX_US:  # each note lasts 4/den crotchets
        count, den = count * 2, den * 2
    each, main = from_whole(Fraction(1, den)), item.pitches[0]
    # abc2midi joins no tie from a trill
    return [Piece(start + k * each, each, item.up if k % 2 == 0 else main) for k in range(count)]


def _roll(item: Item, start, length) -> list[Piece]:
    each, p = div(length, 5), item.pitches[0]
    pitches = (p, item.up, p, item.down, p)
    return _tie_last([Piece(start + k * each, each, q) for k, q in enumerate(pitches)], item)


def _cut(item: Item, length) -> list[Piece]:
    """`~`: a cut from above (and on three units, a second cut from below)."""
    p, grace = item.pitches[0], from_whole(item.unit * GRACE_FRACTION)
    if not item.cut3:
        return _tie_last(_cut_note(0, length, item.up, p, grace), item)
    third = from_whole(item.unit)
    # grace notes written before it are taken from the first of the three notes
    out, taken = _graces(item.graces, third)
    out.append(Piece(taken, third - taken, p))
    out += _cut_note(third, third, item.up, p, grace)
    out += _cut_note(2 * third, length - 2 * third, item.down, p, grace)
    return _tie_last(out, item)


def _cut_note(start, length, cut: int, pitch: int, grace) -> list[Piece]:
    if grace >= length:
        return [Piece(start, length, pitch)]
    return [Piece(start, grace, cut, True), Piece(start + grace, length - grace, pitch)]


def _tie_last(pieces: list[Piece], item: Item) -> list[Piece]:
    """A tie after an ornamented note joins from its last piece, if that is the note itself."""
    last = pieces[-1]
    if last.pitch == item.pitches[0]:
        pieces[-1] = Piece(last.offset, last.duration, last.pitch, False, item.staff[0], item.ties[0])
    return pieces

"""Where each token stands in the tune: the model's position inputs (`ModelConfig.positions`).

The same code runs at training (`features` over a whole token stream) and at generation
(`Positions.advance` a token at a time), so the LSTM need not count bars itself. After each
token, for the token that comes next:

- `bar`: the bar within its part, counted nearly as `folkrnn measure` counts
  (`abc.sections`): a part's short first bar is a pickup, not a bar; after a second ending
  the count goes back to where the first began; a section bar line (`||`, `|]`, `|:`, `:|`,
  `::`) closes the part. It differs on 20 of the corpus's 4,260 tunes: an inline `[M:]` is
  not followed, `||1` is not a bar line here, and a short bar right after a part's pickup is
  taken for a pickup too. The bundled model was trained on these numbers, so they stay as
  they are (generation must see what training saw);
- `beat`: the position within the bar in 32nd notes (where a note now open ends, at its
  written or implicit length; tuplets and broken rhythm counted);
- `part`: the part, 0 first;
- `copy4`, `copy8`: the token at the same place (the same token count into the bar) of the
  bar four and eight bars before in the tune (pickups left out), the folk tune's two usual
  restatements: the input that lets the model repeat a bar without having to remember it;
- `plan` (`ModelConfig.plan`, only with form tokens): what the tune's form token (`F:AABB8`)
  says of the part being written, so the model need not remember the header: the bars left
  in the part (its bars less `bar`), whether it is played twice and whether it is the last;
  0 with no form (`F:free`, no token) or past the form's last part.
Every value is 0 in the header (before the body's first token); the copies are `none`
(the vocabulary's size) where there is no such bar or token. Values past a table's size
are clipped to its last row. Only folkrnn tokens have positions (no torch here).
"""
from __future__ import annotations

import functools
import re
from fractions import Fraction
from typing import Sequence

import numpy as np

from folkrnn.abc.lengths import TICKS, floor_ticks, parse_length, times, tuplet_value
from folkrnn.abc.lexer import LENGTH_PATTERN, PITCH_PATTERN, TUPLET_PATTERN
from folkrnn.abc.meter import parse_meter
from folkrnn.abc.sections import parse_form_label
from folkrnn.abc.timing import SECTION_BARS, broken_ratio
from folkrnn.errors import AbcLimitError

FEATURES = ("bar", "beat", "part", "copy4", "copy8")  # `positions`; then `plan` with `cfg.plan`
ALL_FEATURES = (*FEATURES, "plan")  # what `Positions.values` gives, in this order
SIZES = {"bar": 32, "beat": 96, "part": 8, "plan": 72}  # table rows; copies: the vocabulary's size + 1
COPY_BACK = {"copy4": 4, "copy8": 8}
_PITCH = re.compile(f"^{PITCH_PATTERN}$")
_LENGTH = re.compile(f"^{LENGTH_PATTERN}$")
_TUPLET = re.compile(f"^{TUPLET_PATTERN}$")
_BARS = SECTION_BARS | {"|", "|1", ":|2"}
ONE = 1  # the plain multiplier: equal to Fraction(1), cheaper on this every-token path


@functools.lru_cache(maxsize=1024)
def length_ticks(tok: str) -> int:
    """A length token's length in ticks (`abc.lengths.TICKS` to an eighth: whole for every
    length the constraints allow, rounded down for the odd corpus length past them); 0 for
    the vocabulary's `0`, which no corpus tune has and only an unconstrained stream writes
    (the tune is then unreadable, as its ABC is, but writing it must not stop the batch)."""
    try:
        return floor_ticks(parse_length(*_LENGTH.match(tok).groups()))
    except AbcLimitError:
        return 0


class Positions:
    """The position of one token stream, a token at a time: `advance(tok)`, then `values()`."""

    def __init__(self, index: dict[str, int]) -> None:
        self.index, self.none = index, len(index)
        self.body, self.meter, self.full, self.form = False, None, 8 * TICKS, None
        self.pos, self.pending, self.pend_mult, self.next_mult = 0, None, ONE, ONE  # ticks
        self.tuplet_left, self.tuplet_mult, self.in_chord = 0, ONE, False
        self.part, self.bar, self.part_started, self.ending_from = 0, 0, False, 0
        self.bars: list[list[int]] = []  # the tune's counted bars, as token ids
        self.cur: list[int] = []  # the bar being written

    def copy(self) -> "Positions":
        """An independent copy (beam search extends one stream many ways)."""
        new = object.__new__(Positions)
        new.__dict__.update(self.__dict__)
        new.bars, new.cur = list(self.bars), list(self.cur)  # the bars inside are never changed
        return new

    def values(self) -> tuple[int, ...]:
        """The features for the token that comes next, in `ALL_FEATURES` order (a model
        takes the first `len(feature_names(cfg))`)."""
        if not self.body:
            return (0, 0, 0, self.none, self.none, 0)
        end = self.pos + (times(self.pending, self.pend_mult) if self.pending is not None else 0)
        ticks = end * 4 // TICKS  # in 32nd notes
        j, k = len(self.cur), len(self.bars)
        copies = []
        for back in COPY_BACK.values():
            earlier = self.bars[k - back] if k >= back else ()
            copies.append(earlier[j] if j < len(earlier) else self.none)
        return (1 + min(self.bar, SIZES["bar"] - 2), 1 + min(max(ticks, 0), SIZES["beat"] - 2),
                1 + min(self.part, SIZES["part"] - 2), *copies, self._plan())

    def _plan(self) -> int:
        if self.form is None or self.part >= len(self.form):
            return 0
        part = self.form[self.part]
        left = min(max(part.bars - self.bar, 0), 16)
        return 1 + 4 * left + 2 * part.repeated + (self.part == len(self.form) - 1)

    def advance(self, tok: str) -> None:
        """Take `tok` as the next token."""
        if not self.body:
            if tok.startswith("M:"):
                self.meter = parse_meter(tok[2:])
                self.full = floor_ticks(self.meter.bar_length * 8) if self.meter else 8 * TICKS
            elif tok.startswith("F:"):
                self.form = parse_form_label(tok[2:])
            self.body = tok.startswith("K:")
            return
        self.cur.append(self.index.get(tok, self.none))
        if self.in_chord:
            if tok == "]":
                self.in_chord = False
                self._open()
        elif _PITCH.match(tok) or tok == "z":
            self._commit()
            self._open()
        elif tok == "[":
            self._commit()
            self.in_chord = True
        elif tok in _BARS:
            self._commit()
            self._bar(tok)
        elif _TUPLET.match(tok):
            self._commit()
            p, q, r = tuplet_value(_TUPLET.match(tok), self.meter)
            self.tuplet_left, self.tuplet_mult = r, Fraction(q, p)
        elif broken_ratio(tok) and self.pending is not None:
            first, self.next_mult = broken_ratio(tok)
            self.pend_mult *= first
        elif tok and _LENGTH.match(tok) and self.pending is not None:
            self.pending = length_ticks(tok)

    def _open(self) -> None:
        self.pending, self.pend_mult, self.next_mult = TICKS, self.next_mult, ONE
        if self.tuplet_left:
            self.pend_mult *= self.tuplet_mult
            self.tuplet_left -= 1

    def _commit(self) -> None:
        if self.pending is not None:
            self.pos += times(self.pending, self.pend_mult)
        self.pending, self.pend_mult = None, ONE

    def _bar(self, tok: str) -> None:
        counted = self.pos > 0 and (self.part_started or self.pos >= self.full)
        if counted:
            self.bar += 1
            self.part_started = True
            self.bars.append(self.cur)
        self.cur, self.pos = [], 0
        if tok == "|1":
            self.ending_from = self.bar
        elif tok == ":|2":
            self.bar = self.ending_from
        elif tok in SECTION_BARS and self.part_started:
            self.part, self.bar, self.part_started = self.part + 1, 0, False


def in_last_bar(plan):
    """Where `plan` values (`Positions._plan`: an int, a numpy or torch array) say the
    part being written has one bar left: its last bar, which its closing bar line ends."""
    return (plan > 0) & ((plan - 1) // 4 == 1)


def feature_names(cfg) -> tuple[str, ...]:
    """The position inputs a model of `cfg` (a `ModelConfig`) takes, in order; () for none."""
    if not getattr(cfg, "positions", False):
        return ()
    return ALL_FEATURES if getattr(cfg, "plan", False) else FEATURES


def uses_positions(model) -> bool:
    """Whether `model` takes position inputs (`ModelConfig.positions`)."""
    return bool(feature_names(getattr(model, "cfg", None)))


class Inputs:
    """The input rows of a batch of streams being written: token ids [B], or [B, 1 +
    features] for a model with positions; `take` moves each stream on by its chosen token."""

    def __init__(self, model, index: dict[str, int], first: str, count: int) -> None:
        self.index, self.count = index, len(feature_names(getattr(model, "cfg", None)))
        self.where = [Positions(index) for _ in range(count)] if self.count else None
        self.ids = [index[first]] * count
        if self.where is not None:
            for p in self.where:
                p.advance(first)

    def take(self, i: int, tok: str) -> None:
        self.ids[i] = self.index[tok]
        if self.where is not None:
            self.where[i].advance(tok)

    def select(self, rows: list[int]) -> "Inputs":
        """The streams `rows` (repeats allowed), each an independent copy (beam search)."""
        new = object.__new__(Inputs)
        new.index, new.count, new.ids = self.index, self.count, [self.ids[r] for r in rows]
        new.where = None if self.where is None else [self.where[r].copy() for r in rows]
        return new

    def values(self, rows: list[int] | None = None) -> list[tuple[int, ...]] | None:
        """Each stream's `Positions.values()` (of `rows`, default all); None without positions."""
        if self.where is None:
            return None
        where = self.where if rows is None else [self.where[r] for r in rows]
        return [p.values() for p in where]

    def tensor(self, rows: list[int] | None = None, values: list | None = None):
        """The input rows of the streams `rows` (default all); `values`: their `values()`,
        when the caller has them."""
        import torch  # only generation needs it; this module stays torch-free to import

        ids = self.ids if rows is None else [self.ids[r] for r in rows]
        if self.where is None:
            return torch.tensor(ids)
        n = self.count
        values = values if values is not None else self.values(rows)
        return torch.tensor([[i, *p[:n]] for i, p in zip(ids, values)])


def input_rows(tokens: Sequence[str], index: dict[str, int], count: int = 0) -> np.ndarray:
    """A whole stream's model inputs: ids [T]; with `count` > 0 (`len(feature_names(cfg))`),
    rows [T, 1 + count], the id and its first `count` features (training and scoring both)."""
    ids = np.asarray([index[t] for t in tokens], dtype=np.int64)
    if not count:
        return ids
    return np.concatenate([ids[:, None], features(tokens, index, count)], axis=1)


def features(tokens: Sequence[str], index: dict[str, int], count: int = len(FEATURES)) -> np.ndarray:
    """The first `count` features [T, count] of a whole token stream (`len(feature_names(cfg))`):
    row t is `values()` after token t (the input row of token t)."""
    p = Positions(index)
    rows = []
    for tok in tokens:
        p.advance(tok)
        rows.append(p.values()[:count])
    return np.asarray(rows, dtype=np.int64).reshape(len(rows), count)

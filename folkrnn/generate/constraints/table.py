"""Masks as table look-ups: every constraint state met is interned once, its body mask
computed once by the rules (`TuneState._body_mask`, the reference) and kept as a row of a
tensor, so a decode step is a dictionary look-up a tune and one gather
(`MaskTable.allowed`), with the rules run only for states not seen before.

A state's key (`body_key`) is what its body mask reads, in two parts:
- always: the fields of the note within the bar (`TIMING`), the note a hornpipe swings,
  whether the open note could be tied across a bar line, whether a tie is still possible
  before the ending zone, and, in a part's last bar, the beat and whether C is natural
  (the cadence);
- only at a bar decision (`_at_bar_line`: the bar empty, full, the tune's first, short by
  a pickup, or too full for another note): the bar-line fields (`BARS_PART`), `bars` as
  min(bars, `MIN_BARS`), `primed` as a bool, whether the tune may end after the last
  token, whether a tie is open, the form's part (`_form_key`), and the steps left as the
  thresholds the rules compare them with and whether another part fits
  (`_room_for_part`). Elsewhere every bar line and the end are refused whatever those say.
The fields in `NORMALISED` enter only through those values, or are read after the body
mask (range, tie: done on the batch by `allowed`, as `TuneState.allowed` does them), or
only by `advance` and the header; a module assertion makes every new `TuneState` field be
sorted into one of the three. Near the length cap the rules aim a repeat's closing bar
short (`_aim_short`, `_aim_part`): they change the state, so they run before the key is
taken, as `_body_mask` runs them. `tests/generate/test_mask_table.py` holds the table to
`TuneState.allowed` on corpus tunes and generated ones; `scripts/check_masks.py` on every
corpus tune.

Lengths in the key are integer ticks, as the rules count them (`abc.lengths.TICKS`). The
table grows to `capacity` rows (default 65,536: 16 MB for a 245-token vocabulary); past
that a state's mask is computed by the rules every time it is met (`misses_uncached`).
"""
from __future__ import annotations

import operator
from dataclasses import fields

import torch

from folkrnn.abc.timing import MIN_BARS
from folkrnn.generate.constraints.bars import AIM_MARGIN, BARS
from folkrnn.generate.constraints.state import HORNPIPE_UNIT, TuneState
from folkrnn.generate.constraints.ties import TIE_MARGIN
from folkrnn.generate.constraints.tokens import ENDING_ZONE, Vocab
from folkrnn.tokenize import EOS

# what the body mask reads (`TuneState._body_mask`), in two parts: the notes within the bar,
# always in the key; the bar lines, repeats and form, in it only at a bar decision (below)
TIMING = ("pos", "limit", "pending", "pend_mult", "length_given", "req_len", "next_mult",
          "tuplet_left", "tuplet_mult", "tuplet_len", "in_chord", "is_rest", "tied")
BARS_PART = ("bar_len", "aimed", "ending", "open_start", "repeat_open", "repeat_first",
             "part_started", "tune_pickup", "repeat_pickup")
# read through the values `body_key` derives, by the range and tie steps after the body mask
# (`MaskTable.allowed`), or only by `advance` and the header
NORMALISED = {"v", "header", "phase", "constrain_body", "title_len", "body_steps",
              "ending_from", "partner_len", "in_tuplet", "bars", "primed", "last",
              "signature", "carried", "open_pitches", "tie_to", "lowest", "highest", "shifts",
              "meter", "rhythm", "part_bars", "form_parts", "form_free", "prime_repeat",
              "part_no", "part_count"}
_unsorted = {f.name for f in fields(TuneState)} - set(TIMING) - set(BARS_PART) - NORMALISED
assert not _unsorted, f"TuneState fields the mask table does not sort: {_unsorted}"
_TIMING = operator.attrgetter(*TIMING)
_BARS_PART = operator.attrgetter(*BARS_PART)
ENDS_AFTER = BARS - {"|:", "|1", "::"}  # `BarRules._can_end`: a tune may end after these
CAPACITY = 65_536


class MaskTable:
    """The body masks of one vocabulary's constraint states, interned, and the steps
    `TuneState.allowed` takes after the body mask (range, tie, never an empty mask) done
    on the whole batch."""

    def __init__(self, v: Vocab, capacity: int = CAPACITY) -> None:
        self.v, self.capacity = v, capacity
        self.ids: dict[tuple, int] = {}
        self.masks = torch.zeros(64, len(v.vocab), dtype=torch.bool)  # grows by doubling
        self.refusals: dict[tuple, int] = {None: 0}  # (bounds, pitches in force) -> row
        self.kept = torch.ones(1, len(v.vocab), dtype=torch.bool)  # per row: not refused
        self.eos = v.one(EOS)
        self.hits = self.misses = self.misses_uncached = 0

    def __len__(self) -> int:
        return len(self.ids)

    def stats(self) -> dict:
        return {"states": len(self.ids), "capacity": self.capacity, "hits": self.hits,
                "misses": self.misses, "misses_uncached": self.misses_uncached,
                "range_masks": len(self.refusals) - 1}

    def allowed(self, states: list, steps_left: list[int]) -> torch.Tensor:
        """Bool masks [len(states), V], as `[s.allowed(n) for s, n in zip(states, steps_left)]`."""
        rows, refused, extra, ties = [], [], {}, []
        for r, (s, left) in enumerate(zip(states, steps_left)):
            key = body_key(s, left)
            if key is None:  # the header, or no body constraints: the rules' own mask
                extra[r] = s.allowed(left)
                rows.append(0)
                refused.append(0)
                continue
            row = self.ids.get(key)
            if row is None:
                row = self._add(key, s, left)
            else:
                self.hits += 1
            if row < 0:
                extra[r] = s._body_mask(left)
            rows.append(max(row, 0))
            refused.append(self._refusal(s))
            if s.tie_to:
                ties.append(r)
        out = self.masks[rows]
        for r, m in extra.items():
            out[r] = m
        out &= self.kept[refused]
        for r in ties:
            tied = states[r]._tie_mask(out[r])
            if tied.any():  # never deadlock: drop the tie instead
                out[r] = tied
        empty = out.view(torch.uint8).sum(1) == 0  # a third of `~out.any(1)`'s time
        if empty.any():  # never leave the sampler with nothing: end the tune
            out[empty] = self.eos
        return out

    def _add(self, key: tuple, s: TuneState, steps_left: int) -> int:
        """The row of a state not met before (-1: the table is full)."""
        self.misses += 1
        if len(self.ids) >= self.capacity:
            self.misses_uncached += 1
            return -1
        row = len(self.ids)
        if row == len(self.masks):
            self.masks = torch.cat([self.masks, torch.zeros_like(self.masks)])
        self.masks[row] = s._body_mask(steps_left)
        self.ids[key] = row
        return row

    def _refusal(self, s: TuneState) -> int:
        """The row of the pitches the range rule refuses now (0: none)."""
        bounds = s._range_bounds()
        if bounds is None:
            return 0
        key = (bounds, s._in_force())
        row = self.refusals.get(key)
        if row is None:
            m = s._range_refused()
            row = self.refusals[key] = len(self.refusals)
            self.kept = torch.cat([self.kept, ~m[None]])
        return row


def body_key(s: TuneState, steps_left: int) -> tuple | None:
    """The key of `s._body_mask(steps_left)` (None: a state the table does not keep: the
    header, or no body constraints)."""
    if s.phase != "body" or not s.constrain_body:
        return None
    if s.in_chord < 0:  # the steps `_body_mask` takes first (they may aim the bar short)
        s._aim_short(steps_left)
        s._aim_part(steps_left)
    form_on = s._form_on(steps_left)
    last_bar = form_on and s.part_count == s.part_target - 1
    timing = (_TIMING(s), _swing(s), _crossing(s, s.open_pitches),
              steps_left <= ENDING_ZONE + TIE_MARGIN,
              (s.beat_len, s.carried.get("C") in (None, 0)) if last_bar else None)
    if not _at_bar_line(s):
        return timing
    return (timing, _BARS_PART(s), min(s.bars, MIN_BARS), bool(s.primed),
            s.last in ENDS_AFTER, bool(s.tie_to), _form_key(s),
            steps_left < ENDING_ZONE, steps_left == ENDING_ZONE,
            steps_left < ENDING_ZONE + AIM_MARGIN, s._room_for_part(steps_left))


def _at_bar_line(s: TuneState) -> bool:
    """Whether the bar rules may allow anything now (else every bar line is refused and the
    end of the tune too, whatever the repeats and the form): the bar is empty, full, the
    tune's first, short by a pickup, or too full for another note (where a tie may still
    cross a bar line)."""
    if s.in_chord >= 0:
        return False
    committed = s.committed()
    if committed == 0 or committed == s.limit or s.bars == 0 or not s._note_fits(committed):
        return True
    rest = s.bar_len - committed
    return s.limit == s.bar_len and rest in (s.tune_pickup, s.repeat_pickup)


def _form_key(s: TuneState) -> tuple:
    """What the form rules read of the part count and the form: the part's bars, the bars
    left in it (0..4: the rules look at most two ahead), whether it has none yet, whether
    it and the next are played twice, whether the form is done."""
    parts, target = s.form_parts, s.part_target
    left = min(max(target - s.part_count, 0), 4) if target else None
    done = s.part_no >= len(parts) if parts else None
    return (bool(parts), target, left, s.part_count == 0, s._part_repeat(), s._part_repeat(1), done)


def _swing(s: TuneState):
    """What `_swung` reads of the meter and the rhythm: the note a hornpipe swings."""
    m = s.meter
    return HORNPIPE_UNIT.get(m.num) if m is not None and s.rhythm == "R:hornpipe" else None


def _crossing(s: TuneState, pitches: tuple) -> bool:
    """`TieRules._crossing_ok(pitches)` (it reads only the pitches, the signature and the
    vocabulary's spellings: kept per vocabulary)."""
    cache = s.v.crossing_cache
    key = (pitches, _signature(s))
    hit = cache.get(key)
    if hit is None:
        if len(cache) > 65_536:
            cache.clear()
        hit = cache[key] = s._crossing_ok(pitches)
    return hit


_SIGNATURES: dict[int, tuple] = {}


def _signature(s: TuneState) -> tuple:
    """The key signature as a tuple, made once per signature dict (a state's is never
    changed in place; the dict is held here, and checked, so a reused id is never taken for
    it)."""
    sig = s.signature
    hit = _SIGNATURES.get(id(sig))
    if hit is None or hit[0] is not sig:
        hit = (sig, tuple(sorted(sig.items())))
        if len(_SIGNATURES) > 1024:
            _SIGNATURES.clear()
        _SIGNATURES[id(sig)] = hit
    return hit[1]


_SHARED: dict[tuple[str, ...], MaskTable] = {}


def shared_table(vocab: list[str]) -> MaskTable:
    """The one table (and `Vocab`) of `vocab` in this process, so that a warm process (a
    server, a batch of batches) meets most states already tabled."""
    key = tuple(vocab)
    table = _SHARED.get(key)
    if table is None:
        if len(_SHARED) >= 8:  # a few models at most; drop the oldest
            _SHARED.pop(next(iter(_SHARED)))
        table = _SHARED[key] = MaskTable(Vocab(list(vocab)))
    return table


def first_difference(table: MaskTable, tokens: list[str], make_state, max_tokens: int
                     ) -> int | None:
    """Teacher-force `tokens` (from `<s>`) through two states made by `make_state()`, one
    asked by the rules (`allowed`), one by `table`: the first step whose masks differ, or
    None. The equivalence check of `tests/generate/test_mask_table.py` and
    `scripts/check_masks.py`."""
    ref, fast = make_state(), make_state()
    for step, tok in enumerate(tokens):
        left = max_tokens - step
        if not torch.equal(ref.allowed(left), table.allowed([fast], [left])[0]):
            return step
        ref.advance(tok)
        fast.advance(tok)
    return None


class CheckedTable(MaskTable):
    """A table that asks the rules too, for every state at every step, and raises where
    they differ (the equivalence check on generated tunes; slow)."""

    def __init__(self, v: Vocab, capacity: int = CAPACITY) -> None:
        super().__init__(v, capacity)
        self.checked = 0

    def allowed(self, states: list, steps_left: list[int]) -> torch.Tensor:
        got = super().allowed(states, steps_left)
        for r, (s, left) in enumerate(zip(states, steps_left)):
            if not torch.equal(got[r], s.allowed(left)):
                raise AssertionError(f"the table's mask differs from the rules' after {s.last!r}")
        self.checked += len(states)
        return got

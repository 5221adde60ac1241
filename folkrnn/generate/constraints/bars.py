"""Bar lines: when a bar may close (full, a pickup, or short where abc2midi lets it run
on), and the repeats and endings they open and close. Mixed into `TuneState`; it uses the
state's fields.

A short bar: abc2midi checks a bar's length at a plain `|` but lets a short bar run on over
`||`, `|]`, `|:`, `:|` and `::` into the next bar it plays, the tune's first bar alone
excepted. So a repeat may close on a short bar only when the bar after the point it goes
back to is a pickup that makes it up; `||`, `|]` and `|:` may close a section short by the
tune's or the repeat's pickup; and the bar after a short bar closed so must be the rest.
"""
from __future__ import annotations

import torch

from folkrnn.abc.lengths import TICKS
from folkrnn.abc.timing import MIN_BARS, REPEAT_TARGETS
from folkrnn.generate.constraints.tokens import BARS, ENDING_ZONE

CLOSING_BARS = {":|", "::", "||", "|]", ":|2"}
REPEATS = (":|", "::", ":|2")  # bar-line tokens that go back (`:|2` closes a first ending)
SHORT_BARS = CLOSING_BARS | {"|:"}  # may close a bar short of the meter (see _closes_short)
SOFT_BARS = {"||", "|]", "|:", ":|", "::"}  # abc2midi lets a short bar run on over these
AIM_MARGIN = 24  # steps before the ending zone that a repeat's closing bar is aimed short


class BarRules:
    """The bar-line masks and steps of `TuneState`."""

    def _allow_bars(self, m: torch.Tensor, committed: int, steps_left: int) -> None:
        if self.tuplet_left or self.next_mult != 1 or (
                self.pending is not None and not self.length_given
                and not self._fits(TICKS)):
            return  # a tuplet or a broken pair is unfinished, or the note needs a length
        for tok in BARS:
            if tok in self.v.index and self._bar_ok(tok, committed, steps_left):
                m[self.v.index[tok]] = True

    def _bar_ok(self, tok: str, committed: int, steps_left: int) -> bool:
        if committed == 0:
            # a form's part played once opens no repeat (a prime's `|:` decides the form instead)
            return (tok == "|:" and self.bars == 0 and not self.open_start
                    and steps_left > ENDING_ZONE and (self.primed or self._part_repeat() is not False))
        full = committed == self.limit
        if self.aimed:  # the bar that closes the repeat (see _aim_short)
            if self.ending == 1:
                return full and tok == ":|2"
            if not full or tok not in (":|", "::"):
                return False
            if self._part_ends(committed, steps_left):  # the part's last bar: as its form says
                return self._form_ok(tok, committed, steps_left)
            return tok == ":|"  # aimed near the length cap, mid-part
        pickup = self.bars == 0 and committed < self.limit and tok in ("|", "|:")
        if not (full or pickup or self._closes_short(tok, committed)):
            return False
        if (tok in REPEATS and self.repeat_pickup and committed == self.bar_len
                and not self._must_repeat(steps_left)):
            return False  # a repeat goes back to a pickup: the closing bar leaves room for it
        if steps_left < ENDING_ZONE:  # close what is open, then end
            if tok in ("|:", "::", "|1"):
                return False
            if self.ending == 1:
                return tok == ":|2"
            if self.open_start:
                return tok == ":|"
        return self._structure_ok(tok) and self._form_ok(tok, committed, steps_left)

    def _must_repeat(self, steps_left: int) -> bool:
        """Near the length cap with a repeat open: the next bar line closes it."""
        return steps_left < ENDING_ZONE and (self.open_start or self.ending == 1)

    def _aim_short(self, steps_left: int) -> None:
        """Near the length cap, aim the bar that will close a repeat back to a pickup short
        of it, a little before the ending zone so the bar has not yet passed the mark
        (only `allowed` knows the steps left, so it sets `limit` here)."""
        if steps_left < ENDING_ZONE + AIM_MARGIN:
            self._aim_at_pickup()

    def _aim_at_pickup(self, repeat_due: bool = False) -> None:
        """Aim this bar short by the pickup a repeat goes back to, when a repeat will close it
        (one is open, or `repeat_due`: the form wants one) and it has not yet passed the mark
        (`_aim_short`, `FormRules._aim_part`)."""
        rest = self.bar_len - self.repeat_pickup
        repeat = self.open_start or self.ending == 1 or (repeat_due and self.repeat_open)
        if (repeat and self.repeat_pickup and not self.repeat_first
                and self.limit == self.bar_len and self.committed() <= rest):
            self.limit, self.aimed = rest, True

    def _closes_short(self, tok: str, committed: int) -> bool:
        """`tok` may close this bar short: a repeat by the pickup it goes back to, another
        section bar line by the tune's or the repeat's pickup (the next bar makes it up)."""
        if tok not in SHORT_BARS or committed >= self.limit or self.limit != self.bar_len:
            return False
        rest = self.bar_len - committed
        if tok in REPEATS:
            return rest == self.repeat_pickup
        return rest in (self.tune_pickup, self.repeat_pickup)

    def _structure_ok(self, tok: str) -> bool:
        if tok == "|":
            return True
        if tok == "|:":
            return not self.open_start and self.ending != 1
        if tok == "|1":  # abc2midi wants an explicit `|:` before a first ending
            return self.open_start and self.ending == 0
        if tok in (":|", "::"):  # and not a section of one bar (its pickup would be unknown)
            return self.repeat_open and self.ending == 0 and not self.repeat_first
        if tok == ":|2":
            return self.ending == 1
        return self.ending != 1 and not self.open_start  # "||", "|]"

    def _can_end(self, steps_left: int) -> bool:
        return (self.last in BARS - {"|:", "|1", "::"} and self.bars >= MIN_BARS
                and self._part_closed(steps_left)
                and self.ending != 1 and not self.open_start and self.pending is None
                and self.next_mult == 1 and not self.tie_to)

    def _bar(self, tok: str) -> None:
        self._commit()
        self._count_bar(tok, self.pos)
        # this bar made up a short one; an aimed bar is short itself (the next makes it up)
        made_up = self.limit != self.bar_len and not self.aimed
        self.limit, self.aimed = self.bar_len, False
        if self.pos > 0:
            self._bar_closed(tok, made_up)
        self.repeat_first = self.repeat_first or tok in REPEAT_TARGETS
        if tok == "|:":
            self.open_start = self.repeat_open = True
            self.ending = 0
        elif tok in (":|", ":|2"):
            # a later `:|` with no `|:` repeats from here, as in abc2midi
            self.open_start, self.repeat_open = False, tok == ":|"
            self.ending = 2 if tok == ":|2" else 0
        elif tok == "::":
            self.open_start = self.repeat_open = True
        elif tok == "|1":
            self.ending = 1
        elif tok in ("||", "|]"):
            self.repeat_open, self.ending = True, 0
        self.pos = 0
        self.carried = {}

    def _bar_closed(self, tok: str, made_up: bool) -> None:
        """Bookkeeping of pickups as a bar of `self.pos` closes with `tok`."""
        short = self.pos if self.pos < self.bar_len else 0
        if self.tune_pickup is None:
            self.tune_pickup = short
        if self.repeat_first:
            self.repeat_pickup, self.repeat_first = short, False
        if short and self.bars > 0 and not made_up and tok in SOFT_BARS:
            self.limit = self.bar_len - short  # abc2midi counts the next bar on from this one
        self.bars += 1

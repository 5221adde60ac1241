"""Parts of a set number of bars, and forms: a section closes exactly at its count,
counted as `folkrnn measure` counts (`abc/sections.py`). Mixed into `TuneState`; it uses the
state's fields.

The count comes from the form (`form_parts`: the `F:` token the model wrote or was given, or
a `--form` for a model without form tokens) or, with no form, from `part_bars` (every part).
A form also says which parts are played twice and how many there are:
- a part played twice closes with a repeat (`:|`, or `::` when the next part is played twice
  too), or after its second ending; only such a part has endings or opens with `|:` (a
  prime that opens with `|:` limits the model's choice to forms whose first part is twice);
- a part played once closes with `||` or `|]`, or `|:` when the next part is played twice;
- the tune ends when its last part closes, and not before, unless the length cap comes
  first (below: then it ends where a part closes, with fewer parts than the form names).

- A bar counts in its part unless it is the part's short first bar (a pickup); a short
  closing bar counts. Bars are counted as they close.
- A plain `|` may close a bar only while the part is short of its count; a section bar line
  (`||`, `|]`, `|:`, `:|`, `::`, `:|2`) only at the count, or `|:` after nothing but a
  pickup (the tune's or a part's); a first ending `|1` only one or two bars before it.
- A second ending replaces the first: after `:|2` the count goes back to where `|1` was.
- The bar that closes a part with a repeat back to a pickup is aimed short from its start
  (as `BarRules._aim_short` does near the length cap), so the pickup can make it up.
- The part's last beat sounds the tonic: in the last bar, a note that starts within half a
  beat of the bar's end is a C (the model writes every tune in C, `abc.normalise`), no rest
  there, and no tie or chord in that bar. A note that starts earlier may still sound on to
  the end (so most parts, not all, end on the tonic).
- The tune may end only where a part has just closed, and must end there when, at its pace
  so far, another part would not fit before the length cap (nor may a part then close
  with `|:` or `::`, which open another): a form's part written once and a quarter, a
  `part_bars` part twice.
The rules are off while a prime is forced (its bars are counted; a part it leaves longer
than N closes at its next bar line) and near the length cap (`ENDING_ZONE`), where closing
whatever is open comes first.
"""
from __future__ import annotations

from dataclasses import dataclass

from folkrnn.abc.lengths import TICKS, to_ticks
from folkrnn.abc.sections import FREE, Part, parse_form_label
from folkrnn.errors import FolkrnnError
from folkrnn.generate.constraints.bars import SHORT_BARS
from folkrnn.generate.constraints.tokens import ENDING_ZONE

PART_BARS = (4, 8, 16)  # the counts a part may be asked for
FREE_TOKEN = "F:" + FREE  # the form token of a tune with no regular form
CLOSING = SHORT_BARS  # the section bar lines: `||`, `|]`, `|:`, `:|`, `::`, `:|2`


@dataclass(frozen=True)
class FormAsk:
    """What the user asks of the form (`--form`, `--part-bars`), resolved for one model."""

    part_bars: int = 0  # every part has this many bars (0: any)
    parts: tuple[Part, ...] = ()  # the form asked for (kept without a form token too)
    free: bool = False  # `--form free`: the model's form token is not kept
    token: str | None = None  # the form token the header is given (a model with them)

    def state_fields(self) -> dict:
        """The `TuneState` fields it sets."""
        return {"part_bars": self.part_bars, "form_parts": self.parts, "form_free": self.free}


def resolve_form(form: str, part_bars: int, vocab: list[str]) -> FormAsk:
    """`--form` (`AABB8`, `AABB` with `--part-bars` or 8, `free`, or "" for the model's
    choice, kept) and `--part-bars` against a model's vocabulary.

    Raises:
        FolkrnnError: a form that is no form label, one whose bars differ from `part_bars`,
            or one a model with form tokens has no token for (the known ones listed).
    """
    if form in ("", FREE):
        return FormAsk(part_bars, free=form == FREE)
    label = form if form[-1:].isdigit() else f"{form}{part_bars or 8}"
    parts = parse_form_label(label)
    if parts is None:
        raise FolkrnnError(f"--form {form!r} is no form: write its parts' letters, each once "
                           "or twice in a row (AABB, AB, AABBCC), then 4, 8 or 16 bars a part")
    if part_bars and parts[0].bars != part_bars:
        raise FolkrnnError(f"--form {form} has {parts[0].bars} bars a part, --part-bars {part_bars}")
    known = sorted(t[len("F:"):] for t in vocab if t.startswith("F:") and t != "F:" + FREE)
    if known and label not in known:
        raise FolkrnnError(f"the model knows the forms {', '.join(known)}, not {label}")
    return FormAsk(parts[0].bars, parts, False, f"F:{label}" if known else None)


class FormRules:
    """The part-length masks and steps of `TuneState`."""

    @property
    def part_target(self) -> int:
        """The bars the current part must have (0: any)."""
        if self.form_parts:
            return self.form_parts[min(self.part_no, len(self.form_parts) - 1)].bars
        return self.part_bars

    def _part_repeat(self, offset: int = 0) -> bool | None:
        """Whether the current part (or the one `offset` after it) is played twice; None
        without a form, or past its last part."""
        k = self.part_no + offset
        return self.form_parts[k].repeated if self.form_parts and k < len(self.form_parts) else None

    def _form_closing(self, tok: str, steps_left: int) -> bool:
        """`tok` may close the current part, as its form says (any closing without one)."""
        twice, next_twice = self._part_repeat(), self._part_repeat(1)
        if twice is None:
            return True
        if tok == ":|2":
            return twice
        if twice and self.ending != 2:
            # `:|` goes back (a later `:|` goes back to it, as abc2midi reads `A:|B:|`);
            # `::` also opens the next part's repeat, when one is played twice and fits
            return tok == ":|" or (tok == "::" and bool(next_twice) and self._room_for_part(steps_left))
        if next_twice is None:  # the last part
            return tok in ("||", "|]")
        return tok in ("||", "|:") if next_twice else tok in ("||", "|]")

    @property
    def beat_len(self) -> int:
        """The meter's beat in ticks (the state's unit)."""
        return to_ticks(self.meter.beat * 8) if self.meter else 2 * TICKS

    def _form_on(self, steps_left: int) -> bool:
        return bool(self.part_target) and not self.primed and steps_left >= ENDING_ZONE

    def _counted(self, length: int) -> int:
        """1 when a bar of `length` closing now counts in its part (0: the part's pickup, a
        short first bar)."""
        return 0 if not self.part_started and length < self.bar_len else 1

    def _room_for_part(self, steps_left: int) -> bool:
        """Another part fits before the ending zone, at the tokens a bar has taken so far: a
        part written once and a quarter (its endings, a margin) for a form's part; twice, as
        it always was, for `part_bars` alone."""
        per_bar = self.body_steps / self.bars if self.bars else 0
        times = 1.25 if self.form_parts else 2
        return steps_left - ENDING_ZONE > per_bar * self.part_target * times

    def _part_ends(self, committed: int, steps_left: int) -> bool:
        """The bar now open is the part's last (its count is reached when it closes)."""
        return (self._form_on(steps_left)
                and self.part_count + self._counted(committed) >= self.part_target)

    def _form_ok(self, tok: str, committed: int, steps_left: int) -> bool:
        if not self._form_on(steps_left):
            return True
        n, total = self.part_count + self._counted(committed), self.part_target
        if tok == "|":
            return n < total
        if tok == "|1":
            return total - 2 <= n < total and self._part_repeat() is not False
        if tok == "|:" and n == 0 and not self.part_started:
            return self._part_repeat() is not False
        if tok in ("|:", "::") and not self._room_for_part(steps_left):
            return False
        return tok in CLOSING and n >= total and self._form_closing(tok, steps_left)

    def _aim_part(self, steps_left: int) -> None:
        """Aim the part's last bar short when a repeat back to a pickup must close it."""
        if self._form_on(steps_left) and self.part_count == self.part_target - 1:
            self._aim_at_pickup(repeat_due=self._part_repeat() is True and self.ending == 0)

    def _cadence(self, m, committed: int, steps_left: int) -> None:
        """In a part's last beat, only the tonic may start (`m` is changed in place)."""
        if not (self._form_on(steps_left) and self.part_count == self.part_target - 1):
            return
        v = self.v
        for tok in ("-", "["):
            if tok in v.index:
                m[v.index[tok]] = False
        if 2 * (self.limit - committed) <= self.beat_len:
            tonic = v.tonic_natural | (v.tonic_plain if self.carried.get("C") in (None, 0) else v.none)
            m &= ~(v.pitch | v.one("z")) | tonic

    def _count_bar(self, tok: str, length: int) -> None:
        """Count the bar of `length` that `tok` closes (0 when no bar was open)."""
        n = self.part_count + (self._counted(length) if length else 0)
        if tok == ":|2":
            self.part_count = self.ending_from
        elif tok in CLOSING:
            self.part_no += n > 0
            self.part_count, self.part_started = 0, False
        else:
            self.part_count, self.part_started = n, self.part_started or bool(length)
            if tok == "|1":
                self.ending_from = n

    def _part_closed(self, steps_left: int) -> bool:
        """The tune may end here: a part has just closed (and it was the form's last)."""
        if not self._form_on(steps_left):
            return True
        closed = self.part_count == 0 and not self.part_started
        return closed and (not self.form_parts or self.part_no >= len(self.form_parts)
                           or not self._room_for_part(steps_left))

    def _end_now(self, steps_left: int) -> bool:
        """A part has just closed and it was the form's last, or another would not fit: the
        tune ends here."""
        if not (self._form_on(steps_left) and self.bars > 0 and self._part_closed(steps_left)):
            return False
        done = bool(self.form_parts) and self.part_no >= len(self.form_parts)
        return done or not self._room_for_part(steps_left)

    def _form_mask(self):
        """The form tokens the header may have: the one asked for; else, kept forms (not
        `form_free`), those with `part_bars` bars a part when that is set, else all but
        `F:free`; with `form_free`, any."""
        v = self.v
        if self.header.form:
            return v.one(self.header.form)
        if not self.constrain_body:
            return v.forms.clone()
        m = v.forms & ~v.one(FREE_TOKEN)
        if self.part_bars:
            m &= v.form_bars(self.part_bars)
        if self.prime_repeat:  # the prime opens with `|:`: the first part is played twice
            m &= v.form_first_twice
        if self.form_free:  # the model's choice, `F:free` included, within the rules above
            m |= v.one(FREE_TOKEN)
        if m.any():
            return m
        free = v.one(FREE_TOKEN)  # no form fits what was asked: the model writes its own
        return free if free.any() else v.forms.clone()

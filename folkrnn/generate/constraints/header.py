"""The header `T:` title `T/` [`R:`] `M:` [`F:`] `K:`, forced where primed; mixed into
`TuneState`. `F:` (the form, `F:AABB8`) comes only in a vocabulary that has form tokens; the
form it names is kept by `FormRules` unless the state is `form_free`."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from folkrnn.abc.keys import Key, parse_key
from folkrnn.abc.lengths import TICKS, to_ticks
from folkrnn.abc.meter import parse_meter
from folkrnn.abc.sections import parse_form_label
from folkrnn.tokenize import FORM_PREFIX, TITLE_END, TITLE_START

TITLE_MAX = 60
# abc2midi swings `R:hornpipe` only in 2/4 or 4/4 and calls any other meter an error
# ("Hornpipe must be in 2/4 or 4/4 time"), 2/2 and `C|` included, though a 2/2 hornpipe
# is good ABC (nearly half the corpus's hornpipes are in 2/2). The header is constrained,
# so the model writes its body knowing the meter (2/4 mostly: it likes 2/4 hornpipes far
# more than 4/4 ones); dropping `R:` would lose the rhythm, and writing `M:4/4` for the
# model's `M:2/2` in `to_abc` would make the ABC say what the model did not.
RHYTHM_METERS = {"R:hornpipe": ("M:2/4", "M:4/4")}


@dataclass
class Header:
    """Forced header values (None: the model chooses), as tokens of the vocabulary; and
    the key the tune will be written in, which the range rule needs."""

    title: list[str] | None = None  # title character tokens
    rhythm: str | None = None  # "R:jig", or "" for none
    meter: str | None = None  # "M:6/8"
    mode: str | None = None  # "K:Cmaj"
    form: str | None = None  # "F:AABB8" (a model with form tokens)
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
        if self.phase == "form":
            return self._form_mask()
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
            self.bar_len = self.limit = to_ticks(meter.bar_length * 8) if meter else 8 * TICKS
            self.phase = "form" if self.v.forms.any() else "mode"
        elif tok.startswith(FORM_PREFIX):
            self.phase = "mode"
            if self.constrain_body and not self.form_free:
                self.form_parts = parse_form_label(tok[len(FORM_PREFIX):]) or self.form_parts
        elif tok.startswith("K:"):
            self.signature = parse_key(tok[2:]).signature()
            self.phase = "body"
            self._set_shifts(tok[3:])

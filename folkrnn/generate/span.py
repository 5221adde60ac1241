"""`SpanState`: a `TuneState` led through a tune's kept tokens, then left free (`continue`)
or held to bars of given lengths and bar lines (`reroll`); `form_fits`: the form tokens a
tune's kept bars fit. The decode loop (`decode._decode`) drives it as it drives a TuneState.
"""
from __future__ import annotations

import torch

from folkrnn.abc.lengths import TICKS
from folkrnn.generate.constraints import Header, TuneState, Vocab
from folkrnn.generate.constraints.form import FREE_TOKEN
from folkrnn.tokenize import EOS

ANY_STEPS = 10**6  # steps left as the rules see them inside a re-rolled span: no cap near


class SpanState:
    """The mask and steps of one tune being continued or re-rolled.

    forced: the tokens after `<s>` that are given (header, kept bars); a None among them is
    the form token, chosen by the model among `forms` (a mask). After them, with `targets`
    None, the TuneState's own rules (continue); else one bar per (ticks, closing tokens)
    target: its notes fill exactly `ticks` under the TuneState's rules, no bar line but its
    own closing one (forced, once the bar is full) and no tie out of it; then `</s>`.
    `filled` tells whether every target bar was filled (a dead end ends the tune early).
    `shift`: the semitones from C to the key the tune is written in (the range rule's one
    octave: the tune's own)."""

    constrain_body = False  # the decode loop's prime check: the kept tokens are forced here

    def __init__(self, v: Vocab, state: TuneState, header: list, kept: list[str],
                 forms: torch.Tensor | None, targets: list[tuple[int, tuple[str, ...]]] | None,
                 shift: int) -> None:
        self.v, self.s = v, state
        self.forced = [*header, *kept]
        self.at = 0
        self.forms, self.targets, self.shift = forms, targets, shift
        self.k, self.closing = 0, []
        self.filled = targets is None

    @property
    def phase(self) -> str:
        return self.s.phase

    def allowed(self, steps_left: int = ANY_STEPS) -> torch.Tensor:
        v = self.v
        if self.at < len(self.forced):
            tok = self.forced[self.at]
            return self.forms if tok is None else v.one(tok)
        if self.targets is None:
            return self.s.allowed(steps_left)
        if self.closing:
            return v.one(self.closing[0])
        if self.k >= len(self.targets):
            return v.one(EOS)
        m = self.s.allowed(ANY_STEPS) & ~v.bar_lines
        m[v.index[EOS]] = False
        if self._full():
            if "-" in v.index:
                m[v.index["-"]] = False
            closing = self.targets[self.k][1]
            m |= v.one(closing[0] if closing else EOS)
        return m if m.any() else v.one(EOS)  # a dead end: the candidate is dropped

    def _full(self) -> bool:
        s = self.s
        return (s.in_chord < 0 and not s.tuplet_left and s.next_mult == 1
                and s.committed() == s.limit
                and (s.pending is None or s.length_given or s.req_len in (None, TICKS)))

    def advance(self, tok: str) -> None:
        s = self.s
        if self.at < len(self.forced):
            self.at += 1
            s.advance(tok)
            if tok.startswith("K:"):
                s.shifts = (self.shift,)
            if self.at == len(self.forced) and self.targets:
                self._set_limit()
            return
        if self.targets is None:
            s.advance(tok)
            return
        if self.closing:  # the rest of a bar line the target forces
            self.closing.pop(0)
            s.advance(tok)
            if not self.closing:
                self._next_bar()
            return
        if self.k < len(self.targets) and self._full() and (
                tok == EOS or bool(self.v.bar_lines[self.v.index[tok]])):
            closing = self.targets[self.k][1]
            self.closing = list(closing[1:])
            s.advance(tok)
            if not closing:  # `</s>` at the tune's open end
                self.k, self.filled = len(self.targets), True
            elif not self.closing:
                self._next_bar()
            return
        s.advance(tok)

    def _next_bar(self) -> None:
        self.k += 1
        if self.k < len(self.targets):
            self._set_limit()
        else:
            self.filled = True

    def _set_limit(self) -> None:
        self.s.limit, self.s.aimed = self.targets[self.k][0], False


def form_fits(v: Vocab, header: list, kept: list[str], part_bars: int = 0) -> torch.Tensor:
    """Bool mask [V] of the form tokens whose rules allow every kept body token (`header`
    holds None where the form token goes); `F:free` alone when none does."""
    out = v.none.clone()
    for i in torch.nonzero(v.forms).flatten().tolist():
        form = v.vocab[i]
        st = TuneState(v, Header(), constrain_body=True, part_bars=part_bars)
        for tok in header:
            st.advance(form if tok is None else tok)
        ok = True
        for tok in kept:
            if not st.allowed(ANY_STEPS)[v.index[tok]]:
                ok = False
                break
            st.advance(tok)
        out[i] = ok
    if not out.any():
        out = v.one(FREE_TOKEN) if FREE_TOKEN in v.index else v.forms.clone()
    return out

"""The one decode loop: every tune of a batch advances a token a step, under its
constraint state, until all have ended or the length cap."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from folkrnn.errors import FolkrnnError
from folkrnn.generate.constraints import Header, TuneState, Vocab
from folkrnn.generate.constraints.form import FormAsk
from folkrnn.generate.constraints.table import MaskTable, shared_table
from folkrnn.generate.restate import Restatement
from folkrnn.generate.sampling import Draws, SamplingOptions, choose, masked
from folkrnn.model.positions import Inputs
from folkrnn.tokenize import BOS, EOS


@dataclass
class Decoded:
    """One decoded token stream, before it is read as a tune."""

    tokens: list[str]  # <s> first; </s> last when complete
    logprob: float  # the model's log-probability of the tokens it chose (nats)
    scored: int  # tokens it chose (forced ones included), i.e. len(tokens) - 1
    complete: bool  # ended with </s> before the length cap


def sample_tokens(model, vocab: list[str], headers: list[Header], bodies: list[list[str]],
                  opts: SamplingOptions, draws: Draws, max_tokens: int,
                  constrain: bool, form: FormAsk = FormAsk(), restate: bool = False,
                  rows: int = 64, on_token=None) -> list[Decoded]:
    """Decode len(headers) tunes together under the constraints (folkrnn tokenizer), the
    form's among them (`constraints.form`), restating bars when `restate` (`restate.py`),
    `rows` of them at a time.
    Masks come from the vocabulary's `MaskTable` (`constraints/table.py`)."""
    table = shared_table(vocab)
    v = table.v
    states = [TuneState(v, h, constrain_body=constrain, primed=len(b),
                        prime_repeat=b[:1] == ["|:"], **form.state_fields())
              for h, b in zip(headers, bodies)]
    return _decode(model, v, states, [list(b) for b in bodies], opts, draws, max_tokens,
                   restate and constrain, table, rows, on_token)


def _decode(model, v: Vocab, states: list, forced: list[list[str]], opts: SamplingOptions,
            draws: Draws, max_tokens: int, restate: bool = False,
            table: MaskTable | None = None, rows: int = 64, on_token=None) -> list[Decoded]:
    """The one decode loop: up to `rows` tunes are written side by side, a token a step,
    each until it ends or reaches the cap. A tune that ends gives its row to the next tune
    waiting (its rows of the LSTM state start again at zero), or the row leaves the batch,
    so the model steps only tunes being written. Tune i's draw at its step t is
    `draws`' (i, t), so which tunes share its batch changes nothing.
    `on_token(tune, token)`, when given, hears each token as it is written (a server
    streams them)."""
    vocab, B = v.vocab, len(states)
    out: list[list[str]] = [[BOS] for _ in range(B)]
    logp, scored, done = [0.0] * B, [0] * B, [False] * B
    inputs, state = Inputs(model, v.index, BOS, B), None
    again = Restatement(v.index, B, inputs.where) if restate else None
    active = list(range(min(rows, B)))  # the tune of each row
    waiting = iter(range(len(active), B))
    while active:
        values = inputs.values(active)
        logits, state = model.step(inputs.tensor(active, values), state)  # [A, V]
        tunes = [states[i] for i in active]
        left = [max_tokens - scored[i] for i in active]
        allowed = (table.allowed(tunes, left) if table is not None
                   else torch.stack([s.allowed(n) for s, n in zip(tunes, left)]))  # [A, V]
        u = None if opts.greedy else draws.uniform(active, [scored[i] for i in active])
        chosen = choose(masked(logits, allowed), opts, u)
        priming = [s.phase == "body" and bool(forced[i]) for s, i in zip(tunes, active)]
        chosen = _force(chosen, tunes, [forced[i] for i in active], v, allowed)
        if again is not None:
            chosen = _restate(chosen, again, active, values, priming, allowed)
        lp = logits.double().log_softmax(-1).gather(1, chosen[:, None]).squeeze(1).tolist()
        ended = []
        for r, (i, c) in enumerate(zip(active, chosen.tolist())):
            tok = vocab[c]
            logp[i] += lp[r]
            scored[i] += 1
            states[i].advance(tok)
            if again is not None:
                again.advance(i, tok, values[r] if values else None)
            out[i].append(tok)
            if on_token is not None:
                on_token(i, tok)
            inputs.take(i, tok)
            done[i] = tok == EOS
            if done[i] or scored[i] >= max_tokens:
                ended.append(r)
        active, state = _refill(active, state, ended, waiting)
    return [Decoded(o, lp_, n, d) for o, lp_, n, d in zip(out, logp, scored, done)]


def _refill(active: list[int], state, ended: list[int], waiting) -> tuple[list[int], object]:
    """The rows after some tunes ended: each ended row takes the next waiting tune (its
    state zeroed), or leaves."""
    if not ended:
        return active, state
    h, c = state
    gone = []
    for r in ended:
        nxt = next(waiting, None)
        if nxt is None:
            gone.append(r)
        else:
            active[r] = nxt
            h[:, r] = 0
            c[:, r] = 0
    if gone:
        gone_rows = set(gone)
        keep = [r for r in range(len(active)) if r not in gone_rows]
        idx = torch.tensor(keep, dtype=torch.long)
        active, h, c = [active[r] for r in keep], h[:, idx], c[:, idx]
    return active, (h, c)


def _force(chosen: torch.Tensor, states: list[TuneState], forced: list[list[str]], v: Vocab,
           allowed: torch.Tensor) -> torch.Tensor:
    """Put the prime's opening bars in once the header is written."""
    chosen = chosen.clone()
    for r, s in enumerate(states):
        if s.phase == "body" and forced[r]:
            tok = forced[r].pop(0)
            if s.constrain_body and not allowed[r, v.index[tok]]:
                raise FolkrnnError(f"the prime does not fit the meter or the repeats at {tok!r}")
            chosen[r] = v.index[tok]
    return chosen


def _restate(chosen: torch.Tensor, again: Restatement, active: list[int], values: list | None,
             priming: list[bool], allowed: torch.Tensor) -> torch.Tensor:
    """Go on with the bars being restated, where the constraints allow the next token (not
    while the prime is being written)."""
    chosen = chosen.clone()
    for r, i in enumerate(active):
        tok = None if priming[r] else again.forced(i, values[r] if values else None)
        if tok is not None and allowed[r, tok]:
            chosen[r] = tok
    return chosen


class _FreeState:
    """The state of a tune with no constraints (the char tokenizer): anything but <s>."""

    phase, constrain_body = "body", False

    def __init__(self, v: Vocab) -> None:
        self.mask = ~v.one(BOS)

    def allowed(self, steps_left: int = 0) -> torch.Tensor:
        return self.mask

    def advance(self, tok: str) -> None:
        pass


def sample_free(model, vocab: list[str], prefixes: list[list[str]], opts: SamplingOptions,
                draws: Draws, max_tokens: int, rows: int = 64
                ) -> list[Decoded]:
    """The decode loop with no constraints; the forced prefix plays the prime's part."""
    v = Vocab(vocab)
    return _decode(model, v, [_FreeState(v) for _ in prefixes], prefixes, opts, draws,
                   max_tokens, rows=rows)

"""The one decode loop: every tune of a batch advances a token a step, under its
constraint state, until all have ended or the length cap."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from folkrnn.errors import FolkrnnError
from folkrnn.generate.constraints import Header, TuneState, Vocab
from folkrnn.generate.constraints.form import FormAsk
from folkrnn.generate.restate import Restatement
from folkrnn.generate.sampling import SamplingOptions, choose, masked
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
                  opts: SamplingOptions, generators: list[torch.Generator], max_tokens: int,
                  constrain: bool, form: FormAsk = FormAsk(), restate: bool = False
                  ) -> list[Decoded]:
    """Decode len(headers) tunes together under the constraints (folkrnn tokenizer), the
    form's among them (`constraints.form`), restating bars when `restate` (`restate.py`)."""
    v = Vocab(vocab)
    states = [TuneState(v, h, constrain_body=constrain, primed=len(b),
                        prime_repeat=b[:1] == ["|:"], **form.state_fields())
              for h, b in zip(headers, bodies)]
    again = Restatement(v.index, len(states)) if restate and constrain else None
    return _decode(model, v, states, [list(b) for b in bodies], opts, generators, max_tokens,
                   again)


def _decode(model, v: Vocab, states: list, forced: list[list[str]], opts: SamplingOptions,
            generators: list[torch.Generator], max_tokens: int,
            again: Restatement | None = None) -> list[Decoded]:
    """The one decode loop: every tune advances a token a step until all end or the cap."""
    vocab, B = v.vocab, len(states)
    out: list[list[str]] = [[BOS] for _ in range(B)]
    logp = torch.zeros(B, dtype=torch.float64)
    scored, done = [0] * B, [False] * B
    inputs, state = Inputs(model, v.index, BOS, B), None
    for step in range(max_tokens):
        logits, state = model.step(inputs.tensor(), state)  # [B, V]
        allowed = torch.stack([s.allowed(max_tokens - step) for s in states])  # [B, V]
        chosen = choose(masked(logits, allowed), opts, generators)
        priming = [s.phase == "body" and bool(f) for s, f in zip(states, forced)]
        chosen = _force(chosen, states, forced, v, allowed)
        if again is not None:
            chosen = _restate(chosen, again, priming, allowed, done)
        lp = logits.double().log_softmax(-1).gather(1, chosen[:, None]).squeeze(1)
        for i, c in enumerate(chosen.tolist()):
            if done[i]:
                continue
            tok = vocab[c]
            logp[i] += lp[i]
            scored[i] += 1
            states[i].advance(tok)
            if again is not None:
                again.advance(i, tok)
            out[i].append(tok)
            done[i] = tok == EOS
        if all(done):
            break
        for i, c in enumerate(chosen.tolist()):
            inputs.take(i, vocab[c])  # a finished tune's rows are computed and ignored
    return [Decoded(o, float(lp_), n, d) for o, lp_, n, d in zip(out, logp, scored, done)]


def _force(chosen: torch.Tensor, states: list[TuneState], forced: list[list[str]], v: Vocab,
           allowed: torch.Tensor) -> torch.Tensor:
    """Put the prime's opening bars in once the header is written."""
    chosen = chosen.clone()
    for i, s in enumerate(states):
        if s.phase == "body" and forced[i]:
            tok = forced[i].pop(0)
            if s.constrain_body and not allowed[i, v.index[tok]]:
                raise FolkrnnError(f"the prime does not fit the meter or the repeats at {tok!r}")
            chosen[i] = v.index[tok]
    return chosen


def _restate(chosen: torch.Tensor, again: Restatement, priming: list[bool],
             allowed: torch.Tensor, done: list[bool]) -> torch.Tensor:
    """Go on with the bars being restated, where the constraints allow the next token (not
    while the prime is being written)."""
    chosen = chosen.clone()
    for i in range(len(chosen)):
        tok = None if done[i] or priming[i] else again.forced(i)
        if tok is not None and allowed[i, tok]:
            chosen[i] = tok
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
                generators: list[torch.Generator], max_tokens: int) -> list[Decoded]:
    """The decode loop with no constraints; the forced prefix plays the prime's part."""
    v = Vocab(vocab)
    return _decode(model, v, [_FreeState(v) for _ in prefixes], prefixes, opts, generators,
                   max_tokens)

"""Beam search over the folkrnn token stream, with the same constraints as sampling.

    beam_search(model, vocab, header, body, width, n, max_tokens, constrain)
        -> the n best distinct complete tunes, as `Decoded` records
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from folkrnn.generate.constraints import Header, TuneState
from folkrnn.generate.constraints.form import FormAsk
from folkrnn.generate.constraints.table import MaskTable, shared_table
from folkrnn.generate.decode import Decoded
from folkrnn.model.positions import Inputs
from folkrnn.tokenize import BOS, EOS


@dataclass
class _Beam:
    toks: list[str]
    score: float
    state: TuneState
    forced: list[str]


def beam_search(model, vocab: list[str], header: Header, body: list[str], width: int,
                n: int, max_tokens: int, constrain: bool, length_norm: float = 0.0,
                form: FormAsk = FormAsk()) -> list[Decoded]:
    """The `n` best distinct complete tunes by total log-probability (divided by
    length**length_norm when length_norm > 0)."""
    table = shared_table(vocab)
    v = table.v
    state = TuneState(v, header, constrain_body=constrain, primed=len(body),
                      prime_repeat=body[:1] == ["|:"], **form.state_fields())
    beams = [_Beam([BOS], 0.0, state, list(body))]
    lstm, finished = None, []
    inputs = Inputs(model, v.index, BOS, 1)
    for step in range(max_tokens):
        logits, lstm = model.step(inputs.tensor(), lstm)  # [K, V]
        allowed = _beam_masks(beams, table, max_tokens - step)
        scores = torch.tensor([b.score for b in beams], dtype=torch.float64)[:, None]
        scores = (scores + logits.double().log_softmax(-1)).masked_fill(~allowed, float("-inf"))
        new, keep = _extend(beams, scores.flatten(), vocab, width, finished)
        if not new or (len(finished) >= n and max(f.score for f in finished) >= new[0].score):
            break
        beams = new
        idx = torch.tensor([src for src, _ in keep])
        lstm = (lstm[0][:, idx], lstm[1][:, idx])
        inputs = inputs.select([src for src, _ in keep])
        for row, (_, tok_id) in enumerate(keep):
            inputs.take(row, vocab[tok_id])
    return _best(finished or beams, n, length_norm)


def _beam_masks(beams: list[_Beam], table: MaskTable, steps_left: int) -> torch.Tensor:
    """Each beam's mask [K, V]: the prime's next token while it is forced, else the table's."""
    v = table.v
    forced = {r for r, b in enumerate(beams) if b.state.phase == "body" and b.forced}
    free = [r for r in range(len(beams)) if r not in forced]
    out = torch.zeros(len(beams), len(v.vocab), dtype=torch.bool)
    if free:
        out[free] = table.allowed([beams[r].state for r in free], [steps_left] * len(free))
    for r in forced:
        out[r] = v.one(beams[r].forced[0])
    return out


def _extend(beams: list[_Beam], flat: torch.Tensor, vocab: list[str], width: int,
            finished: list[_Beam]) -> tuple[list[_Beam], list[tuple[int, int]]]:
    """The best `width` live extensions (finished ones go to `finished`), best first."""
    V = len(vocab)
    k = min(2 * width, int(torch.isfinite(flat).sum()))
    new, keep = [], []
    for i in flat.topk(k).indices.tolist():
        src, tok_id = divmod(i, V)
        b, tok = beams[src], vocab[tok_id]
        state = copy.copy(b.state)
        state.advance(tok)
        forced = b.forced[1:] if b.state.phase == "body" and b.forced else b.forced
        nb = _Beam(b.toks + [tok], float(flat[i]), state, forced)
        if tok == EOS:
            finished.append(nb)
        elif len(new) < width:
            new.append(nb)
            keep.append((src, tok_id))
    return new, keep


def _best(items: list[_Beam], n: int, length_norm: float) -> list[Decoded]:
    def score(b: _Beam) -> float:
        return b.score / (len(b.toks) ** length_norm) if length_norm else b.score
    seen, out = set(), []
    for b in sorted(items, key=score, reverse=True):
        if tuple(b.toks) not in seen:
            seen.add(tuple(b.toks))
            out.append(Decoded(b.toks, b.score, len(b.toks) - 1, b.toks[-1] == EOS))
        if len(out) == n:
            break
    return out

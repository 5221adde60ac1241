"""Composing from a tune already written: `continue_tune` and `reroll`.

    from folkrnn.generate import continue_tune, reroll
    longer = continue_tune(open("jig.abc").read(), bars=4, seed=1)[0]
    again = reroll(open("jig.abc").read(), 3, 4, candidates=8, seed=1)[0]
    print(again.abc, again.operation["logprob_first"])

Both read the tune with `source.SourceTune` (any key, mode and `L:`; a pickup is bar 0) and
keep the bars they keep as written, character for character; new bars come out in the
tune's own key, octave and `L:`. Decoding is the constrained decoding of `generate`
(`decode._decode`), with the kept bars forced token by token through a `TuneState`, so
accidentals, ties and the range carry on from them.

- continue: bars 1..N stay and the model writes the rest, under the form rules: it may
  choose only a form token (`F:AABB8`, ...) that the kept bars fit, so the parts it writes
  close where that form says. A last bar left open (no bar line after it) is kept note
  for note but written again from the model's tokens, so the model can finish it.
- reroll: bars A..B are written again, each as long as the bar it replaces and closed by
  the same bar line, every other bar kept. An LSTM sees only what comes before, so
  `candidates` spans are sampled and each whole tune, the kept bars after the span
  included, is scored by the model (teacher-forced log-probability); the best `n` distinct
  ones come back, each with the first candidate's score beside its own (the first that
  filled the span). Re-rolled bars are always constrained (`constrain` is for continue).
"""
from __future__ import annotations

from dataclasses import replace

import torch

from folkrnn.errors import FolkrnnError
from folkrnn.generate.api import MAX_TOKENS, GeneratedTune, GenerationOptions
from folkrnn.generate.constraints import Header, TuneState, Vocab
from folkrnn.generate.constraints.table import shared_table
from folkrnn.generate.decode import Decoded, _decode
from folkrnn.generate.sampling import Draws
from folkrnn.generate.source import SourceTune
from folkrnn.generate.span import SpanState, form_fits
from folkrnn.model.lstm import masked_nll
from folkrnn.model.positions import feature_names, input_rows
from folkrnn.tokenize import BOS, EOS

MAX_CANDIDATES = 64
NEW_TOKENS = 800  # tokens `continue` may add (the default length cap of `generate`)


def _model(model):
    from folkrnn.model.checkpoint import load_model

    return model if hasattr(model, "tokenizer") else load_model(model)


def _source(tune, ck) -> SourceTune:
    """The tune as a SourceTune, no longer than `generate`'s longest length cap.

    Raises:
        FolkrnnError: a char model, or a tune over MAX_TOKENS tokens.
    """
    if ck.tokenizer.kind != "folkrnn":
        raise FolkrnnError("continue and reroll need a model on folkrnn tokens")
    src = tune if isinstance(tune, SourceTune) else SourceTune.read(tune, ck.tokenizer)
    length = len(src.header) + len(src.body_tokens())
    if length > MAX_TOKENS:
        raise FolkrnnError(f"{src.tune.label} is {length} tokens long to the model; continue and "
                           f"reroll take tunes of up to {MAX_TOKENS}")
    return src


def continue_tune(tune, bars: int | None = None, n: int = 1, *, seed: int = 0, model=None,
                  options: GenerationOptions | None = None, partial: int | None = None,
                  indices: list[int] | None = None) -> list[GeneratedTune]:
    """`n` tunes that keep bars up to `bars` of `tune` (ABC text or a `SourceTune`; None: all
    it has) and go on. Tune i draws `sampling.Draws` (seed, i).

    partial: keep only the first `partial` tokens of bar `bars` (how a remake of a tune whose
    last bar was open says what was kept; module docstring)."""
    ck = _model(model)
    src = _source(tune, ck)
    opts = options or GenerationOptions()
    number = src.last_number if bars is None else bars
    last = src.index(number)
    if partial is None and not src.bars[last].closing:
        partial = len(src.bars[last].tokens)  # an open last bar: finished by the model
    verbatim = last - 1 if partial is not None else last
    if any(bar.inline_field for bar in src.bars[:last + 1]):
        raise FolkrnnError(f"bars up to {number} hold an inline field ([M:], [L:]): continue "
                           "from a bar before it")
    whole = src.body_tokens(verbatim)  # the bars kept as written
    kept = whole + list(src.bars[last].tokens[:partial or 0])
    v = shared_table(ck.tokenizer.vocab).v
    header = [None if t.startswith("F:") else t for t in src.header]  # None: the model's form
    forms = _forms(v, header, kept, opts) if None in header else None
    cap = (opts.max_tokens or NEW_TOKENS) + len(header) + len(kept) + 1
    numbers = list(indices) if indices is not None else list(range(n))
    states = [SpanState(v, s, header, kept, forms, None, -src.semis)
              for s in _tune_states(v, opts, len(numbers))]
    raw = _run(ck, v, states, numbers, seed, opts, cap, restate=opts.restate)
    start = src.symbol_count(whole)
    cut = src.bars[verbatim].after if verbatim >= 0 else src.bars[0].content[0]
    unit = src.bars[last].unit
    out = []
    for i, r in zip(numbers, raw):
        head = r.tokens[1:1 + len(header)]
        body = [t for t in r.tokens[1 + len(header):] if t != EOS]
        new = src.write(src.new_text(body, start, unit), unit)
        keep = src.text[:cut]
        # after a closed bar, the new bars start a line; an open bar goes on where it stood
        keep = keep.rstrip() + "\n" if partial is None else keep.rstrip(" \t")
        g = _record(i, seed, ck, src, r, keep + new + "\n", head, body)
        g.operation = {"op": "continue", "bars": number,
                       **({"partial": partial} if partial is not None else {})}
        out.append(g)
    return out


def _forms(v: Vocab, header: list, kept: list[str], opts: GenerationOptions) -> torch.Tensor:
    """The form tokens the model may choose: those the kept bars fit (`form_fits`); with
    `--form`, that one, when they fit it."""
    from folkrnn.generate.constraints.form import resolve_form

    fits = form_fits(v, header, kept, opts.part_bars)
    asked = resolve_form(opts.form, opts.part_bars, v.vocab).token
    if not asked:
        return fits
    if not fits[v.index[asked]]:
        raise FolkrnnError(f"the kept bars do not fit the form {asked[2:]}")
    return v.one(asked)


def reroll(tune, first: int, last: int, n: int = 1, *, candidates: int = 4, seed: int = 0,
           model=None, options: GenerationOptions | None = None) -> list[GeneratedTune]:
    """The best `n` of `candidates` re-rolls of bars `first`..`last` of `tune` (module
    docstring); candidate c draws `sampling.Draws` (seed, c)."""
    if not 1 <= candidates <= MAX_CANDIDATES:
        raise FolkrnnError(f"--candidates must be 1 to {MAX_CANDIDATES}, not {candidates}")
    if not 1 <= n <= candidates:
        raise FolkrnnError(f"-n must be 1 to --candidates ({candidates}), not {n}")
    if first > last:
        raise FolkrnnError(f"--bars {first}-{last}: the first bar comes after the last")
    ck = _model(model)
    src = _source(tune, ck)
    opts = options or GenerationOptions()
    a, b = src.index(first), src.index(last)
    span = src.bars[a:b + 1]
    if any(bar.inline_field for bar in span):
        raise FolkrnnError(f"bars {first}-{last} hold an inline field ([M:], [L:]); re-roll "
                           "the bars around it")
    kept = src.body_tokens(a - 1)
    after = [t for bar in src.bars[b + 1:] for t in bar.tokens + bar.closing]
    v = shared_table(ck.tokenizer.vocab).v
    targets = [(bar.ticks, bar.closing) for bar in span]
    cap = len(src.header) + len(kept) + 40 * len(span) * (1 + max(bar.ticks for bar in span)
                                                          // v.min_length) + 2
    states = [SpanState(v, s, src.header, kept, None, targets, -src.semis)
              for s in _tune_states(v, replace(opts, constrain=True), candidates, form_free=True)]
    raw = _run(ck, v, states, list(range(candidates)), seed, opts, cap)
    filled = [(c, r.tokens[1 + len(src.header) + len(kept):-1])
              for c, (r, s) in enumerate(zip(raw, states)) if s.filled]
    if not filled:
        raise FolkrnnError(f"no candidate could fill bars {first}-{last}; try another --seed")
    scores = score(ck.model, ck.tokenizer.index,
                   [[BOS, *src.header, *kept, *sp, *after, EOS] for _, sp in filled])
    ranked, seen = [], set()
    for (c, sp), s in sorted(zip(filled, scores), key=lambda x: -x[1]):
        if tuple(sp) not in seen:  # the same span twice is one result
            seen.add(tuple(sp))
            ranked.append((c, sp, s))
    out, start = [], src.symbol_count(kept)
    for rank, (c, sp, s) in enumerate(ranked[:n]):
        abc = _spliced(src, a, len(span), kept, sp, start)
        body = kept + sp + after
        r = Decoded([BOS, *src.header, *body, EOS], s, len(src.header) + len(body) + 1, True)
        g = _record(rank, seed, ck, src, r, abc, src.header, body)
        g.operation = {"op": "reroll", "bars": f"{first}-{last}", "candidates": candidates,
                       "rank": rank + 1, "candidate": c + 1, "logprob_first": round(scores[0], 3)}
        out.append(g)
    return out


def _tune_states(v: Vocab, opts: GenerationOptions, count: int, form_free: bool = False
                 ) -> list[TuneState]:
    """`count` fresh TuneStates under the options' form (or none: `form_free`)."""
    from folkrnn.generate.constraints.form import resolve_form

    fields = ({"form_free": True} if form_free
              else resolve_form(opts.form, opts.part_bars, v.vocab).state_fields())
    return [TuneState(v, Header(), constrain_body=opts.constrain, **fields) for _ in range(count)]


def _run(ck, v: Vocab, states: list, numbers: list[int], seed: int, opts: GenerationOptions,
         cap: int, restate: bool = False) -> list[Decoded]:
    if opts.beam:
        raise FolkrnnError("continue and reroll sample: --beam is for generate")
    with torch.no_grad():
        return _decode(ck.model, v, states, [[] for _ in states], opts.sampling,
                       Draws(seed, numbers), cap,
                       restate and opts.constrain, None, len(states))


def _spliced(src: SourceTune, a: int, count: int, kept: list[str], span: list[str],
             start: int) -> str:
    """The tune's text with the notes of its bars a..a+count-1 replaced by those of `span`
    (the bar lines between them stay as written); `start`: the symbols `kept` reads as."""
    unit = src.bars[a].unit
    contents, cur = [], []
    for s in src.new_text(kept + span, start, unit):
        if s.kind in ("bar", "ending"):
            contents.append(cur)
            cur = []
        else:
            cur.append(s)
    contents = [c for c in contents + [cur] if c]  # bar lines in a row close one bar
    if len(contents) != count:
        raise FolkrnnError(f"the re-rolled span read back as {len(contents)} bars, not {count}")
    text = src.text
    for k in reversed(range(count)):
        lo, hi = src.bars[a + k].content
        text = text[:lo] + src.write(contents[k], unit) + text[hi:]
    return text if text.endswith("\n") else text + "\n"


def _record(index: int, seed: int, ck, src: SourceTune, r: Decoded, abc: str,
            header: list[str], body: list[str]) -> GeneratedTune:
    tune = src.tune
    g = GeneratedTune(index, seed, ck.tokenizer.join(header + body), abc=abc, logprob=r.logprob,
                      tokens=r.scored, complete=r.complete, title=tune.title,
                      meter=str(tune.meter or ""), mode=src.key.mode, key=src.key.name(),
                      rhythm=tune.rhythm,
                      form=next((t[2:] for t in header if t.startswith("F:")), ""))
    return g


def score(model, index: dict[str, int], streams: list[list[str]]) -> list[float]:
    """Each token stream's log-probability (nats) under `model`, teacher-forced: the sum over
    its tokens after the first (`<s>`)."""
    count = len(feature_names(getattr(model, "cfg", None)))
    out = []
    with torch.no_grad():
        for toks in streams:  # one at a time: no padding to get wrong, and short
            ids = torch.from_numpy(input_rows(toks, index, count))
            logits, _, _ = model(ids[None, :-1])
            target = ids[1:, 0] if count else ids[1:]
            out.append(-float(masked_nll(logits.double(), target[None]).sum()))
    return out

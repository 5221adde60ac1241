"""`generate`: tunes from a model, in batches, sampled or by beam search.

    from folkrnn.generate import generate, Prime
    tunes = generate(n=4, prime=Prime(meter="6/8", key="D"), seed=1)
    print(tunes[0].abc)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import torch

from folkrnn.abc.keys import Key
from folkrnn.abc.normalise import read_normal
from folkrnn.errors import AbcError, FolkrnnError
from folkrnn.generate.beam import beam_search
from folkrnn.generate.constraints import Header
from folkrnn.generate.constraints.form import PART_BARS, FormAsk, resolve_form
from folkrnn.generate.decode import Decoded, sample_free, sample_tokens
from folkrnn.generate.output import to_abc
from folkrnn.generate.parallel import model_of, shared
from folkrnn.generate.prime import Prime, char_prefix, resolve_prime
from folkrnn.generate.sampling import Draws, SamplingOptions
from folkrnn.generate.stamp import generated_lines, stamp
from folkrnn.tokenize import BOS, EOS, FORM_PREFIX

MAX_TOKENS = 4000  # the longest --max-tokens: five times the default cap, ~40 bars of reel a 100
MAX_BEAM = 64  # beam widths beyond this cost time and memory for no better tunes
# tunes decoded side by side by default: on the 2-core CPU (scripts/bench_generate.py) 256 rows
# made more tokens a second than 64 or 128, in one process or two
ROWS = 256
CHUNK_BATCHES = 16  # tunes decoded in one run of the loop: its rows times this (rows refill as tunes end)
MAX_TITLE_CHARS, MAX_PRIME_CHARS = 200, 2000  # --title, --prime
# GenerationOptions fields newer than the first collections, as records made before them meant
LATER_DEFAULTS = {"part_bars": 0, "form": "", "restate": False}


@dataclass
class GeneratedTune:
    """A generated tune: the model's text (in C), its ABC in the asked key, and its score."""

    index: int
    seed: int
    text: str
    abc: str = ""
    logprob: float = 0.0  # the model's own log-probability of the tokens it wrote (nats)
    tokens: int = 0
    complete: bool = True  # ended with </s> before the length cap
    title: str = ""
    meter: str = ""
    mode: str = ""
    key: str = ""
    rhythm: str = ""
    form: str = ""  # the form token the model wrote (`AABB8`, `free`), if it writes one
    checks: dict = field(default_factory=dict)
    operation: dict = field(default_factory=dict)  # continue/reroll/vary: what was done (`provenance`)

    @property
    def mean_logprob(self) -> float:
        return self.logprob / max(1, self.tokens)


@dataclass(frozen=True)
class GenerationOptions:
    """Everything but the seed and the tune numbers that decides what `generate` writes.

    A collection records it (`to_dict`) and makes its tunes from it again on a resume.
    """

    prime: Prime = Prime()
    sampling: SamplingOptions = SamplingOptions()
    beam: int = 0  # beam width; 0: sample (or greedy) instead
    length_norm: float = 0.0  # beam score = log-probability / length**length_norm
    max_tokens: int | None = None  # the length cap (None: 800 tokens, 1200 characters)
    constrain: bool = True  # mask tokens that break bars, repeats, ties or range
    part_bars: int = 0  # with constrain: every part has this many bars (4, 8 or 16); 0: any
    form: str = ""  # with constrain: "AABB8" (kept), "free" (the model's, not kept), "": the model's, kept
    restate: bool = True  # with constrain, sampling: a bar begun as the one four back goes on so

    def __post_init__(self) -> None:
        """The limits, checked before any model is loaded."""
        if self.max_tokens is not None and not 1 <= self.max_tokens <= MAX_TOKENS:
            raise FolkrnnError(f"--max-tokens must be 1 to {MAX_TOKENS}, not {self.max_tokens}")
        if self.part_bars not in (0, *PART_BARS):
            raise FolkrnnError(f"--part-bars must be 4, 8 or 16, not {self.part_bars}")
        if self.part_bars and not self.constrain:
            raise FolkrnnError("--part-bars is a constraint: it cannot go with --no-constrain")
        if self.form not in ("", "free") and not self.constrain:
            raise FolkrnnError("--form is a constraint: it cannot go with --no-constrain")
        resolve_form(self.form, self.part_bars, [])  # the label's own checks
        if not 0 <= self.beam <= MAX_BEAM:
            raise FolkrnnError(f"--beam must be 0 (none) to {MAX_BEAM}, not {self.beam}")
        for name, text, most in (("title", self.prime.title, MAX_TITLE_CHARS),
                                 ("prime", self.prime.body, MAX_PRIME_CHARS)):
            if text is not None and len(text) > most:
                raise FolkrnnError(f"--{name} is {len(text)} characters long; at most {most}")

    def to_dict(self) -> dict:
        """As plain JSON; options added later (LATER_DEFAULTS) only when set, so a record made
        before them (a collection's settings) reads the same."""
        d = asdict(self)
        return {k: v for k, v in d.items() if k not in LATER_DEFAULTS or v != LATER_DEFAULTS[k]}

    @classmethod
    def from_dict(cls, d: dict) -> "GenerationOptions":
        d = {**LATER_DEFAULTS, **d}
        d["prime"], d["sampling"] = Prime(**d["prime"]), SamplingOptions(**d["sampling"])
        return cls(**d)


def generate(model=None, n: int = 1, options: GenerationOptions | None = None, *,
             seed: int = 0, batch_size: int = ROWS, first_index: int = 0,
             indices: list[int] | None = None, on_token=None, workers: int = 1,
             **option_fields) -> list[GeneratedTune]:
    """Generate `n` tunes.

    Args:
        model: a Checkpoint from `load_model`, a checkpoint path, or None (the bundled model).
        options: the generation options; `option_fields` (prime=, sampling=, beam=,
            length_norm=, max_tokens=, constrain=) replace single ones of them.
        seed: tune i draws `sampling.Draws` (seed, first_index + i): the same seed gives
            the same tunes, alone or in a batch.
        indices: the tune numbers to make (instead of first_index .. first_index + n - 1).
        on_token: called as `on_token(k, token)` with each token tune k (0-based, in the order
            of `indices`) writes, as it writes it (sampling only; a server streams them).
        workers: processes to share the tunes among, this one included (`parallel.py`;
            sampling only, a model saved in a folder; the tunes are the same either way).
    With beam > 0 the `n` (<= beam) best distinct tunes by log-probability come back.
    """
    from folkrnn.model.checkpoint import load_model

    opts = replace(options or GenerationOptions(), **option_fields)
    ck = model if hasattr(model, "tokenizer") else load_model(model)
    plan = _plan(ck.tokenizer, opts)
    if plan.char and (opts.part_bars or opts.form not in ("", "free")):
        raise FolkrnnError("--part-bars and --form need a model on folkrnn tokens; "
                           "a char model is not constrained")
    indices = list(indices) if indices is not None else list(range(first_index, first_index + n))
    if opts.beam and len(indices) > opts.beam:
        raise FolkrnnError(f"beam search gives at most --beam results; ask -n {opts.beam} or less")
    if not opts.beam and on_token is None:
        made = shared(ck, _part, (opts, seed, batch_size), indices, workers)
        if made is not None:
            return made
    with torch.no_grad():
        if opts.beam:
            raw = beam_search(ck.model, plan.vocab, plan.header, plan.body, opts.beam, len(indices),
                              plan.max_tokens, opts.constrain and not plan.char, opts.length_norm,
                              plan.form)
        else:
            raw = []
            chunk = batch_size * CHUNK_BATCHES  # tunes whose states are held at once
            for start in range(0, len(indices), chunk):
                draws = Draws(seed, indices[start:start + chunk])
                hear = (lambda k, tok, s=start: on_token(s + k, tok)) if on_token else None
                raw += _sample(ck.model, plan, opts, draws, batch_size, hear)
    out = [_finish(i, seed, r, ck.tokenizer, plan) for i, r in zip(indices, raw)]
    for g in out:
        if g.abc:
            g.abc = stamp(g.abc, generated_lines(ck, g, opts))
    return out


def _part(spec: dict, opts: GenerationOptions, seed: int, batch_size: int,
          indices: list[int]) -> list[GeneratedTune]:
    """The tunes `indices`, in whichever process runs this (`parallel.split_map`)."""
    return generate(model_of(spec), options=opts, seed=seed, batch_size=batch_size, indices=indices)


@dataclass
class _Plan:
    """What the prime fixes, resolved against the model's vocabulary."""

    vocab: list[str]
    header: Header
    key: Key | None  # the output key (None: the mode's default)
    body: list[str]  # forced body tokens, in C
    char: bool  # a char model: the prime is a forced prefix, with no constraints
    prefix: list[str]  # that prefix (char models only)
    max_tokens: int
    title: str | None  # the user's own title, for the ABC (the model is primed with it folded)
    form: FormAsk  # the form asked for, resolved against the vocabulary


def _plan(tok, opts: GenerationOptions) -> _Plan:
    header, key, body = resolve_prime(opts.prime, tok.vocab)
    char = tok.kind == "char"
    form = FormAsk() if char else resolve_form(opts.form, opts.part_bars, tok.vocab)
    return _Plan(tok.vocab, replace(header, form=form.token), key, body, char,
                 char_prefix(opts.prime, header) if char else [],
                 opts.max_tokens or (1200 if char else 800),
                 " ".join(opts.prime.title.split()) if opts.prime.title is not None else None,
                 form)


def _sample(model, plan: _Plan, opts: GenerationOptions, draws: Draws,
            rows: int, on_token=None) -> list[Decoded]:
    k = len(draws.numbers)
    if plan.char:
        return sample_free(model, plan.vocab, [list(plan.prefix) for _ in range(k)],
                           opts.sampling, draws, plan.max_tokens, rows)
    return sample_tokens(model, plan.vocab, [plan.header] * k, [plan.body] * k, opts.sampling,
                         draws, plan.max_tokens, opts.constrain, plan.form, opts.restate, rows,
                         on_token)


def _finish(index: int, seed: int, raw: Decoded, tok, plan: _Plan) -> GeneratedTune:
    body = [t for t in raw.tokens if t not in (BOS, EOS)]
    text = tok.join(body)
    g = GeneratedTune(index, seed, text, logprob=raw.logprob, tokens=raw.scored,
                      complete=raw.complete)
    try:
        t = read_normal(text)
        g.abc = to_abc(text, index + 1, plan.key, plan.title, t)
        g.title, g.meter, g.mode, g.rhythm = plan.title or t.title, str(t.meter), t.key.mode, t.rhythm
        g.form = next((line[2:] for line in text.split("\n") if line.startswith(FORM_PREFIX)), "")
        g.key = g.abc.split("\nK:")[1].split("\n")[0]
    except (AbcError, FolkrnnError, AttributeError, IndexError) as err:
        g.complete = False
        g.checks["unreadable"] = str(err)
    return g

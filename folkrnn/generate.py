"""Generation: priming, one batched decode loop (all tunes advance together), beam search,
and ABC 2.1 output in the key asked for.

    from folkrnn.generate import generate, Prime
    tunes = generate(n=4, prime=Prime(meter="6/8", key="D"), seed=1)
    print(tunes[0].abc)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import torch

from .abc.keys import Key, parse_key
from .abc.normalise import read_normal
from .abc.transpose import interval, transpose_key, transpose_symbols
from .abc.writer import write_body, write_tune
from .beam import beam_search
from .constraint_rules import LENGTH_RE, OCTAVE_SHIFTS, note_length, output_interval
from .constraints import RHYTHM_METERS, Header, TuneState, Vocab
from .errors import AbcError, FolkrnnError
from .sampling import SamplingOptions, choose, masked, tune_generator
from .tokenize import BOS, EOS, body_tokens

MODES = ("maj", "min", "dor", "mix", "phr", "lyd", "loc")
BEAT = {8: Fraction(3, 8)}  # compound meters beam by dotted crotchets
TEMPO = {"reel": "1/2=100", "hornpipe": "1/2=80", "jig": "3/8=110", "slip jig": "3/8=110",
         "polka": "1/4=130", "waltz": "1/4=140", "air": "1/4=70", "strathspey": "1/4=110"}


@dataclass(frozen=True)
class Prime:
    """What the user fixes; None leaves it to the model. `body` is written in `key`."""

    title: str | None = None
    rhythm: str | None = None
    meter: str | None = None  # "6/8"
    mode: str | None = None  # "dor"
    key: str | None = None  # "D", "Em", "Ador"
    body: str | None = None  # opening bars, e.g. "|: GAB c2d |"


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
    checks: dict = field(default_factory=dict)

    @property
    def mean_logprob(self) -> float:
        return self.logprob / max(1, self.tokens)


# ----------------------------------------------------------------- priming
def resolve_prime(prime: Prime, vocab: list[str]) -> tuple[Header, Key | None, list[str]]:
    """The forced header, the output key (None: the mode's default) and the forced body tokens.

    Raises:
        FolkrnnError: an unknown meter, mode, key, rhythm or symbol, listing what is allowed.
    """
    meters = sorted(t[2:] for t in vocab if t.startswith("M:"))
    rhythms = sorted(t[2:] for t in vocab if t.startswith("R:"))
    key = _parse_prime_key(prime.key) if prime.key else None
    mode = prime.mode or (key.mode if key else None)
    if mode is not None and mode not in MODES:
        raise FolkrnnError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if prime.meter is not None and prime.meter not in meters:
        raise FolkrnnError(f"unknown meter {prime.meter!r}; the model knows {', '.join(meters)}")
    if prime.rhythm is not None and prime.rhythm.lower() not in rhythms:
        raise FolkrnnError(f"unknown rhythm {prime.rhythm!r}; the model knows {', '.join(rhythms)}")
    title = None
    if prime.title is not None:
        missing = sorted({c for c in prime.title if c not in vocab})
        if missing:
            raise FolkrnnError(f"the title has characters the model does not know: {''.join(missing)!r}")
        title = list(prime.title)
    if key is not None and mode is not None and key.mode != mode:
        key = Key(key.tonic, key.tonic_acc, mode)
    header = Header(title, f"R:{prime.rhythm.lower()}" if prime.rhythm else None,
                    f"M:{prime.meter}" if prime.meter else None, f"K:C{mode}" if mode else None,
                    key)
    _check_rhythm_meter(header)
    return header, key, _prime_body(prime.body, key, mode, vocab)


def _check_rhythm_meter(header: Header) -> None:
    """A primed rhythm and meter that abc2midi rejects together (see RHYTHM_METERS)."""
    meters = RHYTHM_METERS.get(header.rhythm or "")
    if meters and header.meter and header.meter not in meters:
        allowed = " or ".join(m[2:] for m in meters)
        raise FolkrnnError(f"abc2midi plays a {header.rhythm[2:]} only in {allowed}; "
                           f"ask for one of those (4/4 has the bar of 2/2)")


def _parse_prime_key(text: str) -> Key:
    try:
        key = parse_key(text)
    except AbcError:
        raise FolkrnnError(f"unknown key {text!r}; write it like G, D, Em, Ador, Bbmix") from None
    if key.mode not in MODES or key.explicit_only or key.extra:
        raise FolkrnnError(f"unknown key {text!r}; write it like G, D, Em, Ador, Bbmix")
    return key


def _prime_body(body: str | None, key: Key | None, mode: str | None, vocab: list[str]) -> list[str]:
    """The opening bars as tokens, moved from the tune's key to C."""
    if not body:
        return []
    src = key or Key("C", 0, mode or "maj")
    text = re.sub(r"\s+", "", body)
    try:
        tune = read_normal(f"T:\nM:4/4\nK:{src.name()}\n{text}")
    except AbcError as err:
        raise FolkrnnError(f"cannot read the prime {body!r}: {err.message}") from None
    semis, steps = interval(src, "C", 0)
    syms = [s for s in transpose_symbols(tune.symbols, src, semis, steps) if s.kind != "eol"]
    toks = body_tokens("".join(s.text for s in syms))
    unknown = [t for t in toks if t not in vocab]
    if unknown:
        raise FolkrnnError(f"the prime has symbols the model does not know: {' '.join(unknown)}")
    unplayable = [t for t in toks if LENGTH_RE.match(t) and t.strip("0/") and not note_length(t)]
    if unplayable:
        raise FolkrnnError(f"the prime has a length abc2midi cannot play, {unplayable[0]}: "
                           "write lengths divided by 2, 4, 8 or 16")
    return toks


# ------------------------------------------------------------- decode loop
def sample_tokens(model, vocab: list[str], headers: list[Header], bodies: list[list[str]],
                  opts: SamplingOptions, generators: list[torch.Generator], max_tokens: int,
                  constrain: bool) -> list[tuple[list[str], float, int, bool]]:
    """Decode len(headers) tunes together; per tune (tokens, logprob, tokens scored, complete)."""
    v = Vocab(vocab)
    states = [TuneState(v, h, constrain_body=constrain, primed=len(b))
              for h, b in zip(headers, bodies)]
    return _decode(model, v, states, [list(b) for b in bodies], opts, generators, max_tokens)


def _decode(model, v: Vocab, states: list, forced: list[list[str]], opts: SamplingOptions,
            generators: list[torch.Generator], max_tokens: int
            ) -> list[tuple[list[str], float, int, bool]]:
    """The one decode loop: every tune advances a token a step until all end or the cap."""
    vocab, B = v.vocab, len(states)
    out: list[list[str]] = [[BOS] for _ in range(B)]
    logp = torch.zeros(B, dtype=torch.float64)
    scored, done = [0] * B, [False] * B
    ids, state = torch.full((B,), v.index[BOS]), None
    for step in range(max_tokens):
        logits, state = model.step(ids, state)  # [B, V]
        allowed = torch.stack([s.allowed(max_tokens - step) for s in states])  # [B, V]
        chosen = choose(masked(logits, allowed), opts, generators)
        chosen = _force(chosen, states, forced, v, allowed)
        lp = logits.double().log_softmax(-1).gather(1, chosen[:, None]).squeeze(1)
        for i, c in enumerate(chosen.tolist()):
            if done[i]:
                continue
            tok = vocab[c]
            logp[i] += lp[i]
            scored[i] += 1
            states[i].advance(tok)
            out[i].append(tok)
            done[i] = tok == EOS
        if all(done):
            break
        ids = chosen
    return [(o, float(lp_), n, d) for o, lp_, n, d in zip(out, logp, scored, done)]


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


# ------------------------------------------------------------------ output
def beam_unit(meter) -> Fraction:
    """How notes beam: dotted crotchets in compound meters, minims in 2/2 and 4/4."""
    if meter.den == 8 and meter.num % 3 == 0:
        return BEAT[8]
    return Fraction(1, 2) if meter.bar_length >= 1 else Fraction(1, 4)


def to_abc(text: str, x: int = 1, key: Key | None = None) -> str:
    """ABC 2.1 for a normalised tune: X, T, R, M, L:1/8, Q, K and four bars a line,
    transposed from C to `key` (None: the mode's default key)."""
    tune = read_normal(text)
    mode = tune.key.mode
    src = Key("C", 0, mode)
    _, semis, steps = output_interval(mode, key)
    semis, steps = _best_octave(tune.symbols, src, semis, steps)
    syms = [s for s in transpose_symbols(tune.symbols, src, semis, steps) if s.kind != "eol"]
    syms = explicit_repeat_starts(syms)
    rhythm = tune.rhythm
    fields = [("X", str(x)), ("T", tune.title or "Untitled")]
    fields += [("R", rhythm)] if rhythm else []
    meter = tune.meter
    default_q = "3/8=100" if meter.den == 8 and meter.num % 3 == 0 else "1/4=120"
    fields += [("M", str(meter)), ("L", "1/8"), ("Q", TEMPO.get(rhythm, default_q)),
               ("K", transpose_key(src, semis, steps).name())]
    return write_tune(fields, write_body(syms, 4, beam_unit(meter)))


def explicit_repeat_starts(syms: list) -> list:
    """Mark the start of each repeat but one from the tune's start: a `:|` or `::` closing a
    section that an earlier `:|` began makes that one `::`; one that `||` or `|]` began, `|:`.

    abc2midi reads `A:|B:|` as `A::B:|` and `A:|B||C:|` as `A:|B|:C:|` (the same notes), but
    warns "Assuming repeat" (and calls `A:|B::C:|` an error, "found :: before |:"); ABC
    leaves only the first repeat's `|:` to be understood. The model learnt the short form
    from its corpus (1135 of 4260 tunes have it), so it is spelled out here rather than
    forbidden by the constraints, which would take the repeat off the part.
    """
    out, begun_at = list(syms), None  # the bar line that began this section, if implicit
    for i, s in enumerate(out):
        if s.kind != "bar" or (s.bar == "|" and not s.ending):
            continue
        if s.bar in (":|", "::") and not s.ending and begun_at is not None:
            out[begun_at] = out[begun_at].with_(bar="::" if out[begun_at].bar == ":|" else "|:")
        plain = s.bar in (":|", "||", "|]") and not s.ending
        begun_at = i if plain else None
    return out


def _best_octave(syms, key: Key, semis: int, steps: int) -> tuple[int, int]:
    """The interval, or the same an octave up or down, that leaves fewest notes outside
    the fiddle's and flute's range (G3..A6); the nearer one on a tie."""
    from .check import PLAYABLE

    pitches = _midi(syms, key)
    low, high = PLAYABLE

    def outside(shift: int) -> int:
        return sum(1 for p in pitches if not low <= p + shift <= high)

    options = [(semis + o, steps + k) for o, k in OCTAVE_SHIFTS]  # as RangeRules assumes
    return min(options, key=lambda o: (outside(o[0]), abs(o[0])))


def _midi(syms, key: Key) -> list[int]:
    from .abc.pitch import PitchReader

    reader, out = PitchReader(key), []
    for s in syms:
        if s.kind == "bar":
            reader.bar()
        elif s.kind in ("note", "chord"):
            out += [reader.midi(n) for n in s.notes]
    return out


# ------------------------------------------------------------------- API
class _FreeState:
    """The state of a tune with no constraints (the char tokenizer): anything but <s>."""

    phase, constrain_body = "body", False

    def __init__(self, v: Vocab) -> None:
        self.mask = ~v.one(BOS)

    def allowed(self, steps_left: int = 0) -> torch.Tensor:
        return self.mask

    def advance(self, tok: str) -> None:
        pass


def _char_prefix(prime: Prime, header: Header) -> list[str]:
    """A char model's forced opening: the primed header lines, in order, then the body."""
    parts = [("T:" + "".join(header.title) + "\n") if header.title is not None else None,
             (header.rhythm + "\n") if header.rhythm else "",
             (header.meter + "\n") if header.meter else None,
             (header.mode + "\n") if header.mode else None]
    text = ""
    for i, part in enumerate(parts):
        if part is None:
            if any(p for p in parts[i + 1:]) or prime.body:
                raise FolkrnnError("with a char model, give the fields in order: "
                                   "--title before --rhythm, --meter, --mode and --prime")
            break
        text += part
    return list(text + re.sub(r"\s+", "", prime.body or ""))


def generate(model=None, n: int = 1, *, prime: Prime = Prime(),
             sampling: SamplingOptions = SamplingOptions(), beam: int = 0,
             length_norm: float = 0.0, seed: int = 0, max_tokens: int | None = None,
             constrain: bool = True, batch_size: int = 64, first_index: int = 0,
             indices: list[int] | None = None) -> list[GeneratedTune]:
    """Generate `n` tunes.

    Args:
        model: a Checkpoint from `load_model`, a checkpoint path, or None (the bundled model).
        prime: fixed title, rhythm, meter, mode, key and opening bars.
        sampling: greedy, or temperature / top-k / top-p sampling.
        beam: beam width; when > 0, the `n` (<= beam) best distinct tunes by log-probability.
        seed: tune i uses the generator of (seed, first_index + i): the same seed gives
            the same tunes, alone or in a batch.
        indices: the tune numbers to make (instead of first_index .. first_index + n - 1).
        max_tokens: the length cap of every loop (default 800 tokens, 1200 characters).
        constrain: mask tokens that would break the bar or the repeats (folkrnn tokenizer).
    """
    from .checkpoint import load_model

    ck = model if hasattr(model, "tokenizer") else load_model(model)
    tok, vocab = ck.tokenizer, ck.tokenizer.vocab
    header, key, body = resolve_prime(prime, vocab)
    char = tok.kind == "char"
    max_tokens = max_tokens or (1200 if char else 800)
    indices = list(indices) if indices is not None else list(range(first_index, first_index + n))
    n = len(indices)
    if beam and n > beam:
        raise FolkrnnError(f"beam search gives at most --beam results; ask -n {beam} or less")
    with torch.no_grad():
        if beam:
            raw = beam_search(ck.model, vocab, header, body, beam, n, max_tokens, constrain and not char,
                              length_norm)
        else:
            raw = []
            for start in range(0, n, batch_size):
                chunk = indices[start:start + batch_size]
                gens = [tune_generator(seed, i) for i in chunk]
                raw += _sample_chunk(ck.model, vocab, header, body, prime, sampling, gens,
                                     max_tokens, constrain, char, len(chunk))
    return [_finish(i, seed, r, tok, key) for i, r in zip(indices, raw)]


def _sample_chunk(model, vocab, header, body, prime, sampling, gens, max_tokens, constrain,
                  char, k):
    if not char:
        return sample_tokens(model, vocab, [header] * k, [body] * k, sampling, gens,
                             max_tokens, constrain)
    prefix = _char_prefix(prime, header)
    return _sample_free(model, vocab, [list(prefix) for _ in range(k)], sampling, gens, max_tokens)


def _sample_free(model, vocab, prefixes, sampling, gens, max_tokens):
    """The decode loop with no constraints; the forced prefix plays the prime's part."""
    v = Vocab(vocab)
    return _decode(model, v, [_FreeState(v) for _ in prefixes], prefixes, sampling, gens,
                   max_tokens)


def _finish(index: int, seed: int, raw, tok, key: Key | None) -> GeneratedTune:
    toks, logprob, scored, complete = raw
    body = [t for t in toks if t not in (BOS, EOS)]
    text = tok.join(body)
    g = GeneratedTune(index, seed, text, logprob=logprob, tokens=scored, complete=complete)
    try:
        g.abc = to_abc(text, index + 1, key)
        t = read_normal(text)
        g.title, g.meter, g.mode, g.rhythm = t.title, str(t.meter), t.key.mode, t.rhythm
        g.key = g.abc.split("\nK:")[1].split("\n")[0]
    except (AbcError, FolkrnnError, AttributeError, IndexError) as err:
        g.complete = False
        g.checks["unreadable"] = str(err)
    return g

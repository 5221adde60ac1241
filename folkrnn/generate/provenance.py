"""Remaking a tune from its `N:` lines (`stamp.py` writes and reads them), and `vary`.

`remake(text)` makes each tune of `text` again, exactly as it was (the same text) with the
same folkrnn version and model, or says in one sentence why it cannot.
"""
from __future__ import annotations

from folkrnn import __version__
from folkrnn.abc.writer import renumber
from folkrnn.errors import FolkrnnError
from folkrnn.generate.api import GeneratedTune, GenerationOptions, generate
from folkrnn.generate.prime import Prime
from folkrnn.generate.sampling import SamplingOptions
from folkrnn.generate.stamp import (
    RETRY_STRIDE,
    SETTINGS,
    VARY,
    generated_lines,
    lines,
    model_id,
    op_line,
    read,
    settings,
    stamp,
)

__all__ = ["RETRY_STRIDE", "remake", "vary", "parse_vary", "options_of"]


def options_of(values: dict, what: str = "the tune's N: lines hold settings this folkrnn "
               "cannot use") -> GenerationOptions:
    """The GenerationOptions of flat settings (those missing take their defaults); `what`
    begins the error for ones it cannot take."""
    parts: dict[str, dict] = {"prime": {}, "sampling": {}, "": {}}
    for name, (part, f) in SETTINGS.items():
        if name in values:
            parts[part][f] = values[name]
    try:
        return GenerationOptions(prime=Prime(**parts["prime"]),
                                 sampling=SamplingOptions(**parts["sampling"]), **parts[""])
    except (TypeError, ValueError) as err:
        raise FolkrnnError(f"{what}: {err}") from None


def remake(text: str, model=None, source: str = "<string>") -> list[GeneratedTune]:
    """Every tune of `text` made again from its N: lines (module docstring).

    Raises:
        FolkrnnError: a tune has no provenance, or was made by another folkrnn version or
            model, or by an operation this version does not know.
    """
    from folkrnn.abc.reader import read_text
    from folkrnn.model.checkpoint import load_model

    ck = model if hasattr(model, "tokenizer") else load_model(model)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    read = read_text(text, source)
    if not read.tunes:
        raise read.errors[0] if read.errors else FolkrnnError(f"{source} holds no tune")
    return [_remake_one(ck, text, tune) for tune in read.tunes]


def _remake_one(ck, text: str, tune) -> GeneratedTune:
    prov = read(tune)
    if prov is None:
        raise FolkrnnError(f"{tune.label} has no folkrnn N: lines: it cannot be remade")
    name, sha = model_id(ck)
    if prov.version != __version__:
        raise FolkrnnError(f"{tune.label} was made by folkrnn {prov.version}, and this is "
                           f"{__version__}: only the same version remakes it exactly")
    if prov.sha256 != sha:
        raise FolkrnnError(f"{tune.label} was made with the model {prov.model} "
                           f"(sha256 {prov.sha256}), not this one ({name}, {sha}): pass --model")
    made = dict(prov.made)
    op = made.pop("made", None)
    opts = options_of(made)
    try:
        return _remade(ck, text, tune, op, made, opts, prov)
    except (TypeError, ValueError, KeyError) as err:  # a value hand-edited out of shape
        raise FolkrnnError(f"{tune.label}'s N: lines are damaged ({type(err).__name__}: {err}); "
                           "it cannot be remade") from None


def _whole(made: dict, name: str, default: int, low: int = 0) -> int:
    value = made.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name}={value!r} is no whole number from {low}")
    return value


def _remade(ck, text: str, tune, op, made: dict, opts: GenerationOptions, prov) -> GeneratedTune:
    seed = _whole(made, "seed", 0)
    if op == "generate":
        number = _whole(made, "tune", 1, 1) - 1
        attempt = _whole(made, "attempt", 0)
        if opts.beam:
            g = generate(ck, number + 1, opts, seed=seed)[number]
        else:
            g = generate(ck, options=opts, seed=seed, indices=[number + attempt * RETRY_STRIDE])[0]
        g.index = number
        g.abc = stamp(_renumber(g.abc, tune.x), generated_lines(ck, g, opts, attempt, made.get("vary")))
        return g
    if op in ("continue", "reroll"):
        from folkrnn.generate.compose import continue_tune, reroll
        from folkrnn.generate.source import SourceTune

        src = SourceTune.of(text, tune, ck.tokenizer)
        if op == "continue":
            partial = made.get("partial")
            g = continue_tune(src, _whole(made, "bars", 0), seed=seed, model=ck, options=opts,
                              partial=None if partial is None else _whole(made, "partial", 0),
                              indices=[_whole(made, "tune", 1, 1) - 1])[0]
        else:
            first, last = (int(b) for b in str(made["bars"]).split("-"))
            rank = _whole(made, "rank", 1, 1)
            g = reroll(src, first, last, rank, candidates=_whole(made, "candidates", 1, rank),
                       seed=seed, model=ck, options=opts)[rank - 1]
        # the tune's own text, X: line included, is where the kept bars came from
        g.abc = stamp(g.abc, lines(ck, op_line(g, opts), prov.parents))
        return g
    raise FolkrnnError(f"{tune.label} was made by {op!r}, which folkrnn {__version__} cannot remake")


def _renumber(abc: str, x: int | None) -> str:
    return renumber(abc, x) if x is not None else abc


def vary(model, knob: str, values: list, options: GenerationOptions | None = None, *,
         seed: int = 0, n: int = 1) -> list[GeneratedTune]:
    """`n` tunes for each value of one setting (`VARY`), everything else and the seed fixed:
    the tunes of a value are those `generate` makes with it, numbered on as one tune book."""
    from folkrnn.model.checkpoint import load_model

    name = knob.replace("-", "_")
    if name not in VARY:
        raise FolkrnnError(f"--vary takes one of {', '.join(VARY)}, not {knob!r}")
    ck = model if hasattr(model, "tokenizer") else load_model(model)
    base = options or GenerationOptions()
    out = []
    for value in values:
        opts = options_of({**settings(base), name: value}, f"--vary {name}={value}")
        for g in generate(ck, n, opts, seed=seed):
            prov = generated_lines(ck, g, opts, vary=name)
            g.index = len(out)
            g.abc = stamp(_renumber(g.abc, g.index + 1), prov)
            g.operation = {"op": "vary", "knob": name, "value": value}
            out.append(g)
    return out


def parse_vary(text: str) -> tuple[str, list]:
    """`temperature=0.5,1,1.5` -> ("temperature", [0.5, 1.0, 1.5]).

    Raises:
        FolkrnnError: no `=`, an unknown setting or a value of the wrong kind.
    """
    knob, eq, values = text.partition("=")
    name = knob.strip().replace("-", "_")
    if not eq or name not in VARY or not values.strip():
        raise FolkrnnError(f"--vary takes SETTING=V1,V2,... with a setting of "
                           f"{', '.join(VARY)}, not {text!r}")
    kind = VARY[name]
    try:
        return name, [kind(v.strip()) for v in values.split(",")]
    except ValueError:
        raise FolkrnnError(f"--vary {name} takes {kind.__name__} values, not {values!r}") from None


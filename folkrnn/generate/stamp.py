"""The `N:` lines every tune the project writes carries: writing and reading them.

    N:folkrnn 0.1.0 model=default sha256=2fb427a5ca23
    N:folkrnn made=generate seed=9 tune=1 title=- rhythm=- meter=6/8 ... restate=true
    N:folkrnn made=reroll seed=1 bars=3-4 candidates=8 rank=1 title=- ... restate=true
    N:folkrnn from: made=generate seed=9 tune=1 ...

The first line names the folkrnn version and the model (its folder's name and the first
12 hex digits of its weights' sha256); `made=` says how the tune was made: the operation,
its seed, tune number and own values, and every generation setting (`SETTINGS`); each
`from:` line is a tune it was made from, the nearest first (`continue`, `reroll` keep their
parent's lines so). Values are bare where they can be and JSON strings otherwise (a `%`,
which would begin an ABC comment, written `\\u0025`); `-` is None. ABC keeps `N:` as
notes: abc2midi, abcm2ps and music21 read the tunes as they would without them.
`provenance.py` reads them back to remake a tune.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from folkrnn import __version__

PREFIX = "folkrnn "  # what an N: field of ours begins with
RETRY_STRIDE = 1_000_000  # attempt a of tune i uses generator number i + a * RETRY_STRIDE
# every generation setting: its name in the N: line -> (the part of GenerationOptions, field)
SETTINGS = {"title": ("prime", "title"), "rhythm": ("prime", "rhythm"),
            "meter": ("prime", "meter"), "mode": ("prime", "mode"), "key": ("prime", "key"),
            "prime": ("prime", "body"), "greedy": ("sampling", "greedy"),
            "temperature": ("sampling", "temperature"), "top_k": ("sampling", "top_k"),
            "top_p": ("sampling", "top_p"), "beam": ("", "beam"),
            "length_norm": ("", "length_norm"), "max_tokens": ("", "max_tokens"),
            "constrain": ("", "constrain"), "part_bars": ("", "part_bars"), "form": ("", "form"),
            "restate": ("", "restate")}
# the settings `--vary` changes, and how its values read
VARY = {"temperature": float, "top_k": int, "top_p": float, "key": str, "meter": str,
        "mode": str, "rhythm": str, "form": str, "title": str}
_BARE = re.compile(r"[^\s\"%=\\]+")
_NUMBER = re.compile(r"-?\d+(\.\d*)?([eE][-+]?\d+)?|true|false|-|inf|nan")
_OURS = re.compile(r"N:\s*" + re.escape(PREFIX))  # as `read` finds them: spaces allowed
_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


@dataclass
class Provenance:
    """A tune's N: lines, read."""

    version: str
    model: str
    sha256: str
    made: dict  # `made=` and the values after it
    parents: list[str] = field(default_factory=list)  # the `from:` lines' texts, nearest first
    made_text: str = ""  # the `made=` line as written (a child tune's first `from:` line)


def model_id(ck) -> tuple[str, str]:
    """(name, sha256 prefix) of a checkpoint: its folder's name, its weights' hash."""
    files = ck.meta.get("files", {})
    sha = files.get("model.safetensors") or next(iter(files.values()), "")
    return ck.path.name, sha[:12]


def settings(opts) -> dict:
    """Every generation setting, flat (`SETTINGS`)."""
    return {name: getattr(getattr(opts, part) if part else opts, f)
            for name, (part, f) in SETTINGS.items()}


def encode(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if _BARE.fullmatch(text) and not _NUMBER.fullmatch(text):
        return text
    out = json.dumps(text, ensure_ascii=False).replace("%", "\\u0025")
    for c in "\u2028\u2029\x85":  # line breaks to a reader that splits on them
        out = out.replace(c, f"\\u{ord(c):04x}")
    return out


def decode(text: str):
    """A value as `encode` wrote it (ValueError: a damaged one)."""
    if text.startswith('"'):
        return json.loads(text)
    if text == "-":
        return None
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if _NUMBER.fullmatch(text):
        return float(text)
    return text


def made_line(op: str, values: dict, opts) -> str:
    """`made=op k=v ...`: the operation's own values, then every setting."""
    return " ".join([f"made={op}"] + [f"{k}={encode(v)}" for k, v in {**values,
                                                                       **settings(opts)}.items()])


def lines(ck, made: str, parents: list[str] = ()) -> list[str]:
    """A tune's N: field values (without `N:`)."""
    name, sha = model_id(ck)
    return ([f"{PREFIX}{__version__} model={encode(name)} sha256={sha}", PREFIX + made]
            + [f"{PREFIX}from: {p}" for p in parents])


def stamp(abc: str, values: list[str]) -> str:
    """`abc` (one tune) with its folkrnn N: lines replaced by `values`, just before its K:."""
    head, sep, body = abc.partition("\nK:")
    kept = [ln for ln in head.split("\n") if not _OURS.match(ln)]
    return "\n".join(kept + [f"N:{v}" for v in values]) + sep + body


def read(tune) -> Provenance | None:
    """The provenance in a read tune's header (None: it has none)."""
    ours = [v.strip() for f, v in tune.fields if f == "N" and v.strip().startswith(PREFIX)]
    if len(ours) < 2:
        return None
    head = ours[0][len(PREFIX):].split()
    pairs = dict(_PAIR.findall(ours[0]))
    made = {k: decode(v) for k, v in _PAIR.findall(ours[1])}
    parents = [p[len(PREFIX) + len("from: "):] for p in ours[2:]
               if p.startswith(PREFIX + "from: ")]
    return Provenance(head[0] if head else "", decode(pairs.get("model", "-")) or "",
                      pairs.get("sha256", ""), made, parents, ours[1][len(PREFIX):])


def renumbered(ck, tune, opts, number: int, attempt: int) -> None:
    """A tune made again (`attempt` of tune `number`, 0-based) given that number, its `X:`
    and its N: lines, in place (`--valid-only`, `--novel-only`, a collection's duplicates)."""
    from folkrnn.abc.writer import renumber

    tune.index, tune.checks["attempt"] = number, attempt
    if tune.abc:
        tune.abc = stamp(renumber(tune.abc, number + 1), generated_lines(ck, tune, opts, attempt))


def generated_lines(ck, tune, opts, attempt: int = 0,
                    vary: str | None = None) -> list[str]:
    """The N: lines of a tune `generate` made (tune number `tune.index + 1`)."""
    own = {"seed": tune.seed, "tune": tune.index + 1}
    own.update({"attempt": attempt} if attempt else {})
    own.update({"vary": vary} if vary else {})
    return lines(ck, made_line("generate", own, opts))


def stamp_made(ck, tunes, opts, parent) -> None:
    """Give each tune `continue_tune` or `reroll` made from `parent` (a read tune) its N:
    lines, in place (the CLI and the server write them so)."""
    for t in tunes:
        t.abc = stamp(t.abc, op_lines(ck, t, opts, parent))


def op_lines(ck, g, opts, parent) -> list[str]:
    """The N: lines of a tune `continue_tune` or `reroll` made (`g.operation` says how) from a
    tune read as `parent` (its provenance, if any, becomes the first `from:` line)."""
    prov = read(parent)
    return lines(ck, op_line(g, opts), [prov.made_text, *prov.parents] if prov else [])


def op_line(g, opts) -> str:
    """The `made=` line of a tune `continue_tune` or `reroll` made."""
    op = g.operation
    own = {"seed": g.seed}
    if op["op"] == "continue":
        own.update({"tune": g.index + 1, "bars": op["bars"]})
        own.update({"partial": op["partial"]} if "partial" in op else {})
    else:
        own.update({"bars": op["bars"], "candidates": op["candidates"], "rank": op["rank"]})
    return made_line(op["op"], own, opts)

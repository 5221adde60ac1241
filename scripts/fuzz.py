"""Fuzz the pipeline with corrupted human tunes: every failure must be a FolkrnnError.

    python scripts/fuzz.py -n 10000 --seed 1 [--formats mid] [--timeout 5] [--json]
                           [--failures failures.jsonl] [--tracemalloc] [--max-memory-mb 2048]
    python scripts/fuzz.py --replay failures.jsonl [--minimise]

Each case takes a raw human tune from music21's bundled ABC collections (split at `X:`
lines; the bundled model's corpus.jsonl.gz when music21 is missing), corrupts it with one
of `CORRUPTIONS` (character edits, field damage, huge numbers, truncation, binary junk,
a line repeated many times, quoted-printable `=20`, stray symbols, fragment bodies, or a
mix), and runs it through the stages: `read_text`, `check_text(music21=False)`, then for
each tune `normalise`, the bundled model's tokenizer and `render` (MIDI only by default;
never audio). A stage's outcome is ok, project (a FolkrnnError, or errors in the read
result), other (any other exception: a bug) or timeout (cut by SIGALRM after --timeout
seconds, or a C call that returned late); a case takes its worst stage's outcome.

The report gives counts by outcome, corruption kind and stage, the project errors by type,
each distinct other exception (stage, type, innermost folkrnn frame, the shortest case),
the timeouts, the 10 slowest cases, peak memory and the total time. Exit status 1 when any
case is other or timeout. Cases depend only on (seed, index), so a run is deterministic and
`--replay` reruns the saved failures (`--minimise` shrinks each, keeping its signature).
A memory limit (RLIMIT_AS) turns runaway growth into a counted MemoryError. A hang inside
one C call cannot be cut by SIGALRM; `--progress` names each case on stderr to find it.
"""
from __future__ import annotations

import argparse
import functools
import gc
import gzip
import json
import logging
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
import tracemalloc
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import folkrnn
from folkrnn.abc.normalise import normalise
from folkrnn.abc.reader import decode_bytes, read_text
from folkrnn.check.strict import check_text
from folkrnn.corpus.prepare import DEFAULT_SOURCES, music21_corpus_dir
from folkrnn.errors import FolkrnnError
from folkrnn.render import RenderOptions, parse_formats, preflight, render
from folkrnn.tokenize import tokenizer_from_dict

# folkrnn.model.checkpoint.DEFAULT_MODEL_DIR, without importing torch
MODEL_DIR = Path(folkrnn.__file__).resolve().parent / "models" / "default"
OUTCOMES = ("ok", "project", "other", "timeout")  # worst last
MAX_TUNES = 3  # tunes of one case that go through the per-tune stages

ABC_CHARS = "[]|:/()\"!{}<>-=^_0123456789,'~.+&$%\\ \nABCDEFGabcdefgzZxyKLMTHuv"
JUNK = [b"\x00", b"\xff", b"\xfe", b"\xc3", b"\x80", b"\xe2\x82", b"\x1b", b"\r", b"\x7f", b"\xef\xbb\xbf"]
HUGE = ["a99999", "Z99999999", "z99999", "x99999999", "/0", "b/0", "c0", "Z0", "a1/0", "(9:0:0",
        "(3:99999", "(3:2:99999", "(99999", "a/99999", "[ceg]99999", "a////////", "A>>>>>>>>B",
        "a999999999999999999999", "c''''''''''''''''", "C,,,,,,,,,,,,,,,,", "[L:1/99999]", "[M:99999/1]",
        "[L:1/0]", "[K:Zz]", "|99999", "[99999", "!" * 50, "(" * 200 + "a" + ")" * 200, "{" * 50,
        "|1-100000000", "|" + "1" * 5000, "[M:3/" + "9" * 5000 + "]", "[L:1/1]a999", "[K:Bbn]",
        "a" + "9" * 5000, "\nP:A100000000\n", "\nP:(((((A9)9)9)9)9)9\n", "\nP:" + "(" * 3000 + "A\n",
        "\nP:A\u00b2\n", "[Q:1/" + "9" * 5000 + "=1]", "a" * 30000]
HUGE_FIELDS = ["L:1/99999", "M:99999/1", "L:0", "L:1/0", "M:0/0", "M:1/99999", "L:99999/1", "M:3/0",
               "Q:1/4=99999999", "Q:0", "Q:1/0=120", "K:G clef=treble transpose=99999", "K:Hp", "K:",
               "M:3/" + "9" * 5000, "L:1/" + "9" * 5000, "P:A100000000", "Q:1/4=3D120", "K:F#n"]
STRAY = ["]", "/", "3", "2", "9", ":", ")", "}", "=20", "\\", "&", "[", "'", ","]
FRAGMENTS = ["a", "B,", "c'", "^f", "_B", "=c", "^^g", "__e", "a2", "a/", "a/2", "a3/2", "a//", "A8",
             "z", "z2", "x", "Z", "Z2", "Z4", "|", "||", "|]", "[|", "|:", ":|", "::", "|1", ":|2",
             "[1", "[2", "|[1", "(3", "(3abc", "(3:2:3", "(5", "(7", "(2", ">", "<", ">>", "-", "(",
             ")", "[ceg]", "[c2e2]", "{g}", "{ag}", '"G"', '"Am7"', '"^text"', "!trill!", "~", ".",
             "T", "H", "u", "v", "[K:D]", "[M:3/4]", "[L:1/16]", "[Q:1/4=120]", " ", "\n", "\\\n",
             "%comment\n", "\nK:Am\n", "\nM:6/8\n", "\nP:A\n", "\nw:la la\n", "\nV:2\n", "&", "y",
             "[V:1]", "[P:B]", "\nT:two\n"]
METERS = ["4/4", "6/8", "3/4", "2/4", "9/8", "12/8", "7/8", "C", "C|", "none", "", "3/8", "0/4", "99999/1"]
UNITS = ["1/8", "1/4", "1/16", "", "1/0", "1/99999", "2/8"]
KEYS = ["G", "D", "Am", "Edor", "Ador", "Bb", "F#m", "C", "none", "HP", "", "Gmix", "Xyz", "D clef=bass"]


# ---------------------------------------------------------------- corruptions

def _body_start(text: str) -> int:
    """The offset just after the first `K:` line (0 when there is none)."""
    at = text.find("\nK:")
    if at < 0:
        return 0
    end = text.find("\n", at + 1)
    return len(text) if end < 0 else end + 1


def _spot(rng: random.Random, text: str) -> int:
    """A random offset, in the body four times out of five."""
    start = _body_start(text) if rng.random() < 0.8 else 0
    return rng.randint(start, len(text))


def _insert(rng: random.Random, text: str, snippet: str) -> tuple[str, int]:
    at = _spot(rng, text)
    return text[:at] + snippet + text[at:], at


def char_edits(rng: random.Random, text: str) -> tuple[str, str]:
    """1-8 random inserts, deletes and replacements of (mostly ABC-significant) characters."""
    notes = []
    for _ in range(rng.randint(1, 8)):
        at, op, ch = _spot(rng, text), rng.choice("idr"), rng.choice(ABC_CHARS)
        text = text[:at] + (ch if op in "ir" else "") + text[at + (op in "dr"):]
        notes.append(f"{op}{ch!r}@{at}" if op in "ir" else f"d@{at}")
    return text, " ".join(notes)


def field_damage(rng: random.Random, text: str) -> tuple[str, str]:
    """Blank, garble or delete the M:, L: or K: line (or duplicate it with another value)."""
    name, op = rng.choice("MLK"), rng.choice(["blank", "garble", "delete", "duplicate"])
    lines = text.split("\n")
    at = next((i for i, line in enumerate(lines) if line.startswith(name + ":")), None)
    junk = "".join(rng.choice(ABC_CHARS.replace("\n", "")) for _ in range(rng.randint(1, 8)))
    value = {"blank": "", "garble": junk, "duplicate": rng.choice(METERS + UNITS + KEYS)}.get(op)
    if at is None:
        lines.insert(1, f"{name}:{junk}")
    elif value is None:
        del lines[at]
    else:
        lines[at + (op == "duplicate"):at + 1] = [f"{name}:{value}"]
    return "\n".join(lines), f"{op} {name}: {value!r}"


def huge_numbers(rng: random.Random, text: str) -> tuple[str, str]:
    """A huge or zero length, tuplet, rest or header value, in the body or the header."""
    if rng.random() < 0.3:
        value = rng.choice(HUGE_FIELDS)
        lines = text.split("\n")
        at = next((i for i, line in enumerate(lines) if line.startswith(value[:2])), None)
        if at is None:
            lines.insert(1, value)
        else:
            lines[at] = value
        return "\n".join(lines), f"header {value}"
    snippet = rng.choice(HUGE)
    text, at = _insert(rng, text, snippet)
    return text, f"insert {snippet[:20]!r}@{at}"


def truncate(rng: random.Random, text: str) -> tuple[str, str]:
    """The text cut at a random point."""
    at = rng.randrange(len(text) + 1)
    return text[:at], f"cut@{at}"


def binary_junk(rng: random.Random, text: str) -> tuple[str, str]:
    """1-20 junk bytes (NUL, invalid UTF-8, random) in the bytes, decoded as the reader does."""
    data = bytearray(text.encode("utf-8"))
    for _ in range(rng.randint(1, 20)):
        junk = rng.choice(JUNK) if rng.random() < 0.7 else rng.randbytes(rng.randint(1, 8))
        at = rng.randint(0, len(data))
        data[at:at] = junk
    return decode_bytes(bytes(data)), f"{len(data) - len(text.encode('utf-8'))} junk bytes"


def repeat_line(rng: random.Random, text: str) -> tuple[str, str]:
    """One line (body or field) repeated 10 to about 5000 times."""
    lines = text.split("\n")
    at, times = rng.randrange(len(lines)), int(10 ** rng.uniform(1, 3.7))
    lines[at:at + 1] = [lines[at]] * times
    return "\n".join(lines), f"line {at + 1} x{times}"


def quoted_printable(rng: random.Random, text: str) -> tuple[str, str]:
    """E-mail damage: `=20` at line ends, `=` soft line breaks, `=3D` for `=`."""
    op = rng.choice(["=20", "soft", "=3D"])
    if op == "=3D":
        return text.replace("=", "=3D"), op
    lines, cut = text.split("\n"), rng.random()
    if op == "=20":
        return "\n".join(line + "=20" if rng.random() < cut else line for line in lines), op
    return "\n".join(line[:len(line) // 2] + "=\n" + line[len(line) // 2:] if rng.random() < cut
                     else line for line in lines), op


def stray_symbols(rng: random.Random, text: str) -> tuple[str, str]:
    """1-5 stray `]`, `/`, lone digits and the like in the body."""
    notes = []
    for _ in range(rng.randint(1, 5)):
        snippet = rng.choice(STRAY)
        text, at = _insert(rng, text, snippet)
        notes.append(f"{snippet!r}@{at}")
    return text, " ".join(notes)


def fragment_body(rng: random.Random, text: str) -> tuple[str, str]:
    """The tune's header (cut at K:) with a body of 1-60 random ABC fragments."""
    start = _body_start(text) or len(text)
    body = "".join(rng.choice(FRAGMENTS if rng.random() < 0.97 else HUGE)
                   for _ in range(rng.randint(1, 60)))
    return text[:start] + body, f"body {body[:30]!r}"


def mix(rng: random.Random, text: str) -> tuple[str, str]:
    """Two or three of the other corruptions, one after another."""
    notes = []
    for kind in rng.sample(sorted(set(CORRUPTIONS) - {"mix"}), rng.randint(2, 3)):
        text, note = CORRUPTIONS[kind](rng, text)
        notes.append(f"{kind}: {note}")
    return text, "; ".join(notes)


CORRUPTIONS: dict[str, Callable[[random.Random, str], tuple[str, str]]] = {
    "chars": char_edits, "fields": field_damage, "huge": huge_numbers, "truncate": truncate,
    "binary": binary_junk, "repeat": repeat_line, "qp": quoted_printable, "stray": stray_symbols,
    "fragments": fragment_body, "mix": mix,
}


def build_tune(meter: str, unit: str, key: str, fragments: list[str]) -> str:
    """An ABC tune from header values and body fragments."""
    head = f"X:1\nT:built\nM:{meter}\n" + (f"L:{unit}\n" if unit else "")
    return head + f"K:{key}\n" + "".join(fragments) + "\n"


# ---------------------------------------------------------------- sources and cases

def split_tunes(text: str) -> list[str]:
    """The `X:` blocks of a file's text (what comes before the first `X:` is dropped)."""
    blocks = ("\n" + text).split("\nX:")[1:]
    return ["X:" + b.strip("\n") + "\n" for b in blocks if "K:" in b]


def human_tunes() -> list[str]:
    """Raw tunes of music21's bundled collections, else the bundled model's corpus."""
    try:
        root = music21_corpus_dir()
    except FolkrnnError:
        root = None
    tunes = [t for name in DEFAULT_SOURCES if root for path in sorted((root / name).glob("*.abc"))
             for t in split_tunes(decode_bytes(path.read_bytes()))]
    return tunes or corpus_tunes()


def corpus_tunes() -> list[str]:
    with gzip.open(MODEL_DIR / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        return ["X:1\n" + json.loads(line)["text"] + "\n" for line in f if line.strip()]


@dataclass
class Case:
    index: int
    kind: str
    note: str
    text: str

    def short(self, width: int = 60) -> str:
        return repr(self.text[:width]) + ("..." if len(self.text) > width else "")


def make_case(tunes: list[str], seed: int, index: int) -> Case:
    """Case `index` of run `seed`: it depends on nothing else."""
    rng = random.Random(f"{seed}:{index}")
    tune, kind = rng.choice(tunes), rng.choice(sorted(CORRUPTIONS))
    text, note = CORRUPTIONS[kind](rng, tune)
    return Case(index, kind, note, text)


# ---------------------------------------------------------------- running a case

class StageTimeout(BaseException):
    """Raised by SIGALRM; a BaseException so that no `except Exception` swallows it."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise StageTimeout


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """SIGALRM after `seconds` (a StageTimeout where Python code runs next)."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Stage:
    name: str
    outcome: str
    seconds: float
    error: str = ""  # "Type: message"
    where: str = ""  # innermost folkrnn frame of an other exception


@dataclass
class Tools:
    tokenizer: Any
    out_dir: Path
    formats: list[str] = field(default_factory=lambda: ["mid"])


def default_tools(out_dir: Path, formats: list[str] | None = None) -> Tools:
    """The bundled model's tokenizer (read from its JSON: no torch) and MIDI into `out_dir`."""
    meta = json.loads((MODEL_DIR / "checkpoint.json").read_text())
    return Tools(tokenizer_from_dict(meta["tokenizer"]), out_dir, formats or ["mid"])


def _where(err: BaseException) -> str:
    frames = traceback.extract_tb(err.__traceback__)
    inner = [f for f in frames if "/folkrnn/" in f.filename] or frames
    if not inner:
        return ""
    f = inner[-1]
    return f"{f.filename.split('/folkrnn/')[-1]}:{f.lineno} in {f.name}"


def run_stage(name: str, fn: Callable[[], Any], timeout: float, stages: list[Stage]) -> Any:
    """`fn()` cut after `timeout` seconds; its Stage goes on `stages`; the value, or None on failure."""
    start, value, outcome, error, where = time.perf_counter(), None, "ok", "", ""
    try:
        with alarm(timeout):
            value = fn()
    except StageTimeout:
        outcome = "timeout"
    except FolkrnnError as err:
        outcome, error = "project", f"{type(err).__name__}: {err}"[:300]
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: B036 - a bug of any kind is what we are counting
        outcome, error, where = "other", f"{type(err).__name__}: {err}"[:300], _where(err)
    seconds = time.perf_counter() - start
    if outcome == "ok" and seconds > timeout:
        outcome = "timeout"  # a C call that the alarm could not cut
    stages.append(Stage(name, outcome, seconds, error, where))
    return value


def run_text(text: str, tools: Tools, timeout: float = 5.0, budget: float | None = None) -> list[Stage]:
    """Every stage of the pipeline on one text; each stage may take `timeout` seconds and,
    when `budget` is given, all of them together that many."""
    stages: list[Stage] = []
    end = time.perf_counter() + (budget if budget is not None else float("inf"))

    def stage(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        limit = min(timeout, end - time.perf_counter())
        return run_stage(name, functools.partial(fn, *args, **kwargs), limit, stages)

    read = stage("read", read_text, text, "<fuzz>")
    if read is not None and read.errors:
        err = read.errors[0]
        stages[-1].outcome, stages[-1].error = "project", f"{type(err).__name__}: {err}"[:300]
    stage("check", check_text, text, "<fuzz>", music21=False)
    for tune in (read.tunes if read is not None else [])[:MAX_TUNES]:
        normal = stage("normalise", normalise, tune)
        if normal is not None:
            stage("tokenize", tools.tokenizer.encode, normal.text)
        stage("render", render, tune, tools.out_dir, tools.formats, RenderOptions(), stem="fuzz")
    return stages


def worst(stages: list[Stage]) -> str:
    return max((s.outcome for s in stages), key=OUTCOMES.index, default="ok")


def describe(stages: list[Stage]) -> str:
    """The failing stages, for an assertion message."""
    return "; ".join(f"{s.name}: {s.outcome} {s.error} {s.where}".strip()
                     for s in stages if s.outcome in ("other", "timeout"))


# ---------------------------------------------------------------- the run and its report

@dataclass
class Tally:
    outcomes: Counter = field(default_factory=Counter)
    by_kind: dict = field(default_factory=lambda: defaultdict(Counter))
    by_stage: dict = field(default_factory=lambda: defaultdict(Counter))
    project_errors: Counter = field(default_factory=Counter)
    other: dict = field(default_factory=dict)  # (stage, type, where) -> {count, example...}
    timeouts: list = field(default_factory=list)
    slowest: list = field(default_factory=list)  # (seconds, index, kind, short)

    def add(self, case: Case, stages: list[Stage], seconds: float) -> str:
        outcome = worst(stages)
        self.outcomes[outcome] += 1
        self.by_kind[case.kind][outcome] += 1
        for s in stages:
            self.by_stage[s.name][s.outcome] += 1
            if s.outcome == "project":
                self.project_errors[s.error.split(":")[0]] += 1
            elif s.outcome == "other":
                self._other(case, s)
            elif s.outcome == "timeout":
                self.timeouts.append({"stage": s.name, "seconds": round(s.seconds, 2), **_brief(case)})
        self.slowest = sorted(self.slowest + [(round(seconds, 3), case.index, case.kind, case.short())],
                              reverse=True)[:10]
        return outcome

    def _other(self, case: Case, s: Stage) -> None:
        key = f"{s.name} | {s.error.split(':')[0]} | {s.where}"
        entry = self.other.setdefault(key, {"count": 0, "message": s.error, "example": None})
        entry["count"] += 1
        if entry["example"] is None or len(case.text) < len(entry["example"]["text"]):
            entry["message"], entry["example"] = s.error, {**_brief(case), "text": case.text}


def _brief(case: Case) -> dict:
    return {"index": case.index, "kind": case.kind, "note": case.note[:120], "short": case.short()}


def run(args: argparse.Namespace, tools: Tools) -> tuple[Tally, float]:
    tunes, tally, start = human_tunes(), Tally(), time.perf_counter()
    failures = open(args.failures, "w", encoding="utf-8") if args.failures else None
    try:
        for i in range(args.n):
            case = make_case(tunes, args.seed, i)
            if args.progress:
                print(f"case {i} {case.kind} {case.note[:60]}", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            stages = run_text(case.text, tools, args.timeout)
            outcome = tally.add(case, stages, time.perf_counter() - t0)
            if outcome in ("other", "timeout"):
                gc.collect()
                if failures:
                    failures.write(json.dumps({**asdict(case), "seed": args.seed, "outcome": outcome,
                                               "stages": [asdict(s) for s in stages]}) + "\n")
                    failures.flush()
    finally:
        if failures:
            failures.close()
    return tally, time.perf_counter() - start


def report(tally: Tally, args: argparse.Namespace, seconds: float, traced: int | None) -> dict:
    return {
        "n": args.n, "seed": args.seed, "formats": args.formats, "timeout": args.timeout,
        "outcomes": {o: tally.outcomes[o] for o in OUTCOMES},
        "by_kind": {k: dict(v) for k, v in sorted(tally.by_kind.items())},
        "by_stage": {k: dict(v) for k, v in tally.by_stage.items()},
        "project_errors": dict(tally.project_errors.most_common()),
        "other": tally.other, "timeouts": tally.timeouts,
        "slowest": [{"seconds": s, "index": i, "kind": k, "short": r} for s, i, k, r in tally.slowest],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "tracemalloc_peak_mib": None if traced is None else round(traced / 2 ** 20, 1),
        "seconds": round(seconds, 1),
    }


def print_report(r: dict) -> None:
    print(f"fuzz: {r['n']} cases, seed {r['seed']}, formats {r['formats']}, {r['seconds']} s, "
          f"peak RSS {r['peak_rss_mib']} MiB" + (f", tracemalloc peak {r['tracemalloc_peak_mib']} MiB"
                                                  if r["tracemalloc_peak_mib"] is not None else ""))
    print("outcomes: " + ", ".join(f"{o} {c}" for o, c in r["outcomes"].items()))
    for title, table in (("by kind", r["by_kind"]), ("by stage", r["by_stage"])):
        print(title + ":")
        for name, counts in table.items():
            print(f"  {name:10} " + ", ".join(f"{o} {counts[o]}" for o in OUTCOMES if o in counts))
    print("project errors: " + ", ".join(f"{t} {c}" for t, c in r["project_errors"].items()))
    print(f"other exceptions ({len(r['other'])} distinct):")
    for key, e in r["other"].items():
        print(f"  [{e['count']}x] {key}\n      {e['message'][:200]}\n      e.g. case {e['example']['index']} "
              f"({e['example']['kind']}: {e['example']['note'][:80]}) {e['example']['short']}")
    print(f"timeouts ({len(r['timeouts'])}):")
    for t in r["timeouts"][:20]:
        print(f"  {t['stage']} {t['seconds']} s: case {t['index']} ({t['kind']}: {t['note'][:80]})")
    print("slowest:")
    for s in r["slowest"]:
        print(f"  {s['seconds']:8.3f} s  case {s['index']} {s['kind']:9} {s['short']}")


# ---------------------------------------------------------------- replay and minimise

def signature(stages: list[Stage]) -> set[str]:
    return {f"{s.name} {s.outcome} {s.error.split(':')[0]} {s.where}"
            for s in stages if s.outcome in ("other", "timeout")}


def minimise(text: str, tools: Tools, timeout: float, budget: int = 400) -> str:
    """A shorter text with the same failures: greedy removal of lines, then of characters."""
    target = signature(run_text(text, tools, timeout))

    def same(candidate: str) -> bool:
        return bool(target) and signature(run_text(candidate, tools, timeout)) >= target

    for sep in ("\n", ""):
        parts = text.split("\n") if sep else list(text)
        chunk = max(1, len(parts) // 2)
        while chunk >= 1 and budget > 0:
            i = 0
            while i < len(parts) and budget > 0:
                trial, budget = parts[:i] + parts[i + chunk:], budget - 1
                if trial and same(sep.join(trial)):
                    parts = trial
                else:
                    i += chunk
            chunk //= 2
        text = sep.join(parts)
    return text


def replay(args: argparse.Namespace, tools: Tools) -> int:
    bad = 0
    for line in Path(args.replay).read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        stages = run_text(case["text"], tools, args.timeout)
        bad += worst(stages) in ("other", "timeout")
        print(f"case {case['index']} ({case['kind']}): {worst(stages)} {describe(stages)}")
        if args.minimise and worst(stages) in ("other", "timeout"):
            print("  minimal: " + repr(minimise(case["text"], tools, args.timeout)))
    return 1 if bad else 0


# ---------------------------------------------------------------- main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-n", type=int, default=1000, help="cases to run (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--formats", default="mid", help="render formats, comma separated; never audio")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds a stage may take (default 5)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--failures", help="write each other/timeout case to this JSON lines file")
    p.add_argument("--replay", help="rerun the cases of a --failures file instead")
    p.add_argument("--minimise", action="store_true", help="with --replay: shrink each failure")
    p.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    p.add_argument("--max-memory-mb", type=int, default=2048, help="address-space limit (0: none)")
    p.add_argument("--progress", action="store_true", help="name each case on stderr before it runs")
    return p.parse_args(argv)


@contextmanager
def memory_limit(mib: int) -> Iterator[None]:
    """RLIMIT_AS lowered to `mib` for the run (then restored), so growth is a MemoryError."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if mib > 0:
        cap = mib * 2 ** 20 if hard == resource.RLIM_INFINITY else min(mib * 2 ** 20, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    formats = parse_formats(args.formats)
    if "wav" in formats:
        raise SystemExit("fuzz.py renders no audio (memory); leave wav out of --formats")
    preflight(formats)
    with tempfile.TemporaryDirectory(prefix="folkrnn-fuzz-") as tmp, memory_limit(args.max_memory_mb):
        tools = default_tools(Path(tmp), formats)
        if args.replay:
            return replay(args, tools)
        if args.tracemalloc:
            tracemalloc.start()
        logging.disable(logging.WARNING)  # the renderer's per-field warnings, thousands of them
        try:
            tally, seconds = run(args, tools)
        finally:
            logging.disable(logging.NOTSET)
        traced = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        tracemalloc.stop()
    r = report(tally, args, seconds, traced)
    if args.json:
        print(json.dumps(r, indent=1))
    else:
        print_report(r)
    return 1 if r["outcomes"]["other"] or r["outcomes"]["timeout"] else 0


if __name__ == "__main__":
    sys.exit(main())

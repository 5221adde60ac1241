"""Checking tunes: strict, fast rules on the project's ABC model, then a music21 pass.

    check_tune(tune, music21=True) -> TuneReport     one tune
    check_text(text, source)       -> [TuneReport]   every tune of an ABC text,
                                                     unreadable ones as failures
    check_normal(text)             -> TuneReport     a normalised tune (the model's
                                                     text: no X:, L:1/8 implied)

Strict rules (our own ABC model, milliseconds a tune):

- bar lengths: every bar fits the meter (`timing.bar_problems`: pickups,
  the closing bar of a section that makes up the pickup, `[M:]` changes); a short
  bar before `:|` or `::` must make up the pickup after the point the repeat goes
  back to, as abc2midi joins the two (`A|:...a2:|` fails, `|:A|...a2:|` passes). How
  it compares with abc2midi on the corpus: README "Checking"
  (`scripts/abc2midi_warnings.py --corpus data/corpus`);
- repeats: no `|:` inside an open repeat, no repeat left open at `|]` or the end, no
  `:|` over a section without notes. A `:|` with no `|:` repeats from the last
  section bar line (`||`, `:|`, `::`) or the start, as in printed music and in
  abc2midi: many of the bundled tunes (O'Neill's above all) write the B part
  `...:| B part :|`, so requiring a `|:` there would fail good tunes;
- endings: an ending follows some music of its section; a second ending
  follows a first, which a `:|` closes;
- a bar line at the end;
- range: every sounding pitch (key, inline `K:` and bar accidentals applied)
  within `abc.pitch.PLAYABLE`, G3..A6 (the fiddle's compass; the reason is there);
- length: `MIN_BARS`..`MAX_BARS` bars as written (repeats not expanded, a
  pickup counts as a bar) and at least `MIN_NOTES` notes.

The music21 pass: the tune parses, the key music21 analyses (Krumhansl-Schmuckler,
major or minor only) agrees with `K:`, and its ambitus is reported. A key
relates to `K:` (see `key_relation`) when it is the same key, the relative key
(same signature: music21 cannot name modes, and a minor tune that dwells on its
relative major is common), or, for a modal `K:` (dor, mix, lyd, phr, loc), the
major or minor key on the same tonic. `K:` agrees when music21's first or
second choice relates to it: the first choice alone is often a neighbouring key a
fifth away (E dorian written `K:Em` with C sharps heard as D major; a reel in D
heard in A). `scripts/calibrate_check.py` measures both on the corpus.
"""
from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from pathlib import Path

from folkrnn.abc.keys import Key
from folkrnn.abc.normalise import read_normal
from folkrnn.abc.pitch import PLAYABLE, sounding_pitches
from folkrnn.abc.reader import Tune, file_text, read_text
from folkrnn.abc.symbols import BAR, CHORD, ENDING, NOTE, Sym
from folkrnn.abc.timing import MIN_BARS, SECTION_BARS, bar_problems, bars
from folkrnn.abc.writer import tune_text
from folkrnn.errors import AbcError, AbcWarning, FolkrnnError

MAX_BARS, MIN_NOTES = 200, 8
KEY_CHOICES = 2  # music21's first choices of key, one of which must agree with K:
_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


@dataclass
class TuneReport:
    """The verdict on one tune: `passed` when `reasons` is empty.

    lowest, highest: MIDI numbers from our model; key: `K:` as written;
    analysed_key, relation, ambitus: from music21 (None when it did not run).
    """

    source: str
    label: str
    line: int
    reasons: list[str] = field(default_factory=list)
    bars: int = 0
    notes: int = 0
    lowest: int | None = None
    highest: int | None = None
    key: str = ""
    analysed_key: str | None = None
    relation: str | None = None
    ambitus: str | None = None
    warnings: list[AbcWarning] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict:
        return {"passed": self.passed, **asdict(self)}


def midi_name(midi: int) -> str:
    """Scientific pitch name: 60 -> `C4`."""
    return f"{_NAMES[midi % 12]}{midi // 12 - 1}"


# ---------------------------------------------------------------- strict rules

class _BarNumbers:
    """Maps a symbol index to the number of the bar it lies in (1-based, as `bars` counts)."""

    def __init__(self, syms: list[Sym], tune: Tune, all_bars: list | None = None) -> None:
        self.starts = [b.start for b in (all_bars if all_bars is not None else bars(syms, tune.unit))]

    def at(self, index: int) -> int:
        return max(1, bisect.bisect_right(self.starts, index))


def bar_length_problems(tune: Tune, all_bars: list | None = None) -> list[str]:
    """Bars whose length does not fit the meter (pickup rules of `timing.bar_problems`);
    `all_bars`: the tune's `timing.bars`, when the caller has them."""
    return [msg for _, msg in bar_problems(tune.symbols, tune.unit, tune.meter, all_bars)]


@dataclass
class _Repeats:
    """The state of the repeat/ending walk."""

    open_at: int | None = None  # bar where the open `|:` stands
    music: bool = False  # notes since the section started
    endings: set[int] = field(default_factory=set)  # ending numbers of the current group
    ending_closed: bool = True  # a `:|` since the last ending


def repeat_problems(tune: Tune, all_bars: list | None = None) -> list[str]:
    """Unbalanced repeats and misplaced endings, with bar numbers."""
    syms, numbers = tune.symbols, _BarNumbers(tune.symbols, tune, all_bars)
    st, out = _Repeats(), []
    for i, s in enumerate(syms):
        if s.is_timed:
            st.music = True
        elif s.kind == BAR:
            out += _bar_event(st, s.bar, numbers.at(i), numbers.at(i + 1))
            if s.ending:
                out += _ending_event(st, s.ending, numbers.at(i + 1))
        elif s.kind == ENDING:
            out += _ending_event(st, s.ending, numbers.at(i + 1))
    if st.open_at is not None:
        out.append(f"bar {st.open_at}: the repeat |: is never closed")
    return out


def _bar_event(st: _Repeats, bar: str, n: int, following: int) -> list[str]:
    """Update the walk at a bar line that closes bar `n`; `following` is the next bar."""
    out = []
    if bar in (":|", "::"):
        if not st.music:
            out.append(f"bar {n}: {bar} repeats a section with no notes")
        st.open_at, st.ending_closed = None, True
    if bar == "|]" and st.open_at is not None:
        out.append(f"bar {n}: |] ends the repeat opened at bar {st.open_at} without a :|")
        st.open_at = None
    if bar in ("|:", "::"):
        if st.open_at is not None:
            out.append(f"bar {n}: |: inside the repeat opened at bar {st.open_at}")
        st.open_at = following
    if bar in SECTION_BARS:
        st.music = False
        if bar != ":|":
            st.endings = set()
    return out


def ending_numbers(ending: str) -> set[int]:
    """The passes an ending mark names: `1`, `1,3`, `1-3` -> {1, 2, 3}."""
    nums: set[int] = set()
    for part in ending.split(","):
        lo, _, hi = part.partition("-")
        nums.update(range(int(lo), int(hi or lo) + 1))
    return nums


def _ending_event(st: _Repeats, ending: str, n: int) -> list[str]:
    """Update the walk at an ending mark at the start of bar `n`."""
    nums = ending_numbers(ending)
    first, out = min(nums), []
    if first == 1 and not st.music and not st.endings:
        out.append(f"bar {n}: ending [{ending} with no music before it in its section")
    if first > 1 and first - 1 not in st.endings:
        out.append(f"bar {n}: ending [{ending} with no ending [{first - 1} before it")
    elif first > 1 and not st.ending_closed:
        out.append(f"bar {n}: ending [{ending} follows an ending that no :| closes")
    st.endings |= nums
    st.ending_closed = False
    return out


def final_bar_problems(tune: Tune, all_bars: list | None = None) -> list[str]:
    """A tune must end with a bar line."""
    last = next((s for s in reversed(tune.symbols) if s.is_timed or s.kind == BAR), None)
    if last is None or last.kind == BAR:
        return []
    n = len(all_bars if all_bars is not None else bars(tune.symbols, tune.unit))
    return [f"bar {n}: the tune ends without a bar line"]


def pitches(tune: Tune) -> list[tuple[int, int]]:
    """(symbol index, MIDI number) of every sounding note and chord note, in order."""
    try:
        return sounding_pitches(tune.symbols, tune.key)
    except AbcError as err:  # an inline K: that is no key
        raise AbcError(err.message, tune.source, tune.label, err.line, err.col) from None


def range_problems(tune: Tune, found: list[tuple[int, int]],
                   playable: tuple[int, int] = PLAYABLE, all_bars: list | None = None) -> list[str]:
    """The lowest note below and the highest above `playable`, with their bars."""
    if not found:
        return []
    numbers, out = _BarNumbers(tune.symbols, tune, all_bars), []
    lo_i, lo = min(found, key=lambda p: p[1])
    hi_i, hi = max(found, key=lambda p: p[1])
    span = f"{midi_name(playable[0])}..{midi_name(playable[1])}"
    if lo < playable[0]:
        out.append(f"bar {numbers.at(lo_i)}: {midi_name(lo)} is below the playable range {span}")
    if hi > playable[1]:
        out.append(f"bar {numbers.at(hi_i)}: {midi_name(hi)} is above the playable range {span}")
    return out


def length_problems(n_bars: int, n_notes: int) -> list[str]:
    """Too few or too many bars, too few notes."""
    out = []
    if n_bars < MIN_BARS:
        out.append(f"only {n_bars} bars (at least {MIN_BARS})")
    elif n_bars > MAX_BARS:
        out.append(f"{n_bars} bars (at most {MAX_BARS})")
    if n_notes < MIN_NOTES:
        out.append(f"only {n_notes} notes (at least {MIN_NOTES})")
    return out


def strict_check(tune: Tune, report: TuneReport, playable: tuple[int, int] = PLAYABLE) -> None:
    """Run the strict rules; fills `report`."""
    found = pitches(tune)
    all_bars = bars(tune.symbols, tune.unit)  # once: every rule below reads them
    report.bars = len(all_bars)
    report.notes = sum(1 for s in tune.symbols if s.kind in (NOTE, CHORD))
    if found:
        report.lowest, report.highest = min(p for _, p in found), max(p for _, p in found)
    report.reasons += bar_length_problems(tune, all_bars)
    report.reasons += repeat_problems(tune, all_bars)
    report.reasons += final_bar_problems(tune, all_bars)
    report.reasons += range_problems(tune, found, playable, all_bars)
    report.reasons += length_problems(report.bars, report.notes)


# ---------------------------------------------------------------- music21 pass

_MODAL = {"dor", "mix", "lyd", "phr", "loc"}


def key_relation(key: Key, tonic_pc: int, mode: str, sharps: int) -> str | None:
    """How one music21 key (tonic pitch class, `major`/`minor`, signature) relates to `K:`.

    Returns `same`, `tonic` (same tonic, other mode: tolerated for modal keys only),
    `relative` (same signature, other tonic), or None when they disagree.
    """
    same_tonic = tonic_pc == key.tonic_semitone
    k_mode = {"maj": "major", "min": "minor"}.get(key.mode)
    if same_tonic and (k_mode == mode or key.mode in _MODAL):
        return "same" if k_mode == mode else "tonic"
    if sharps == key.fifths:
        return "relative"
    return None


def agreeing_key(key: Key, analysed) -> str | None:
    """The relation of `K:` to music21's first or second choice of key (`KEY_CHOICES`),
    e.g. `same` or `relative (choice 2)`; None when neither relates."""
    choices = [analysed, *analysed.alternateInterpretations][:KEY_CHOICES]
    for n, k in enumerate(choices):
        relation = key_relation(key, k.tonic.pitchClass, k.mode, k.sharps)
        if relation:
            return relation + (f" (choice {n + 1})" if n else "")
    return None


def music21_check(tune: Tune, report: TuneReport) -> None:
    """Parse with music21, compare its key with `K:`, record the ambitus; fills `report`."""
    from music21 import converter  # slow to import; only when asked

    try:
        score = converter.parse(tune_text(tune), format="abc")
        analysed = score.analyze("key")
        ambitus = score.analyze("ambitus")
    # music21 raises many unrelated exception types on input it cannot read
    except Exception as err:  # noqa: BLE001
        report.reasons.append(f"music21 cannot read the tune: {type(err).__name__}: {err}"[:200])
        return
    report.analysed_key = f"{analysed.tonic.name.replace('-', 'b')} {analysed.mode}"
    if ambitus is not None:
        report.ambitus = f"{ambitus.noteStart.nameWithOctave}..{ambitus.noteEnd.nameWithOctave}"
    if tune.key.explicit_only:  # `K:none` and the like: no key to compare
        return
    report.relation = agreeing_key(tune.key, analysed)
    if report.relation is None:
        report.reasons.append(f"music21 hears {report.analysed_key}, "
                              f"which K:{tune.get('K', '').strip()} does not match")


# ---------------------------------------------------------------- entry points

def check_tune(tune: Tune, music21: bool = True,
               playable: tuple[int, int] = PLAYABLE) -> TuneReport:
    """Check one tune: the strict rules, then (unless `music21=False`) the music21 pass."""
    report = TuneReport(tune.source, tune.label, tune.line, key=tune.get("K", "").strip(),
                        warnings=list(tune.warnings))
    try:
        strict_check(tune, report, playable)
    except FolkrnnError as err:  # a bad inline field or the like
        report.reasons.append(str(err))
        return report
    if music21:
        music21_check(tune, report)
    return report


def error_report(err: AbcError) -> TuneReport:
    """A failing report for a tune that could not be read."""
    label = err.tune or f"at line {err.line}"
    where = f"{err.source}:{err.line}:{err.col}: " if err.line else ""
    return TuneReport(err.source, label, err.line, reasons=[f"unreadable: {where}{err.message}"])


def check_text(text: str, source: str = "<string>", music21: bool = True,
               playable: tuple[int, int] = PLAYABLE) -> list[TuneReport]:
    """Check every tune of an ABC text; unreadable tunes are failing reports, in file order."""
    read = read_text(text, source)
    reports = [check_tune(t, music21, playable) for t in read.tunes]
    reports += [error_report(e) for e in read.errors]
    return sorted(reports, key=lambda r: r.line)


def check_normal(text: str, source: str = "<normalised>", music21: bool = True,
                 playable: tuple[int, int] = PLAYABLE) -> TuneReport:
    """Check a normalised tune (`T:`, `M:`, `K:` lines and a body; `L:1/8` implied)."""
    try:
        tune = read_normal(text, source)
    except AbcError as err:
        return error_report(err)
    except FolkrnnError as err:  # Unrepresentable: no K: line
        return TuneReport(source, "", 0, reasons=[f"unreadable: {err}"])
    return check_tune(tune, music21, playable)


def check(abc: str | Path, music21: bool = True) -> list[TuneReport]:
    """Check every tune of ABC text, or of an ABC file when given a Path; see `check_text`."""
    if isinstance(abc, Path):
        return check_text(file_text(abc), str(abc), music21)
    return check_text(abc, music21=music21)

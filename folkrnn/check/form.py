"""The musical measure: folk form, cadences, repetition and note distributions of tunes,
beside those of the corpus's test split (`folkrnn measure`). No torch, no music21.

    figures = measure_tune(tune)            one tune (TuneFigures)
    summary = measure_abc([text, ...])      ABC texts (a generated tune's, a file's): Summary
    test = split_summary(corpus, "test")    a prepared corpus's split (normalised texts)
    compare(summary, test)                  overlap and KL of each distribution

Counting rules (how sections, pickups, endings and repeats are read is `abc.sections`'s):

- every section 4, 8 or 16 bars: each section of the tune counts 4, 8 or 16 bars (pickup
  left out, the last ending in place of the others); a share of the tunes;
- AABB of 8-bar parts: the form as played is AABB (two sections, each repeated by repeat
  signs) and both count 8 bars; a share of the tunes;
- sections ending on the tonic: the section's last sounding note (a chord's highest) has
  the pitch class of `K:`'s tonic (mode aware: A dorian's is A, through `abc.keys`); a
  share of all sections with a note, pooled over the tunes. Tunes ending on the tonic: the
  tune's last sounding note; a share of the tunes. A tune in `K:none` counts in neither;
- bars repeating an earlier bar: a written bar (`timing.bars`, nothing expanded: pickups
  and every ending included) whose notes and rests, in order, have the same sounding
  pitches and lengths as an earlier bar of the same tune; a share of all bars, pooled;
- halves of 8-bar parts alike: in each section of 8 counted bars, the share of bars 5..8
  equal (as above) to the bar four before (5 to 1, 6 to 2, ...), pooled over the sections;
- distributions (`check.distributions`, their bins): the pitch class above the tonic (C in
  `K:none`) of every melody note (a chord's highest), the intervals between consecutive melody notes
  (across rests and bar lines), the lengths of notes and chords (not rests) in quavers,
  and each tune's range (highest minus lowest melody note); pooled over the tunes.

A tune that cannot be read (an empty text, an `AbcError`) is counted as unreadable and
measured as nothing: every share is of the tunes that could be read.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from statistics import mean
from typing import Iterable, Sequence

from folkrnn.abc.normalise import read_normal
from folkrnn.abc.reader import Tune, read_text
from folkrnn.abc.sections import FREE, bar_contents, form, melody, sections
from folkrnn.abc.symbols import CHORD, NOTE
from folkrnn.abc.timing import durations
from folkrnn.check.distributions import DISTRIBUTIONS, Histogram, histogram, kl_divergence, overlap
from folkrnn.corpus.prepare import load_prepared
from folkrnn.errors import AbcError, FolkrnnError

STANDARD_LENGTHS = (4, 8, 16)  # the bars a folk tune's part has
QUAVER = Fraction(1, 8)  # the unit of note lengths
TOP_FORMS = 8  # the commonest forms a Summary lists

# (key, label, a share?) of each figure, in the order the table prints them
FIGURES = (
    ("sections_4_8_16", "every section 4, 8 or 16 bars", True),
    ("aabb_8", "AABB of 8-bar parts", True),
    ("free_form", "one section played once (free)", True),
    ("bars_repeating", "bars repeating an earlier bar", True),
    ("halves_alike", "8-bar parts: bars 5-8 equal to 1-4", True),
    ("sections_on_tonic", "sections ending on the tonic", True),
    ("tunes_on_tonic", "tunes ending on the tonic", True),
    ("sections_per_tune", "sections per tune (mean)", False),
    ("bars_per_section", "bars per section (mean)", False),
    ("range", "range in semitones (mean)", False),
)


@dataclass(frozen=True)
class TuneFigures:
    """What one tune contributes to the measure (see the module's rules)."""

    lengths: tuple[int, ...]  # counted bars of each section
    form: str
    cadences: tuple[bool, ...]  # each section with a note: it ends on the tonic
    ends_on_tonic: bool | None  # None: no note, or no key
    bars: int  # written bars
    repeating_bars: int  # written bars equal to an earlier one
    halves: tuple[int, ...]  # each 8-bar section: how many of bars 5..8 equal bars 1..4
    pitch_classes: tuple[int, ...]
    intervals: tuple[int, ...]
    note_lengths: tuple[Fraction, ...]  # in quavers
    range: int | None

    @property
    def standard_sections(self) -> bool:
        return bool(self.lengths) and all(n in STANDARD_LENGTHS for n in self.lengths)

    @property
    def aabb_8(self) -> bool:
        return self.form == "AABB" and self.lengths == (8, 8)


def measure_tune(tune: Tune) -> TuneFigures:
    """The figures of one tune.

    Raises:
        AbcError: an inline `K:` that is no key.
    """
    secs, contents = sections(tune), bar_contents(tune)
    notes = [midi for _, midi in melody(tune)]
    tonic = None if tune.key.explicit_only else tune.key.tonic_semitone
    cadences = () if tonic is None else tuple(
        s.last_pitch % 12 == tonic for s in secs if s.last_pitch is not None)
    halves = tuple(sum(contents[a] == contents[b] for a, b in zip(s.counted[:4], s.counted[4:]))
                   for s in secs if s.length == 8)
    lengths = durations(tune.symbols, tune.unit)
    return TuneFigures(
        lengths=tuple(s.length for s in secs), form=form(secs), cadences=cadences,
        ends_on_tonic=None if tonic is None or not notes else notes[-1] % 12 == tonic,
        bars=len(contents), repeating_bars=_repeats(contents), halves=halves,
        pitch_classes=tuple((m - (tonic or 0)) % 12 for m in notes),
        intervals=tuple(b - a for a, b in zip(notes, notes[1:])),
        note_lengths=tuple(d / QUAVER for s, d in zip(tune.symbols, lengths) if s.kind in (NOTE, CHORD)),
        range=max(notes) - min(notes) if notes else None)


def _repeats(contents: Sequence[object]) -> int:
    """How many items equal an earlier one."""
    seen: set = set()
    count = 0
    for c in contents:
        count += c in seen
        seen.add(c)
    return count


@dataclass(frozen=True)
class Summary:
    """The measure of many tunes: `figures` by the keys of FIGURES (None: nothing to count),
    the commonest forms, and a histogram of each distribution."""

    tunes: int  # measured (readable)
    unreadable: int
    figures: dict[str, float | None]
    forms: dict[str, int]
    histograms: dict[str, Histogram]

    def to_dict(self) -> dict:
        return asdict(self)


def _share(flags: Iterable[bool]) -> float | None:
    flags = list(flags)
    return sum(flags) / len(flags) if flags else None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return float(mean(values)) if values else None  # a mean of ints may come back an int


def summarise(tunes: Sequence[TuneFigures], unreadable: int = 0) -> Summary:
    """The Summary of the figures of many tunes."""
    figures = {
        "sections_4_8_16": _share(t.standard_sections for t in tunes),
        "aabb_8": _share(t.aabb_8 for t in tunes),
        "free_form": _share(t.form == FREE for t in tunes),
        "bars_repeating": _ratio(sum(t.repeating_bars for t in tunes), sum(t.bars for t in tunes)),
        "halves_alike": _ratio(sum(sum(t.halves) for t in tunes), 4 * sum(len(t.halves) for t in tunes)),
        "sections_on_tonic": _share(c for t in tunes for c in t.cadences),
        "tunes_on_tonic": _share(t.ends_on_tonic for t in tunes if t.ends_on_tonic is not None),
        "sections_per_tune": _mean(len(t.lengths) for t in tunes),
        "bars_per_section": _mean(n for t in tunes for n in t.lengths),
        "range": _mean(t.range for t in tunes if t.range is not None),
    }
    forms: dict[str, int] = {}
    for t in tunes:
        forms[t.form] = forms.get(t.form, 0) + 1
    top = dict(sorted(forms.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FORMS])
    return Summary(len(tunes), unreadable, figures, top, _histograms(tunes))


def _histograms(tunes: Sequence[TuneFigures]) -> dict[str, Histogram]:
    values = {  # by the name of each of DISTRIBUTIONS' bins
        "pitch_class": lambda: (v for t in tunes for v in t.pitch_classes),
        "interval": lambda: (v for t in tunes for v in t.intervals),
        "note_length": lambda: (v for t in tunes for v in t.note_lengths),
        "range": lambda: (t.range for t in tunes if t.range is not None),
    }
    return {bins.name: histogram(bins, values[bins.name]()) for bins in DISTRIBUTIONS}


def compare(measured: Summary, test: Summary) -> dict[str, dict[str, float | None]]:
    """Each distribution's overlap with the test split's, and KL(measured || test) in nats;
    None for a distribution with nothing in it on either side."""
    out: dict[str, dict[str, float | None]] = {}
    for name, h in measured.histograms.items():
        other = test.histograms[name]
        empty = not sum(h.values()) or not sum(other.values())
        out[name] = {"overlap": None if empty else overlap(h, other),
                     "kl": None if empty else kl_divergence(h, other)}
    return out


def measure_tunes(tunes: Iterable[Tune], unreadable: int = 0) -> Summary:
    """The Summary of read tunes; one whose figures cannot be taken counts as unreadable."""
    figures = []
    for tune in tunes:
        try:
            figures.append(measure_tune(tune))
        except AbcError:
            unreadable += 1
    return summarise(figures, unreadable)


def measure_abc(texts: Iterable[str], source: str = "<abc>", empty_is_none: bool = False) -> Summary:
    """The Summary of ABC texts, each of any number of tunes; an empty text is one
    unreadable tune (a generated tune that could not be written) unless `empty_is_none`."""
    tunes: list[Tune] = []
    unreadable = 0
    for text in texts:
        if not text.strip():
            unreadable += not empty_is_none
            continue
        read = read_text(text, source)
        tunes += read.tunes
        unreadable += len(read.errors)
    return measure_tunes(tunes, unreadable)


def measure_normal(texts: Iterable[str]) -> Summary:
    """The Summary of normalised texts (the corpus's records)."""
    tunes: list[Tune] = []
    unreadable = 0
    for text in texts:
        try:
            tunes.append(read_normal(text))
        except FolkrnnError:
            unreadable += 1
    return measure_tunes(tunes, unreadable)


def split_summary(corpus_dir: str | Path, split: str = "test") -> Summary:
    """The Summary of one split of a prepared corpus (see `read_split`)."""
    return measure_normal(read_split(corpus_dir, split))


def read_split(corpus_dir: str | Path, split: str = "test") -> list[str]:
    """The normalised texts of one split of a prepared corpus.

    Raises:
        FolkrnnError: no prepared corpus there, or none of its tunes in `split`.
    """
    # the records as `train.setup.split_texts` reads them; that module loads torch
    texts = [r["text"] for r in load_prepared(corpus_dir) if r["split"] == split]
    if not texts:
        raise FolkrnnError(f"the corpus at {corpus_dir} has no {split!r} tunes")
    return texts

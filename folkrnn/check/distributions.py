"""Histograms of musical values on fixed bins, and how alike two of them are.

    hist = histogram(PITCH_CLASS, values)       bin label -> count, every bin present
    overlap(a, b)                               sum over bins of min(share in a, share in b):
                                                1 for the same shape, 0 for disjoint ones
    kl_divergence(a, b)                         KL(a || b) in nats, add-one smoothed

Bins (each a `Bins`: labels in order and the rule that puts a value in one):

- `PITCH_CLASS`: semitones above the tonic, 0..11;
- `INTERVAL`: melodic steps in semitones, clipped to -12..12;
- `NOTE_LENGTH`: in quavers (L:1/8 = 1, after broken rhythm and tuplets: a triplet quaver
  is 2/3), the eleven common values 1/4..6 and `other`;
- `RANGE`: highest minus lowest note of a tune in semitones, clipped to 8..32.

KL is smoothed by adding one to every bin's count of both histograms (Laplace), so a bin
one side lacks gives a large but finite divergence; it is 0 only for equal histograms.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable, Mapping

Histogram = dict[str, int]
SMOOTHING = 1.0  # added to every bin's count before KL


@dataclass(frozen=True)
class Bins:
    """A distribution's name, its bin labels in order, and the label of a value."""

    name: str
    title: str
    labels: tuple[str, ...]
    label: Callable[[object], str]


def _clipped(lo: int, hi: int) -> tuple[tuple[str, ...], Callable[[object], str]]:
    """Labels lo..hi, the ends `≤lo` and `≥hi`, and the label of a value (clipped to them)."""
    labels = (f"≤{lo}", *(str(v) for v in range(lo + 1, hi)), f"≥{hi}")
    return labels, lambda v: labels[min(hi, max(lo, int(v))) - lo]


_LENGTHS = tuple(Fraction(x) for x in ("1/4", "1/3", "1/2", "2/3", "3/4", "1", "3/2", "2", "3", "4", "6"))


def _length_label(v: object) -> str:
    return str(v) if v in _LENGTHS else "other"


PITCH_CLASS = Bins("pitch_class", "pitch class (semitones above the tonic)",
                   tuple(str(v) for v in range(12)), lambda v: str(int(v) % 12))
INTERVAL = Bins("interval", "melodic interval (semitones, clipped to ±12)", *_clipped(-12, 12))
NOTE_LENGTH = Bins("note_length", "note length (quavers)",
                   tuple(str(v) for v in _LENGTHS) + ("other",), _length_label)
RANGE = Bins("range", "range of a tune (semitones, clipped to 8..32)", *_clipped(8, 32))
DISTRIBUTIONS = (PITCH_CLASS, INTERVAL, NOTE_LENGTH, RANGE)


def histogram(bins: Bins, values: Iterable[object]) -> Histogram:
    """Counts of `values` in `bins`, every bin present, in the bins' order."""
    counts = dict.fromkeys(bins.labels, 0)
    for v in values:
        counts[bins.label(v)] += 1
    return counts


def shares(hist: Mapping[str, int], add: float = 0.0) -> dict[str, float]:
    """Each bin's share of the total (after adding `add` to every bin); all 0 when empty."""
    total = sum(hist.values()) + add * len(hist)
    return {k: (v + add) / total if total else 0.0 for k, v in hist.items()}


def overlap(a: Mapping[str, int], b: Mapping[str, int]) -> float:
    """Sum over bins of the smaller share: 1 for histograms of the same shape, 0 for disjoint."""
    pa, pb = shares(a), shares(b)
    return sum(min(pa[k], pb.get(k, 0.0)) for k in pa)


def kl_divergence(a: Mapping[str, int], b: Mapping[str, int], add: float = SMOOTHING) -> float:
    """KL(a || b) in nats, each count smoothed by `add` (the two must share their bins)."""
    pa, pb = shares(a, add), shares(b, add)
    return sum(p * math.log(p / pb[k]) for k, p in pa.items() if p > 0)

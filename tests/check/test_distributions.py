"""Histograms on fixed bins, their overlap and KL divergence."""
from fractions import Fraction as F

import pytest

from folkrnn.check.distributions import (
    INTERVAL,
    NOTE_LENGTH,
    PITCH_CLASS,
    RANGE,
    histogram,
    kl_divergence,
    overlap,
)


def test_values_fall_in_their_bins_and_clip_at_the_ends():
    assert histogram(INTERVAL, [-20, -12, 0, 3, 13])["≤-12"] == 2
    assert histogram(INTERVAL, [13])["≥12"] == 1
    assert histogram(RANGE, [5, 17, 40]) == {**dict.fromkeys(RANGE.labels, 0), "≤8": 1, "17": 1, "≥32": 1}
    h = histogram(NOTE_LENGTH, [F(1), F(2, 3), F(7, 4)])
    assert (h["1"], h["2/3"], h["other"]) == (1, 1, 1)
    assert list(histogram(PITCH_CLASS, [14])) == [str(v) for v in range(12)]


def test_the_overlap_of_histograms_of_the_same_shape_is_1():
    assert overlap({"a": 2, "b": 6}, {"a": 1, "b": 3}) == pytest.approx(1.0)


def test_the_overlap_of_different_histograms_is_below_1():
    assert overlap({"a": 1, "b": 1}, {"a": 3, "b": 1}) == pytest.approx(0.75)
    assert overlap({"a": 1, "b": 0}, {"a": 0, "b": 1}) == 0.0


def test_kl_is_0_for_the_same_histogram_and_positive_otherwise():
    assert kl_divergence({"a": 5, "b": 3}, {"a": 5, "b": 3}) == pytest.approx(0.0)
    assert kl_divergence({"a": 5, "b": 0}, {"a": 0, "b": 5}) > 0.5  # smoothed: finite


@pytest.mark.parametrize("a,b", [({"a": 1, "b": 9, "c": 0}, {"a": 4, "b": 4, "c": 4}),
                                 ({"a": 0, "b": 0, "c": 7}, {"a": 100, "b": 2, "c": 0}),
                                 ({"a": 0, "b": 0, "c": 0}, {"a": 1, "b": 2, "c": 3})])
def test_kl_is_never_negative(a, b):
    assert kl_divergence(a, b) >= 0 and kl_divergence(b, a) >= 0

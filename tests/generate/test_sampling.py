"""Sampling strategies as functions over logits."""

import pytest
import torch

from folkrnn.generate.sampling import SamplingOptions, choose, masked, top_k, top_p, tune_generator

LOGITS = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))


def test_top_k_keeps_the_k_largest():
    kept = torch.isfinite(top_k(LOGITS, 2))
    assert kept.tolist() == [[True, True, False, False]]


def test_top_p_keeps_the_nucleus():
    assert torch.isfinite(top_p(LOGITS, 0.7)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(top_p(LOGITS, 0.5)).tolist() == [[True, False, False, False]]
    assert torch.isfinite(top_p(LOGITS, 1.0)).all()


def test_greedy_is_argmax_and_mask_applies():
    assert choose(LOGITS, SamplingOptions(greedy=True), []).tolist() == [0]
    allowed = torch.tensor([[False, False, True, True]])
    assert choose(masked(LOGITS, allowed), SamplingOptions(greedy=True), []).tolist() == [2]


def test_sampling_follows_the_distribution():
    g = tune_generator(0, 0)
    draws = [choose(LOGITS, SamplingOptions(), [g]).item() for _ in range(4000)]
    assert abs(draws.count(0) / 4000 - 0.5) < 0.03 and abs(draws.count(3) / 4000 - 0.05) < 0.015


def test_low_temperature_sharpens():
    g = tune_generator(1, 0)
    draws = [choose(LOGITS, SamplingOptions(temperature=0.1), [g]).item() for _ in range(500)]
    assert draws.count(0) > 490


def test_draws_do_not_depend_on_the_batch():
    logits = torch.randn(5, 30, generator=torch.Generator().manual_seed(0))
    opts = SamplingOptions(temperature=0.9, top_k=10, top_p=0.95)
    together = choose(logits, opts, [tune_generator(7, i) for i in range(5)])
    alone = [choose(logits[i:i + 1], opts, [tune_generator(7, i)]).item() for i in range(5)]
    assert together.tolist() == alone


def test_masked_tokens_are_never_drawn():
    allowed = torch.tensor([[False, True, False, True]])
    g = tune_generator(3, 0)
    assert {choose(masked(LOGITS, allowed), SamplingOptions(), [g]).item() for _ in range(300)} == {1, 3}


@pytest.mark.parametrize("kw", [{"temperature": 0}, {"top_p": 0}, {"top_k": -1}])
def test_bad_options(kw):
    with pytest.raises(ValueError):
        SamplingOptions(**kw)

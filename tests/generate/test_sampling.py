"""Sampling strategies as functions over logits."""

import pytest
import torch

from folkrnn.generate.sampling import Draws, SamplingOptions, choose, masked, top_k, top_p

LOGITS = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))


def test_top_k_keeps_the_k_largest():
    kept = torch.isfinite(top_k(LOGITS, 2))
    assert kept.tolist() == [[True, True, False, False]]


def test_top_p_keeps_the_nucleus():
    assert torch.isfinite(top_p(LOGITS, 0.7)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(top_p(LOGITS, 0.5)).tolist() == [[True, False, False, False]]
    assert torch.isfinite(top_p(LOGITS, 1.0)).all()


def test_greedy_is_argmax_and_mask_applies():
    assert choose(LOGITS, SamplingOptions(greedy=True), None).tolist() == [0]
    allowed = torch.tensor([[False, False, True, True]])
    assert choose(masked(LOGITS, allowed), SamplingOptions(greedy=True), None).tolist() == [2]


def uniforms(seed: int, count: int) -> list[torch.Tensor]:
    """One tune's draws at steps 0 .. count - 1, each as a batch of one."""
    d = Draws(seed, [0])
    return [d.uniform([0], [t]) for t in range(count)]


def test_sampling_follows_the_distribution():
    draws = [choose(LOGITS, SamplingOptions(), u).item() for u in uniforms(0, 4000)]
    assert abs(draws.count(0) / 4000 - 0.5) < 0.03 and abs(draws.count(3) / 4000 - 0.05) < 0.015


def test_low_temperature_sharpens():
    draws = [choose(LOGITS, SamplingOptions(temperature=0.1), u).item() for u in uniforms(1, 500)]
    assert draws.count(0) > 490


def test_draws_do_not_depend_on_the_batch():
    logits = torch.randn(5, 30, generator=torch.Generator().manual_seed(0))
    opts = SamplingOptions(temperature=0.9, top_k=10, top_p=0.95)
    draws = Draws(7, [10, 11, 12, 13, 14])
    together = choose(logits, opts, draws.uniform([0, 1, 2, 3, 4], [3] * 5))
    alone = [choose(logits[i:i + 1], opts, Draws(7, [10 + i]).uniform([0], [3])).item()
             for i in range(5)]
    assert together.tolist() == alone


def test_a_draw_is_a_function_of_seed_tune_and_step_alone():
    d = Draws(5, [0, 1, 2, 3])
    u = d.uniform([3, 1, 0, 2, 1], [7, 7, 7, 0, 8])
    assert u.tolist() == [Draws(5, [k]).uniform([0], [t]).item()
                          for k, t in ((3, 7), (1, 7), (0, 7), (2, 0), (1, 8))]
    assert len(set(u.tolist())) == 5 and Draws(6, [3]).uniform([0], [7]).item() != u[0].item()
    steps = [t for t in range(50) for _ in range(200)]
    many = Draws(1, list(range(200))).uniform(list(range(200)) * 50, steps)
    assert 0 <= many.min() and many.max() < 1 and abs(many.mean().item() - 0.5) < 0.01


def test_masked_tokens_are_never_drawn():
    allowed = torch.tensor([[False, True, False, True]])
    assert {choose(masked(LOGITS, allowed), SamplingOptions(), u).item()
            for u in uniforms(3, 300)} == {1, 3}


@pytest.mark.parametrize("kw", [{"temperature": 0}, {"top_p": 0}, {"top_k": -1}])
def test_bad_options(kw):
    with pytest.raises(ValueError):
        SamplingOptions(**kw)

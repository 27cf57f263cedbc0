"""The truncated prior of sequential rounds: its threshold, its acceptance (the effective prior
volume), its samples, and its refusal of a region too small to sample."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
from support.inference import ShiftedGaussian

from cosmossl.errors import DataError, TruncationError
from cosmossl.inference import BoxPrior, TruncatedPrior
from cosmossl.inference.truncation import hpd_threshold

BOX = BoxPrior([-1.0, -1.0], [1.0, 1.0], ("a", "b"))


def disc(radius: float):
    return lambda theta: theta.norm(dim=-1) < radius


def test_the_threshold_is_the_epsilon_quantile_of_the_log_densities_as_in_sbi():
    values = torch.arange(1000, dtype=torch.float32).flip(0)
    assert hpd_threshold(values, 0.01) == 10.0  # the 10th smallest (0-based), sbi's convention


def test_the_threshold_refuses_too_few_samples_for_epsilon():
    with pytest.raises(DataError, match=r"500 posterior samples cannot resolve epsilon 0.001 "
                                        r"\(need at least 1000\)"):  # fmt: skip
        hpd_threshold(torch.zeros(500), 1e-3)


def test_the_threshold_refuses_nan_log_densities():
    values = torch.zeros(1000)
    values[3] = math.nan
    with pytest.raises(DataError, match="NaN log densities"):
        hpd_threshold(values, 0.01)


def test_acceptance_is_the_region_share_of_the_prior_box():
    region = TruncatedPrior(BOX, disc(0.5), epsilon=1e-4)
    stats = region.measure(100_000, seed=0)
    share = math.pi * 0.25 / 4.0
    assert stats.acceptance == pytest.approx(share, abs=4 * stats.acceptance_error)
    assert stats.volume == pytest.approx(4.0 * stats.acceptance)
    assert stats.prior_draws == 100_000
    assert stats.low == pytest.approx((-0.5, -0.5), abs=0.01)
    assert stats.high == pytest.approx((0.5, 0.5), abs=0.01)


def test_samples_lie_in_the_region_and_fill_it_uniformly():
    theta, stats = TruncatedPrior(BOX, disc(0.5), epsilon=1e-4).sample(4000, seed=1)
    radius = theta.norm(dim=-1)
    assert theta.shape == (4000, 2) and bool((radius < 0.5).all())
    # Uniform in a disc: P(r < 0.5 · sqrt(1/2)) = 1/2.
    assert float((radius < 0.5 * math.sqrt(0.5)).float().mean()) == pytest.approx(0.5, abs=0.03)
    assert stats.prior_draws > 4000 / (math.pi / 16)  # rejection drew more than it kept


def test_sampling_is_deterministic_for_a_seed_and_restores_the_global_rng():
    region = TruncatedPrior(BOX, disc(0.5), epsilon=1e-4)
    torch.manual_seed(7)
    expected_next = torch.rand(1)
    torch.manual_seed(7)
    first, _ = region.sample(100, seed=3)
    assert torch.equal(torch.rand(1), expected_next)
    second, _ = region.sample(100, seed=3)
    assert torch.equal(first, second)


def test_a_region_that_accepts_nothing_is_refused_at_once_with_the_numbers():
    region = TruncatedPrior(BOX, disc(1e-6), epsilon=1e-4)
    start = time.perf_counter()
    with pytest.raises(TruncationError) as caught:
        region.sample(500, probe=20_000)
    assert time.perf_counter() - start < 5
    message = str(caught.value)
    assert "the truncated prior (the posterior's 99.9900% highest-probability region)" in message
    assert "accepted 0 of 20000 prior draws (acceptance 0.00e+00)" in message
    assert "500 points would need unboundedly many prior draws" in message
    assert "narrow the prior, or use fewer simulations per round" in message
    assert caught.value.acceptance == 0.0 and caught.value.needed == 500


def test_a_region_too_small_for_the_draw_budget_is_refused_before_sampling():
    calls = []

    def accept(theta):
        calls.append(len(theta))
        return theta.norm(dim=-1) < 0.02  # share π·0.0004/4 ≈ 3.1e-4

    expected = r"1000 points would need ~3\.\d+e\+06 prior draws, more than the limit of 1000000"
    with pytest.raises(TruncationError, match=expected):
        TruncatedPrior(BOX, accept, epsilon=1e-4).sample(1000, probe=50_000, max_draws=1_000_000)
    assert sum(calls) == 50_000  # the probe only


def test_a_backend_sampler_is_used_after_the_acceptance_check():
    drawn = []

    def draw(n):
        drawn.append(n)
        return torch.zeros(n, 2)

    region = TruncatedPrior(BOX, disc(0.5), epsilon=1e-4, draw=draw)
    theta, stats = region.sample(10, seed=0, probe=1000)
    assert drawn == [10] and torch.equal(theta, torch.zeros(10, 2))
    assert stats.prior_draws == 1000


def test_a_posterior_truncation_keeps_its_one_minus_epsilon_region():
    """q = N(x, 0.1² I) at the box centre: the 1 − ε region is the disc r² = −2σ² ln ε."""
    posterior = ShiftedGaussian()
    region = posterior.truncated_prior(torch.zeros(3), 0.01, samples=100_000, seed=0)
    stats = region.measure(100_000, seed=1)
    share = math.pi * (-2 * 0.01 * math.log(0.01)) / 4.0
    assert stats.acceptance == pytest.approx(share, rel=0.05)
    assert stats.threshold == pytest.approx(
        float(torch.distributions.Normal(0.0, 0.1).log_prob(torch.tensor(0.0)) * 2)
        + math.log(0.01), abs=0.05,
    )  # fmt: skip
    theta, _ = region.sample(1000, seed=2)
    assert float(theta.norm(dim=-1).max()) < math.sqrt(-2 * 0.01 * math.log(0.01)) * 1.02


def test_a_posterior_truncates_one_observation_only():
    with pytest.raises(DataError, match=r"truncated_prior takes one observation x \[D\] or "
                                        r"\[1, D\], got 2 rows \(2, 3\)"):  # fmt: skip
        ShiftedGaussian().truncated_prior(torch.zeros(2, 3))


@pytest.mark.parametrize("epsilon", [0.0, 1.0, -0.1])
def test_a_posterior_truncation_refuses_epsilon_outside_zero_one(epsilon):
    with pytest.raises(DataError, match=f"epsilon must be in \\(0, 1\\), got {epsilon}"):
        ShiftedGaussian().truncated_prior(torch.zeros(3), epsilon)


def test_truncation_statistics_survive_a_json_round_trip():
    stats = TruncatedPrior(BOX, disc(0.5), epsilon=1e-3).measure(1000)
    again = type(stats).from_dict(stats.to_dict())
    assert again == stats and np.isfinite(again.volume)

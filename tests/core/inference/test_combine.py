"""The posterior of N independent maps as the product of single-map posteriors."""

from __future__ import annotations

import numpy as np
import pytest
from support.inference import ShiftedGaussian

from cosmossl.inference.combine import INDEPENDENCE, pareto_khat, sample_product


def _centres(n, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal([0.2, -0.1], 0.1, size=(n, 2))
    return np.concatenate([centres, np.zeros((n, 1))], axis=1).astype(np.float32)


def test_the_product_of_gaussian_posteriors_has_the_precision_weighted_mean_and_width():
    # q(θ | x_i) = N(x_i, σ²): the product of 8 is N(mean of x_i, σ² / 8) (flat prior).
    x = _centres(8)
    result = sample_product(ShiftedGaussian(), x, 4000, seed=1, proposals=20000)
    sigma = ShiftedGaussian.sigma / np.sqrt(8)
    assert result.samples.shape == (4000, 2)
    np.testing.assert_allclose(result.samples.mean(0), x[:, :2].mean(0), atol=0.1 * sigma)
    np.testing.assert_allclose(result.samples.std(0), sigma, rtol=0.06)


def test_the_sampler_reports_its_checks_and_the_assumption():
    result = sample_product(ShiftedGaussian(), _centres(4), 500, seed=0, proposals=5000)
    d = result.diagnostics
    assert result.converged and d["converged"] is True
    assert d["importance_ess"] >= d["min_ess"] == 250
    assert d["pareto_khat"] < d["max_khat"] == 0.7
    assert 0.1 < d["acceptance"] < 0.9
    assert d["maps"] == 4 and d["assumption"] == INDEPENDENCE


def test_samples_are_reproducible_and_inside_the_prior():
    posterior = ShiftedGaussian()
    x = _centres(3) + np.array([0.75, 0.0, 0.0], np.float32)  # near the upper edge of a
    first = sample_product(posterior, x, 300, seed=4, proposals=3000).samples
    again = sample_product(posterior, x, 300, seed=4, proposals=3000).samples
    np.testing.assert_array_equal(first, again)
    assert (first[:, 0] <= 1.0).all() and (first >= -1.0).all()


def test_pareto_khat_tells_light_from_heavy_weight_tails():
    rng = np.random.default_rng(0)
    assert pareto_khat(rng.normal(size=20000) * 0.1) < 0.5  # nearly equal weights
    heavy = np.log(rng.pareto(1.2, size=20000) + 1.0)  # weights with a tail index of 1/1.2
    assert pareto_khat(heavy) == pytest.approx(1 / 1.2, abs=0.15)

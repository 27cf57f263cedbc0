"""The differentiable Gaussian Fisher matrix: the maths shared by the information check and the
information-maximising losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cosmossl.information import fisher as check
from cosmossl.nn.fisher import STENCILS, gaussian_fisher, stencil_derivatives


def _inputs(seed: int = 0, n: int = 30, m: int = 12, dim: int = 4, p: int = 2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)), rng.normal(size=(p, m, dim)) + rng.normal(size=(p, 1, dim))


def test_fisher_is_the_mean_derivative_through_the_inverse_covariance():
    fid, derivatives = _inputs()
    terms = gaussian_fisher(torch.from_numpy(fid), torch.from_numpy(derivatives))
    dmu = derivatives.mean(axis=1)
    expected = dmu @ np.linalg.inv(np.cov(fid, rowvar=False)) @ dmu.T
    np.testing.assert_allclose(terms.fisher.numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(terms.covariance.numpy(), np.cov(fid, rowvar=False), rtol=1e-12)


def test_noise_bias_is_the_trace_of_the_precision_times_the_derivative_scatter_over_m():
    fid, derivatives = _inputs(seed=1)
    m = derivatives.shape[1]
    precision = np.linalg.inv(np.cov(fid, rowvar=False))
    expected = np.array([
        [np.trace(precision @ np.cov(derivatives[a].T, derivatives[b].T)[:4, 4:]) / m
         for b in range(2)]
        for a in range(2)
    ])  # fmt: skip
    terms = gaussian_fisher(torch.from_numpy(fid), torch.from_numpy(derivatives))
    np.testing.assert_allclose(terms.noise_bias.numpy(), 0.5 * (expected + expected.T), rtol=1e-9)


def test_the_information_check_uses_the_same_maths_with_the_hartlap_factor():
    fid, derivatives = _inputs(seed=2)
    terms = gaussian_fisher(
        torch.from_numpy(fid), torch.from_numpy(derivatives),
        precision_scale=check.hartlap_factor(30, 4),
    )  # fmt: skip
    estimate = check.estimate_fisher(fid, derivatives)
    np.testing.assert_allclose(estimate.raw, terms.fisher.numpy(), rtol=1e-12)
    np.testing.assert_allclose(estimate.fisher, (terms.fisher - terms.noise_bias).numpy())


def test_fisher_is_differentiable_in_both_inputs():
    fid, derivatives = _inputs(n=10, m=4, dim=3)
    fid = torch.from_numpy(fid).requires_grad_()
    derivatives = torch.from_numpy(derivatives).requires_grad_()

    def log_det(f, d):
        return torch.logdet(gaussian_fisher(f, d).fisher)

    assert torch.autograd.gradcheck(log_det, (fid, derivatives))


def test_stencil_derivatives_weight_the_shifted_summaries():
    delta = torch.tensor([0.1, 0.5], dtype=torch.float64)
    # A summary linear in θ: t(θ + kδ e_a) = c + k δ_a g_a; every stencil returns g_a.
    gradient = torch.tensor([[1.0, -2.0, 3.0], [0.5, 0.0, 4.0]], dtype=torch.float64)
    for stencil, points in STENCILS.items():
        shifted = torch.stack([
            torch.stack([7.0 + k * delta[a] * gradient[a].expand(5, 3) for k, _ in points])
            for a in range(2)
        ])  # fmt: skip
        result = stencil_derivatives(shifted, delta, stencil)
        assert result.shape == (2, 5, 3)
        torch.testing.assert_close(result, gradient[:, None, :].expand(2, 5, 3))


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"need n ≥ 2 fiducial and m ≥ 2 derivative"):
        gaussian_fisher(torch.zeros(5, 3), torch.zeros(2, 1, 3))
    with pytest.raises(ValueError, match=r"a 3-point stencil needs summaries \[P, 2, m, D\]"):
        stencil_derivatives(torch.zeros(2, 4, 5, 3), torch.ones(2), 3)
    with pytest.raises(ValueError, match="stencil must be one of"):
        stencil_derivatives(torch.zeros(2, 2, 5, 3), torch.ones(2), 4)

"""The analytic field Fisher matrix and the simulation-based Fisher matrix of a summary."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cosmossl import DataError
from cosmossl.information import fisher
from cosmossl.physics import fields, fisher_limit


def _power_law(theta: np.ndarray, k: np.ndarray) -> np.ndarray:
    amplitude, slope = theta
    with np.errstate(divide="ignore"):
        return np.where(k > 0, amplitude * (k / 0.5) ** slope, 0.0)


def test_amplitude_fisher_is_n2_minus_1_over_2a2():
    n, box, amplitude = 12, 30.0, 2.5
    k = fisher_limit.full_plane_k(n, box)
    dlnp = fisher_limit.log_power_derivatives(lambda t: _power_law([t[0], -1.0], k),
                                        np.array([amplitude]))  # fmt: skip
    f = fisher_limit.field_fisher(dlnp)
    assert f[0, 0] == pytest.approx((n**2 - 1) / (2 * amplitude**2), rel=1e-6)


def test_score_covariance_over_gaussian_fields_equals_fisher():
    n, box, n_maps = 16, 40.0, 4000
    theta = np.array([3.0, -1.5])
    k = fisher_limit.full_plane_k(n, box)
    power = _power_law(theta, k)
    dlnp = fisher_limit.log_power_derivatives(lambda t: _power_law(t, k), theta)
    f = fisher_limit.field_fisher(dlnp)
    half = power[:, : n // 2 + 1]
    maps = fields.gaussian_field(fields.white_noise(range(n_maps), n), half, box).double()
    score = fisher_limit.gaussian_score(maps.numpy(), power, dlnp, box)
    assert np.abs(score.mean(0) / np.sqrt(np.diag(f) / n_maps)).max() < 4
    np.testing.assert_allclose(np.cov(score, rowvar=False), f, rtol=0.08)


def test_summary_fisher_of_a_linear_gaussian_model_recovers_its_fisher():
    rng = np.random.default_rng(0)
    n, dim = 20000, 3
    jacobian = np.array([[1.0, 0.5, 0.0], [0.0, 2.0, 1.0]])  # dμ/dθ, [P, D]
    sigma = np.array([0.5, 1.0, 2.0])
    fid = rng.normal(size=(n, dim)) * sigma
    noise = rng.normal(size=(1000, dim)) * sigma
    delta = np.array([0.1, 0.2])
    plus = np.stack([noise + delta[a] * jacobian[a] for a in range(2)])
    minus = np.stack([noise - delta[a] * jacobian[a] for a in range(2)])
    expected = jacobian @ np.diag(1 / sigma**2) @ jacobian.T
    result = fisher.estimate_fisher(fid, fisher.central_differences(plus, minus, delta)).fisher
    np.testing.assert_allclose(result, expected, rtol=0.03)


def test_hartlap_factor_and_too_few_simulations_message():
    assert fisher.hartlap_factor(100, 10) == pytest.approx(88 / 99)
    with pytest.raises(
        DataError,
        match=r"12 fiducial simulations are too few for a "
        r"10-dimensional summary \(the Hartlap factor needs n > D \+ 2 = 12\)",
    ):
        fisher.hartlap_factor(12, 10)


def test_summary_fisher_rejects_mismatched_shapes():
    with pytest.raises(DataError, match="do not match"):
        derivatives = fisher.central_differences(
            np.zeros((2, 10, 4)), np.zeros((2, 10, 4)), np.ones(2)
        )
        fisher.estimate_fisher(np.zeros((50, 3)), derivatives)


def test_fom_fraction_and_cramer_rao():
    limit = np.array([[4.0, 1.0], [1.0, 2.0]])
    assert fisher.fom_fraction(limit / 4, limit) == pytest.approx(0.25)
    assert fisher.fom_fraction(limit, limit) == pytest.approx(1.0)
    np.testing.assert_allclose(fisher.cramer_rao(np.diag([4.0, 25.0])), [0.5, 0.2])


def test_simulated_fisher_reaches_the_limit_for_the_binned_spectrum():
    # For a Gaussian field the binned power spectrum is nearly sufficient.
    n, box = 16, 40.0
    k_full = fisher_limit.full_plane_k(n, box)
    k_half = fields.wavenumbers(n, box).numpy()
    theta = np.array([3.0, -1.5])
    limit = fisher_limit.field_fisher(
        fisher_limit.log_power_derivatives(lambda t: _power_law(t, k_full), theta)
    )
    bins = fields.PowerSpectrumBins(n, box)

    def simulate(thetas, seeds):
        power = torch.as_tensor(np.stack([_power_law(t, k_half) for t in thetas]))
        return fields.gaussian_field(fields.white_noise(seeds, n), power, box)

    def summarize(maps):
        return torch.log(bins.estimate(maps.double())).numpy()

    simulated = fisher.simulate_summaries(
        simulate, summarize, theta, np.array([0.1, 0.05]), n_fiducial=1500, n_derivative=200, seed=3
    )
    f = fisher.estimate_fisher(*simulated).fisher
    assert fisher.fom_fraction(f, limit) == pytest.approx(1.0, abs=0.1)


def test_raw_summary_fisher_is_biased_up_by_derivative_noise_and_debiased_is_not():
    # t = A θ + ε with ε ~ N(0, C) drawn independently at θ + δ and θ − δ (no seed matching):
    # the per-simulation derivative has Cov(d_a, d_b) = δ_ab C/(2δ²), so the raw estimate is
    # high by tr(C⁻¹ Cov)/m = D/(2δ² m) on the diagonal (Coulton & Wandelt 2023).
    rng = np.random.default_rng(1)
    n_fid, m, dim, trials = 400, 40, 6, 300
    jacobian = rng.normal(size=(2, dim))
    sigma = np.linspace(0.5, 2.0, dim)
    delta = np.array([0.25, 0.5])
    expected = jacobian @ np.diag(1 / sigma**2) @ jacobian.T
    raw, debiased = [], []
    for _ in range(trials):
        fid = rng.normal(size=(n_fid, dim)) * sigma
        shift = delta[:, None, None] * jacobian[:, None, :]
        plus = shift + rng.normal(size=(2, m, dim)) * sigma
        minus = -shift + rng.normal(size=(2, m, dim)) * sigma
        estimate = fisher.estimate_fisher(fid, fisher.central_differences(plus, minus, delta))
        np.testing.assert_allclose(estimate.raw - estimate.noise_bias, estimate.fisher)
        raw.append(estimate.raw)
        debiased.append(estimate.fisher)
    raw, debiased = np.array(raw), np.array(debiased)
    error = debiased.std(axis=0) / np.sqrt(trials)
    bias = np.diag(dim / (2 * delta**2 * m))
    np.testing.assert_allclose(raw.mean(0) - expected, bias, rtol=0.1, atol=4 * error.max())
    assert np.all(np.diag(raw.mean(0) - expected) > 6 * np.diag(error))
    assert np.all(np.abs(debiased.mean(0) - expected) < 4 * error)


def test_five_point_stencil_removes_the_curvature_error_of_central_differences():
    # t = θ³ + ε (seed-matched ε): the 3-point derivative is 3θ² + δ², the 5-point one exact.
    n, dim = 4, 2
    theta, delta = np.array([0.5, 1.5]), np.array([0.2, 0.3])

    def simulate(thetas, seeds):
        noise = np.stack([np.random.default_rng(s).normal(size=dim) for s in seeds])
        return thetas**3 + 0.1 * noise

    fid, d3 = fisher.simulate_summaries(simulate, lambda x: x, theta, delta, n_fiducial=n + 50,
                                        n_derivative=n, stencil=3)  # fmt: skip
    _, d5 = fisher.simulate_summaries(simulate, lambda x: x, theta, delta, n_fiducial=n + 50,
                                      n_derivative=n, stencil=5)  # fmt: skip
    np.testing.assert_allclose(d3.mean(1), np.diag(3 * theta**2 + delta**2), atol=1e-9)
    np.testing.assert_allclose(d5.mean(1), np.diag(3 * theta**2), atol=1e-9)
    assert fid.shape == (n + 50, dim) and d5.shape == (2, n, dim)


def test_summary_fisher_messages_for_stencil_and_too_few_derivative_simulations():
    with pytest.raises(DataError, match=r"stencil must be 3 or 5 \(got 4\)"):
        fisher.simulate_summaries(lambda t, s: t, lambda x: x, np.ones(2), np.ones(2), stencil=4)
    with pytest.raises(DataError, match=r"needs at least 2 derivative simulations \(got 1\)"):
        fisher.estimate_fisher(np.zeros((50, 3)), np.zeros((2, 1, 3)))


def test_fom_fraction_interval_brackets_the_truth_and_narrows_with_more_simulations():
    rng = np.random.default_rng(2)
    dim = 4
    jacobian = np.array([[1.0, 0.5, 0.0, 0.2], [0.3, 1.0, 0.4, 0.0]])
    limit = jacobian @ jacobian.T  # unit noise: the summary holds all of it, FoM fraction 1
    widths = []
    for m in (40, 1000):
        fid = rng.normal(size=(1000, dim))
        noise = rng.normal(size=(2, m, dim))  # unmatched noise at ± δ
        derivatives = jacobian[:, None, :] + (noise - rng.normal(size=(2, m, dim))) / (2 * 0.2)
        low, high = fisher.fom_fraction_interval(fid, derivatives, limit, level=0.95)
        widths.append(high - low)
    assert low < 1.0 < high
    assert widths[1] < widths[0] / 3


def test_fom_fraction_interval_covers_the_truth_in_68_percent_of_experiments():
    # t = J θ + ε, ε ~ N(0, diag σ²): F = J diag(1/σ²) Jᵀ exactly; nearly degenerate rows of J
    # as for (Ω_m, σ_8). The limit is set so that the true FoM fraction is 0.64.
    rng = np.random.default_rng(7)
    dim, trials, n_fid, m = 6, 300, 300, 60
    jacobian = rng.normal(size=(2, dim))
    jacobian[1] = 0.9 * jacobian[0] + 0.3 * jacobian[1]
    sigma = np.linspace(0.5, 2.0, dim)
    truth = jacobian @ np.diag(1 / sigma**2) @ jacobian.T
    limit = truth / 0.8**2
    assert fisher.fom_fraction(truth, limit) == pytest.approx(0.64)
    covered = 0
    for trial in range(trials):
        fid = rng.normal(size=(n_fid, dim)) * sigma
        derivatives = jacobian[:, None, :] + 0.5 * rng.normal(size=(2, m, dim)) * sigma
        estimate = fisher.fom_fraction(fisher.estimate_fisher(fid, derivatives).fisher, limit)
        low, high = fisher.fom_fraction_interval(fid, derivatives, limit, seed=trial)
        assert low <= estimate <= high
        covered += low <= 0.64 <= high
    # 300 experiments: the coverage is known to ±0.027 (1σ); the jackknife errs on the wide side.
    assert 0.60 <= covered / trials <= 0.80


def test_marginal_fisher_is_the_inverse_of_the_theta_block_of_the_inverse():
    rng = np.random.default_rng(3)
    root = rng.normal(size=(4, 4))
    full = root @ root.T + np.eye(4)
    expected = np.linalg.inv(np.linalg.inv(full)[:2, :2])
    np.testing.assert_allclose(fisher.marginal_fisher(full, 2), expected, rtol=1e-10)
    np.testing.assert_array_equal(fisher.marginal_fisher(full, 4), full)


def test_marginal_fisher_names_degenerate_nuisance_parameters():
    full = np.diag([1.0, 1.0, 1.0, 0.0])
    with pytest.raises(DataError, match=r"nuisance parameters \(A, B\) is singular"):
        fisher.marginal_fisher(full, 2, ["A", "B"])


def test_with_nuisance_sets_the_free_nuisance_columns_and_keeps_the_others():
    calls = []

    def simulate(theta, seeds, nuisance):
        calls.append((theta, nuisance))
        return np.zeros((len(theta), 1))

    extended = fisher.with_nuisance(simulate, 2, np.array([1.0, 2.0, 3.0]), [2, 0])
    extended(np.array([[0.3, 0.8, 5.0, 6.0]]), [0])
    theta, nuisance = calls[0]
    np.testing.assert_array_equal(theta, [[0.3, 0.8]])
    np.testing.assert_array_equal(nuisance, [[6.0, 2.0, 5.0]])


def test_fom_fraction_interval_of_the_marginal_fisher_contains_the_marginal_estimate():
    rng = np.random.default_rng(4)
    jacobian = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.5], [0.7, 0.8, 0.1]])  # θ_1, θ_2, η
    fid = rng.normal(size=(3000, 3))
    derivs = jacobian[:, None, :] + 0.05 * rng.normal(size=(3, 200, 3))
    full = fisher.estimate_fisher(fid, derivs).fisher
    limit = fisher.marginal_fisher(jacobian @ jacobian.T, 2)
    low, high = fisher.fom_fraction_interval(fid, derivs, limit, marginalise=2)
    estimate = fisher.fom_fraction(fisher.marginal_fisher(full, 2), limit)
    assert low < estimate < high and high - low < 0.2
    assert estimate == pytest.approx(1.0, abs=0.1)
    # Marginalising η costs information: the plain θ block holds more.
    assert fisher.fom_fraction(full[:2, :2], limit) > 1.5


def test_noise_share_is_the_trace_of_the_raw_inverse_times_the_noise_bias():
    rng = np.random.default_rng(3)
    jacobian = np.array([[1.0, 0.5, 0.0], [0.0, 2.0, 1.0]])
    fid = rng.normal(size=(500, 3))
    derivatives = jacobian[:, None, :] + rng.normal(size=(2, 50, 3))
    estimate = fisher.estimate_fisher(fid, derivatives)
    expected = np.trace(np.linalg.inv(estimate.raw) @ estimate.noise_bias)
    assert estimate.noise_share == pytest.approx(expected)
    assert 0.0 < estimate.noise_share < 2.0


def test_noise_share_is_zero_for_noiseless_derivatives_and_grows_with_their_noise():
    rng = np.random.default_rng(4)
    jacobian = np.array([[1.0, 0.5, 0.0], [0.0, 2.0, 1.0]])
    fid = rng.normal(size=(500, 3))
    noise = rng.normal(size=(2, 100, 3))
    shares = [
        fisher.estimate_fisher(fid, jacobian[:, None, :] + scale * noise).noise_share
        for scale in (0.0, 1.0, 4.0)
    ]
    assert shares[0] == pytest.approx(0.0, abs=1e-12)
    assert 0.0 < shares[1] < shares[2]

"""Nuisance hardening (Alsing & Wandelt 2019) against the formula on a linear-Gaussian toy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cosmossl import ConfigError, DataError
from cosmossl.components.dataset import NuisanceSimulator
from cosmossl.information import fisher
from cosmossl.information.hardening import (
    NuisanceHardening,
    fit_hardening,
    simulate_with_nuisance,
)

#: s = μ0 + J_θ (θ − θ_fid) + J_η (η − η_fid) + ε, ε ~ N(0, C): D = 5, P = 2, Q = 2.
JACOBIAN = np.array([
    [1.0, 0.5, 0.0, 0.3, 0.0],   # ∂μ/∂θ_1
    [0.0, 1.0, 1.0, 0.0, 0.2],   # ∂μ/∂θ_2
    [0.8, 0.9, 0.0, 0.0, 0.0],   # ∂μ/∂η_1: much like θ_1 + θ_2, a near-degeneracy
    [0.0, 0.0, 0.5, 1.0, 0.0],   # ∂μ/∂η_2
])  # fmt: skip
SIGMA = np.array([0.3, 0.5, 0.4, 0.6, 0.5])
COV = np.diag(SIGMA**2) + 0.02
THETA, ETA = np.array([0.3, 0.8]), np.array([1.0, 2.0])
MEAN = np.array([1.0, -1.0, 0.5, 0.0, 2.0])


def _exact() -> NuisanceHardening:
    return NuisanceHardening.from_moments(MEAN, np.linalg.inv(COV), JACOBIAN, THETA,
                                          ("a", "b"), ("x", "y"))  # fmt: skip


def _full_fisher() -> np.ndarray:
    return JACOBIAN @ np.linalg.inv(COV) @ JACOBIAN.T


class LinearSimulator:
    """A NuisanceSimulator whose 'maps' are the summary vectors of the toy model."""

    param_names = ("a", "b")
    nuisance_names = ("x", "y")
    meta = None
    fiducial = THETA
    nuisance_fiducial = ETA

    def simulate(self, theta, seeds, nuisance=None):
        theta = np.atleast_2d(theta)
        nuisance = np.tile(ETA, (len(theta), 1)) if nuisance is None else np.atleast_2d(nuisance)
        root = np.linalg.cholesky(COV)
        noise = np.stack([np.random.default_rng(int(s)).normal(size=5) for s in seeds]) @ root.T
        return MEAN + (theta - THETA) @ JACOBIAN[:2] + (nuisance - ETA) @ JACOBIAN[2:] + noise

    def fisher_limit(self, theta_fiducial=None):
        return fisher.marginal_fisher(_full_fisher(), 2)


def test_hardened_weights_are_the_theta_block_of_the_full_quasi_maximum_likelihood():
    # θ̂ = θ_fid + F_marg⁻¹ (t_θ − F_θη F_ηη⁻¹ t_η) equals the θ rows of (θ, η)_fid + F⁻¹ t.
    full = np.linalg.inv(_full_fisher()) @ JACOBIAN @ np.linalg.inv(COV)
    np.testing.assert_allclose(_exact().weights, full[:2], atol=1e-12)


def test_hardened_summary_keeps_the_marginal_fisher_and_ignores_the_nuisance():
    h = _exact()
    marginal = np.linalg.inv(np.linalg.inv(_full_fisher())[:2, :2])  # ((F⁻¹)_θθ)⁻¹
    np.testing.assert_allclose(h.marginal_fisher, marginal, rtol=1e-10)
    np.testing.assert_allclose(h.weights @ JACOBIAN[:2].T, np.eye(2), atol=1e-12)  # unbiased
    np.testing.assert_allclose(h.weights @ JACOBIAN[2:].T, 0.0, atol=1e-12)  # blind to η
    fisher_of_output = np.linalg.inv(h.weights @ COV @ h.weights.T)
    np.testing.assert_allclose(fisher_of_output, marginal, rtol=1e-10)
    # What marginalising costs here: the unmarginalised F_θθ is larger.
    assert np.linalg.det(marginal) < 0.5 * np.linalg.det(_full_fisher()[:2, :2])


def test_hardening_fitted_on_simulations_keeps_the_marginal_fisher_and_ignores_a_shift():
    sim = LinearSimulator()
    assert isinstance(sim, NuisanceSimulator)
    fid, derivs, delta = simulate_with_nuisance(sim, lambda x: x, ["x", "y"], n_fiducial=4000,
                                                n_derivative=50, seed=1)  # fmt: skip
    np.testing.assert_allclose(delta, [0.0015, 0.004, 0.05, 0.1])
    h = fit_hardening(fid, derivs, THETA, ("a", "b"), ("x", "y"))
    # On new simulations: the hardened summary keeps the marginal Fisher information...
    test_fid, test_derivs, _ = simulate_with_nuisance(
        sim, lambda x: x, ["x", "y"], n_fiducial=4000, n_derivative=50, seed=2
    )
    estimate = fisher.estimate_fisher(h(test_fid), h.derivatives(test_derivs)[:2]).fisher
    marginal = fisher.marginal_fisher(_full_fisher(), 2)
    assert fisher.fom_fraction(estimate, marginal) == pytest.approx(1.0, abs=0.05)
    # ... and a nuisance shifted by 2 leaves it where it was on the same seeds, while the
    # estimate that ignores η (θ_fid + F_θθ⁻¹ t_θ, the unhardened score) moves by many σ.
    seeds = range(10**6, 10**6 + 500)
    clean = sim.simulate(np.tile(THETA, (500, 1)), seeds)
    shifted = sim.simulate(np.tile(THETA, (500, 1)), seeds, ETA + 2.0)
    sigma = np.sqrt(np.diag(np.linalg.inv(marginal)))
    np.testing.assert_allclose((h(shifted) - h(clean)) / sigma, 0.0, atol=1e-3)
    full = _full_fisher()
    score_weights = np.linalg.solve(full[:2, :2], JACOBIAN[:2] @ np.linalg.inv(COV))
    plain_shift = ((shifted - clean) @ score_weights.T).mean(axis=0)
    assert np.max(np.abs(plain_shift) / sigma) > 1.0


def test_hardening_without_nuisance_is_the_quasi_maximum_likelihood_estimate():
    h = NuisanceHardening.from_moments(MEAN, np.linalg.inv(COV), JACOBIAN[:2], THETA,
                                       ("a", "b"), ())  # fmt: skip
    f = JACOBIAN[:2] @ np.linalg.inv(COV) @ JACOBIAN[:2].T
    np.testing.assert_allclose(h.weights, np.linalg.solve(f, JACOBIAN[:2] @ np.linalg.inv(COV)))


def test_a_saved_hardening_reads_back_identically():
    h = _exact()
    again = NuisanceHardening.from_dict(json.loads(json.dumps(h.to_dict())))
    x = np.random.default_rng(0).normal(size=(3, 5))
    np.testing.assert_array_equal(again(x), h(x))
    assert again.nuisance_names == ("x", "y")
    with pytest.raises(DataError, match=r"nuisance hardening: not a saved hardening"):
        NuisanceHardening.from_dict({"weights": []})


def test_summaries_of_another_dimension_are_refused():
    with pytest.raises(DataError, match=r"fitted on 5-dimensional summaries, got an array of "
                                        r"shape \(2, 3\)"):  # fmt: skip
        _exact()(np.zeros((2, 3)))


def test_nuisance_parameters_with_proportional_effects_are_projected_out_once():
    both = NuisanceHardening.from_moments(MEAN, np.linalg.inv(COV),
                                          np.vstack([JACOBIAN, 2.0 * JACOBIAN[3]]), THETA,
                                          ("a", "b"), ("x", "y", "z"))  # fmt: skip
    assert both.rank == 2
    np.testing.assert_allclose(both.weights, _exact().weights, atol=1e-10)


def test_further_nuisance_directions_are_projected_out_too():
    extra = np.array([[0.0, 0.3, 0.0, 0.0, 1.0]])  # ∂μ/∂η at another point of the prior
    h = NuisanceHardening.from_moments(MEAN, np.linalg.inv(COV), np.vstack([JACOBIAN, extra]),
                                       THETA, ("a", "b"), ("x", "y"))  # fmt: skip
    assert h.rank == 3
    np.testing.assert_allclose(h.weights @ np.vstack([JACOBIAN[2:], extra]).T, 0.0, atol=1e-12)
    np.testing.assert_allclose(h.weights @ JACOBIAN[:2].T, np.eye(2), atol=1e-12)
    three = np.vstack([JACOBIAN, extra])
    f3 = three @ np.linalg.inv(COV) @ three.T
    np.testing.assert_allclose(h.marginal_fisher, np.linalg.inv(np.linalg.inv(f3)[:2, :2]),
                               rtol=1e-10)  # fmt: skip


def test_anchors_remove_the_response_to_a_nuisance_that_acts_non_linearly():
    class Quadratic(LinearSimulator):
        """The nuisance acts as η_1 J_1 + η_1² K: its direction turns as η_1 moves."""

        def simulate(self, theta, seeds, nuisance=None):
            base = super().simulate(theta, seeds, nuisance)
            eta = np.atleast_2d(ETA if nuisance is None else nuisance)
            curve = np.array([0.0, 0.0, 0.0, 0.0, 3.0])
            return base + ((eta[:, :1] ** 2) - ETA[0] ** 2) * curve

    sim = Quadratic()
    kwargs = dict(n_fiducial=2000, n_derivative=20, seed=5)
    plain = fit_hardening(*simulate_with_nuisance(sim, lambda x: x, ["x", "y"], **kwargs)[:2],
                          THETA, ("a", "b"), ("x", "y"))  # fmt: skip
    fid, derivs, _ = simulate_with_nuisance(sim, lambda x: x, ["x", "y"], anchors=[[3.0, 2.0]],
                                            **kwargs)  # fmt: skip
    assert derivs.shape == (6, 20, 5)
    anchored = fit_hardening(fid, derivs, THETA, ("a", "b"), ("x", "y"))
    seeds = range(7, 207)
    clean = sim.simulate(np.tile(THETA, (200, 1)), seeds)
    far = sim.simulate(np.tile(THETA, (200, 1)), seeds, ETA + np.array([2.0, 0.0]))
    sigma = np.sqrt(np.diag(np.linalg.inv(anchored.marginal_fisher)))
    assert np.max(np.abs((plain(far) - plain(clean)).mean(0)) / sigma) > 0.5
    np.testing.assert_allclose((anchored(far) - anchored(clean)) / sigma, 0.0, atol=1e-6)
    with pytest.raises(ConfigError, match=r"an anchor gives a non-zero value to each of x, y"):
        simulate_with_nuisance(sim, lambda x: x, ["x", "y"], anchors=[[3.0]], **kwargs)


def test_a_summary_that_only_tracks_the_nuisance_is_refused():
    jacobian = np.vstack([JACOBIAN[2:], JACOBIAN[2:]])  # θ acts exactly as η
    with pytest.raises(DataError, match=r"projecting the summary off x, y \(2 directions\) "
                                        r"leaves no information on a, b"):  # fmt: skip
        NuisanceHardening.from_moments(MEAN, np.linalg.inv(COV), jacobian, THETA, ("a", "b"),
                                       ("x", "y"))  # fmt: skip


def test_unknown_nuisance_names_and_simulators_without_nuisance_are_refused():
    with pytest.raises(ConfigError, match=r"'z' is not a nuisance parameter of the simulator\. "
                                          r"Its nuisance parameters: x, y\."):  # fmt: skip
        simulate_with_nuisance(LinearSimulator(), lambda x: x, ["z"])

    class NoNuisance(LinearSimulator):
        nuisance_names = ()

    with pytest.raises(ConfigError, match=r"'NoNuisance' has none"):
        simulate_with_nuisance(NoNuisance(), lambda x: x, ["x"])

"""VMIM, IMNN, MSE and moment networks against independent implementations of their published
formulas on fixed inputs (float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from torch import nn

import cosmossl
from cosmossl_plugins.losses.imnn import coupling_rate, imnn_loss
from cosmossl_plugins.losses.moments import moments_loss
from cosmossl_plugins.losses.mse import mse_loss
from cosmossl_plugins.losses.vmim import vmim_loss


def _t(x: np.ndarray) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64)


# ---- IMNN (Charnock, Lavaux & Wandelt 2018) ---------------------------------------------------


def _imnn_reference(fid: np.ndarray, derivatives: np.ndarray, lam: float, eps: float) -> float:
    """Λ = −ln|F| + r Λ₂ written out from the paper's definitions, in numpy."""
    c = np.cov(fid, rowvar=False)
    c_inv = np.linalg.inv(c)
    dmu = derivatives.mean(axis=1)  # [P, D]
    f = dmu @ c_inv @ dmu.T
    eye = np.eye(len(c))
    lam2 = np.sqrt(((c - eye) ** 2).sum()) + np.sqrt(((c_inv - eye) ** 2).sum())
    alpha = -np.log(eps * (lam - 1) + eps**2 / (1 + eps)) / eps
    r = lam * lam2 / (lam2 + np.exp(-alpha * lam2))
    return float(-np.log(np.linalg.det(f)) + r * lam2)


def _imnn_inputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    fid = rng.normal(size=(40, 3)) @ np.diag([0.5, 1.0, 2.0])
    derivatives = (
        rng.normal(size=(2, 10, 3)) * 0.3 + np.array([[1.0, 0.2, 0.0], [0.0, 1.0, 0.5]])[:, None, :]
    )
    return fid, derivatives


@pytest.mark.parametrize(("lam", "eps"), [(10.0, 0.1), (2.0, 0.05)])
def test_imnn_matches_the_published_formula(lam, eps):
    fid, derivatives = _imnn_inputs()
    loss, terms = imnn_loss(_t(fid), _t(derivatives), lam, eps)
    assert float(loss) == pytest.approx(_imnn_reference(fid, derivatives, lam, eps), rel=1e-10)
    assert set(terms) == {"log_det_fisher", "covariance_distance", "coupling"}


def test_imnn_coupling_rate_of_the_default_settings():
    # α = −ln(ε(λ − 1) + ε²/(1 + ε))/ε for λ = 10, ε = 0.1.
    assert coupling_rate(10.0, 0.1) == pytest.approx(-math.log(0.9 + 0.01 / 1.1) / 0.1)
    with pytest.raises(ValueError, match=r"give no positive rate α"):
        coupling_rate(100.0, 0.1)


def test_imnn_coupling_switches_off_when_the_covariance_is_the_identity():
    rng = np.random.default_rng(3)
    white = rng.normal(size=(4000, 2))
    white = (white - white.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(white.T))).T
    derivatives = np.ones((2, 5, 2)) + np.eye(2)[:, None, :]
    _, close = imnn_loss(_t(white), _t(derivatives))
    _, far = imnn_loss(_t(white * 3.0), _t(derivatives))
    assert float(close["covariance_distance"]) < 1e-8 and float(close["coupling"]) < 1e-7
    assert float(far["coupling"]) == pytest.approx(10.0, rel=1e-3)


def test_imnn_regularises_only_the_learned_part_of_a_hybrid_summary():
    fid, derivatives = _imnn_inputs(seed=4)
    _, whole = imnn_loss(_t(fid), _t(derivatives))
    _, learned = imnn_loss(_t(fid), _t(derivatives), fixed_dim=1)
    c = np.cov(fid[:, 1:], rowvar=False)
    eye = np.eye(2)
    expected = np.linalg.norm(c - eye) + np.linalg.norm(np.linalg.inv(c) - eye)
    assert float(learned["covariance_distance"]) == pytest.approx(expected, rel=1e-10)
    assert float(learned["log_det_fisher"]) == float(whole["log_det_fisher"])


def test_imnn_step_and_stencil_are_declared_as_training_data():
    cls = cosmossl.registry().load("loss", "imnn")
    needs = cls.training_data(cls.Params(n_fiducial=64, n_derivative=8, step=0.05, stencil=5))
    assert needs.views is False
    assert (needs.fiducial.n_fiducial, needs.fiducial.n_derivative) == (64, 8)
    assert (needs.fiducial.step, needs.fiducial.offsets) == (0.05, (1, -1, 2, -2))
    assert needs.fiducial.maps_per_step(2) == 64 + 2 * 4 * 8


# ---- VMIM (Lanzieri et al. 2025) --------------------------------------------------------------


class _LinearGaussian(nn.Module):
    """q(θ | t) = N(θ | A t, Σ): a conditional density with a closed form."""

    def __init__(self, a: np.ndarray, covariance: np.ndarray) -> None:
        super().__init__()
        self.a, self.covariance = _t(a), _t(covariance)

    def forward(self, context: torch.Tensor) -> torch.distributions.Distribution:
        return torch.distributions.MultivariateNormal(context @ self.a.T, self.covariance)


def test_vmim_is_the_mean_negative_log_density_of_theta_given_the_summary():
    rng = np.random.default_rng(5)
    t, theta = rng.normal(size=(9, 3)), rng.normal(size=(9, 2))
    a, covariance = rng.normal(size=(2, 3)), np.array([[1.0, 0.3], [0.3, 0.5]])
    loss = vmim_loss(_LinearGaussian(a, covariance), _t(t), _t(theta))
    expected = -np.mean([multivariate_normal(a @ ti, covariance).logpdf(th)
                         for ti, th in zip(t, theta)])  # fmt: skip
    assert float(loss) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("flow", ["nsf", "maf"])
def test_vmim_flow_is_a_normalised_density_of_theta(flow):
    torch.manual_seed(0)
    loss = cosmossl.create("loss", "vmim", flow=flow, summary_dim=3, param_dim=2)
    grid = torch.linspace(-8, 8, 321)
    theta = torch.cartesian_prod(grid, grid)
    context = torch.tensor([0.3, -1.0, 2.0]).expand(len(theta), 3)
    with torch.no_grad():
        density = loss.flow(context).log_prob(theta).exp()
    step = float(grid[1] - grid[0])
    assert float(density.sum()) * step**2 == pytest.approx(1.0, abs=0.01)


# ---- moment networks (Jeffrey & Wandelt 2020) -------------------------------------------------


def test_mse_is_the_batch_mean_of_the_summed_squared_errors():
    rng = np.random.default_rng(6)
    prediction, theta = rng.normal(size=(7, 2)), rng.normal(size=(7, 2))
    expected = np.mean(np.sum((theta - prediction) ** 2, axis=1))
    assert float(mse_loss(_t(prediction), _t(theta))) == pytest.approx(expected, rel=1e-12)


def test_moments_adds_the_squared_error_of_the_variance_against_the_squared_residual():
    rng = np.random.default_rng(7)
    mean, variance, theta = (rng.normal(size=(7, 2)) for _ in range(3))
    residual = (theta - mean) ** 2
    first = np.mean(residual.sum(1))
    second = np.mean(((residual - variance) ** 2).sum(1))
    loss, terms = moments_loss(_t(mean), _t(variance), _t(theta))
    assert float(loss) == pytest.approx(first + second, rel=1e-12)
    assert float(terms["variance_mse"]) == pytest.approx(second, rel=1e-12)


def test_moments_variance_term_does_not_move_the_mean():
    mean = _t(np.zeros((4, 2))).requires_grad_()
    variance = _t(np.ones((4, 2))).requires_grad_()
    theta = _t(np.full((4, 2), 0.5))
    loss, _ = moments_loss(mean, variance, theta)
    loss.backward()
    # Only the MSE term reaches the mean: d/dt Σ(θ − t)²/N = −2(θ − t)/N.
    torch.testing.assert_close(mean.grad, -2 * (theta - mean.detach()) / 4)
    assert variance.grad.abs().sum() > 0


def test_imnn_takes_its_finite_differences_in_full_precision_under_bf16_autocast():
    from cosmossl.testing.losses import LossCase

    torch.manual_seed(0)
    loss = cosmossl.create("loss", "imnn", summary_dim=4, param_dim=2)
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.Tanh(), nn.Linear(16, 4))
    args, kwargs = LossCase().arguments(loss)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = loss(encoder, *args, **kwargs).loss
    assert float(mixed.detach()) == float(loss(encoder, *args, **kwargs).loss.detach())

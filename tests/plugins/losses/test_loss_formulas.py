"""Each SSL loss against an independent float64 implementation of its published formula."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from cosmossl_plugins.losses.barlow import barlow_twins_loss
from cosmossl_plugins.losses.byol import byol_loss, ema_rate
from cosmossl_plugins.losses.simclr import nt_xent_loss
from cosmossl_plugins.losses.supervised import cholesky_factor, gaussian_nll_loss
from cosmossl_plugins.losses.vicreg import vicreg_loss, vicreg_multiview_loss


def _pair(n: int = 12, d: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, d)) * rng.uniform(0.2, 2.0, size=d)
    b = a + 0.5 * rng.normal(size=(n, d))
    return a, b


def _t(x: np.ndarray) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64)


def _vicreg_reference(views: list[np.ndarray], w_inv: float, w_var: float, w_cov: float) -> float:
    """Bardes et al. (2022) written with numpy.cov and explicit pair loops."""
    k = len(views)
    pairs = list(itertools.combinations(range(k), 2))
    inv = np.mean([np.mean((views[i] - views[j]) ** 2) for i, j in pairs])
    var = 0.0
    cov = 0.0
    for x in views:
        std = np.sqrt(np.var(x, axis=0, ddof=1) + 1e-4)
        var += np.mean(np.maximum(0.0, 1.0 - std)) / k
        c = np.cov(x, rowvar=False)
        cov += (np.sum(c**2) - np.sum(np.diag(c) ** 2)) / x.shape[1] * 2.0 / k
    return w_inv * inv + w_var * var + w_cov * cov


def test_vicreg_matches_the_published_formula():
    a, b = _pair()
    loss, terms = vicreg_loss(_t(a), _t(b), sim_weight=25, var_weight=25, cov_weight=1)
    assert loss.item() == pytest.approx(_vicreg_reference([a, b], 25, 25, 1), rel=1e-10)
    assert set(terms) == {"invariance", "variance", "covariance"}
    assert terms["invariance"].item() == pytest.approx(np.mean((a - b) ** 2), rel=1e-10)


def test_vicreg_averages_variance_over_views_and_sums_covariance():
    a, b = _pair(seed=3)
    _, terms = vicreg_loss(_t(a), _t(b))
    std_a = np.sqrt(np.var(a, axis=0, ddof=1) + 1e-4)
    std_b = np.sqrt(np.var(b, axis=0, ddof=1) + 1e-4)
    expected_var = 0.5 * (np.maximum(0, 1 - std_a).mean() + np.maximum(0, 1 - std_b).mean())
    off = [np.cov(x, rowvar=False) for x in (a, b)]
    expected_cov = sum((c**2).sum() - (np.diag(c) ** 2).sum() for c in off) / a.shape[1]
    assert terms["variance"].item() == pytest.approx(expected_var, rel=1e-10)
    assert terms["covariance"].item() == pytest.approx(expected_cov, rel=1e-10)


def test_vicreg_multiview_averages_the_pairwise_loss():
    rng = np.random.default_rng(1)
    views = [rng.normal(size=(10, 4)) * (i + 1) * 0.4 for i in range(4)]
    loss, _ = vicreg_multiview_loss([_t(v) for v in views], 5, 5, 1)
    assert loss.item() == pytest.approx(_vicreg_reference(views, 5, 5, 1), rel=1e-10)


def test_vicreg_multiview_with_two_views_is_the_two_view_loss():
    a, b = _pair(seed=5)
    two, _ = vicreg_loss(_t(a), _t(b))
    multi, _ = vicreg_multiview_loss([_t(a), _t(b)])
    assert multi.item() == pytest.approx(two.item(), rel=1e-12)


def test_vicreg_rejects_a_single_view():
    with pytest.raises(ValueError, match="at least 2 views, got 1"):
        vicreg_multiview_loss([torch.zeros(4, 3)])


def test_nt_xent_matches_the_published_formula():
    a, b = _pair(n=6, d=4, seed=2)
    t = 0.1
    rows = np.concatenate([a, b])
    rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    n = len(a)
    total = 0.0
    for i in range(2 * n):
        positive = (i + n) % (2 * n)
        sims = {j: rows[i] @ rows[j] / t for j in range(2 * n) if j != i}
        total += -sims[positive] + np.log(sum(np.exp(s) for s in sims.values()))
    expected = total / (2 * n)
    loss, terms = nt_xent_loss(_t(a), _t(b), temperature=t)
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    assert terms["nt_xent"].item() == pytest.approx(expected, rel=1e-10)


def test_nt_xent_is_lower_for_aligned_views():
    a, b = _pair(n=8, d=6, seed=4)
    aligned, _ = nt_xent_loss(_t(a), _t(a) + 1e-3)
    shuffled, _ = nt_xent_loss(
        _t(a), _t(b)[torch.randperm(8, generator=torch.Generator().manual_seed(0))]
    )
    assert aligned.item() < shuffled.item()


def test_byol_direction_is_the_normalised_squared_distance():
    a, b = _pair(seed=6)
    # Grill et al. (2020) eq. 2: || q/|q| − z'/|z'| ||², averaged over the batch.
    qn = a / np.linalg.norm(a, axis=1, keepdims=True)
    zn = b / np.linalg.norm(b, axis=1, keepdims=True)
    expected = np.mean(np.sum((qn - zn) ** 2, axis=1))
    loss, terms = byol_loss(_t(a), _t(b))
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    assert terms["cosine"].item() == pytest.approx(np.mean(np.sum(qn * zn, axis=1)), rel=1e-10)


def test_byol_target_receives_no_gradient():
    p = torch.randn(5, 3, requires_grad=True)
    z = torch.randn(5, 3, requires_grad=True)
    byol_loss(p, z)[0].backward()
    assert p.grad is not None and z.grad is None


def test_byol_ema_rate_follows_the_cosine_schedule():
    assert ema_rate(0, 100, 0.99) == pytest.approx(0.99)
    assert ema_rate(50, 100, 0.99) == pytest.approx(1 - 0.01 * 0.5)
    assert ema_rate(100, 100, 0.99) == pytest.approx(1.0)


def test_barlow_twins_matches_the_published_formula():
    a, b = _pair(n=16, d=4, seed=7)
    lambd = 0.0051
    na = (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-5)
    nb = (b - b.mean(0)) / np.sqrt(b.var(0) + 1e-5)
    n, d = a.shape
    c = np.array(
        [[sum(na[k, i] * nb[k, j] for k in range(n)) / n for j in range(d)] for i in range(d)]
    )
    on = sum((1 - c[i, i]) ** 2 for i in range(d))
    off = sum(c[i, j] ** 2 for i in range(d) for j in range(d) if i != j)
    loss, terms = barlow_twins_loss(_t(a), _t(b), lambd=lambd)
    assert loss.item() == pytest.approx(on + lambd * off, rel=1e-10)
    assert terms["on_diagonal"].item() == pytest.approx(on, rel=1e-10)
    assert terms["off_diagonal"].item() == pytest.approx(off, rel=1e-10)


def test_gaussian_nll_matches_scipy():
    rng = np.random.default_rng(8)
    raw = _t(rng.normal(size=(5, 3)))
    scale_tril = cholesky_factor(raw, 2)
    mean = _t(rng.normal(size=(5, 2)))
    theta = _t(rng.normal(size=(5, 2)))
    expected = -np.mean(
        [
            multivariate_normal(mean[i].numpy(), (scale_tril[i] @ scale_tril[i].T).numpy()).logpdf(
                theta[i].numpy()
            )
            for i in range(5)
        ]
    )
    loss, terms = gaussian_nll_loss(mean, scale_tril, theta)
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    assert terms["mse"].item() == pytest.approx(((theta - mean) ** 2).mean().item(), rel=1e-12)


def test_cholesky_factor_has_a_positive_softplus_diagonal():
    raw = torch.tensor([[-50.0, 0.3, 2.0]], dtype=torch.float64)  # (L00, L10, L11) row-major
    factor = cholesky_factor(raw, 2)[0]
    assert factor[0, 1].item() == 0.0
    assert factor[1, 0].item() == pytest.approx(0.3)
    assert factor[0, 0].item() > 0
    assert factor[1, 1].item() == pytest.approx(np.log1p(np.exp(2.0)) + 1e-4, rel=1e-10)

"""Probes: held-out R² of linear and MLP regressors from summaries to a target."""

from __future__ import annotations

import numpy as np
import pytest

from cosmossl import DataError
from cosmossl.information.probes import linear_probe_r2, mlp_probe_r2, r2_score


def data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Summaries [n, 4] and three targets: linear in x, quadratic in x, and pure noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = np.stack([2.0 * x[:, 0] - x[:, 1] + 3.0, x[:, 2] ** 2, rng.normal(size=n)], axis=1)
    return x, y


def test_r2_score_matches_the_definition():
    y = np.array([[1.0, 2.0], [2.0, 2.0], [3.0, 5.0]])
    pred = np.array([[1.5, 2.0], [2.0, 3.0], [2.5, 4.0]])
    expected = [1 - 0.5 / 2.0, 1 - 2.0 / 6.0]
    np.testing.assert_allclose(r2_score(y, pred), expected)


def test_linear_probe_reads_a_linear_target_and_not_noise():
    x, y = data(2000, 0)
    xt, yt = data(2000, 1)
    r2 = linear_probe_r2(x, y, xt, yt)
    assert r2[0] > 0.999
    assert abs(r2[1]) < 0.05  # x² has no linear part
    assert abs(r2[2]) < 0.05


def test_linear_probe_without_ridge_is_least_squares():
    x, y = data(50, 2)
    xt, yt = data(30, 3)
    design = np.hstack([x, np.ones((50, 1))])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    expected = r2_score(yt, np.hstack([xt, np.ones((30, 1))]) @ coef)
    np.testing.assert_allclose(linear_probe_r2(x, y, xt, yt, ridge=0.0), expected, atol=1e-10)


def test_mlp_probe_reads_a_nonlinear_target_the_linear_probe_misses():
    x, y = data(800, 4)
    xt, yt = data(500, 5)
    r2 = mlp_probe_r2(x, y[:, 1], xt, yt[:, 1], batch_size=200, max_epochs=100, seed=0)
    assert r2.shape == (1,)
    assert r2[0] > 0.9
    assert abs(linear_probe_r2(x, y[:, 1], xt, yt[:, 1])[0]) < 0.05


def test_mlp_probe_finds_nothing_in_noise():
    x, y = data(1000, 6)
    xt, yt = data(1000, 7)
    assert mlp_probe_r2(x, y[:, 2], xt, yt[:, 2], max_epochs=100, seed=0)[0] < 0.05


def test_mlp_probe_is_deterministic_for_a_seed():
    x, y = data(300, 8)
    xt, yt = data(100, 9)
    groups = np.arange(300) // 3
    first = mlp_probe_r2(x, y, xt, yt, groups=groups, max_epochs=20, seed=3)
    second = mlp_probe_r2(x, y, xt, yt, groups=groups, max_epochs=20, seed=3)
    np.testing.assert_array_equal(first, second)


def test_probe_rejects_mismatched_rows():
    x, y = data(20, 0)
    with pytest.raises(DataError, match="20 training summaries but 19 targets"):
        linear_probe_r2(x, y[:19], x, y)


def test_probe_rejects_different_summary_dimensions():
    x, y = data(20, 0)
    with pytest.raises(DataError, match=r"train and test columns differ \(summaries 4 vs 3"):
        mlp_probe_r2(x, y, x[:, :3], y)


def test_probe_rejects_non_finite_values():
    x, y = data(20, 0)
    y[3, 0] = np.nan
    with pytest.raises(DataError, match="y_train contains NaN or inf values"):
        linear_probe_r2(x, y, x, np.nan_to_num(y))


def test_mlp_probe_rejects_groups_of_the_wrong_length():
    x, y = data(20, 0)
    with pytest.raises(DataError, match=r"groups has shape \(19,\), expected \(20,\)"):
        mlp_probe_r2(x, y, x, y, groups=np.arange(19))


def test_mlp_probe_needs_two_groups_to_validate():
    x, y = data(20, 0)
    with pytest.raises(DataError, match="single group"):
        mlp_probe_r2(x, y, x, y, groups=np.zeros(20))

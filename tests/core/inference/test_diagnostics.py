"""Diagnostics on samples whose calibration we control (exact, over- and under-confident)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from cosmossl.inference.diagnostics import hpd_coverage, point_metrics, sbc, tarp, write_metrics

B, N, P = 400, 500, 2
LOW, HIGH = np.array([-10.0, -10.0]), np.array([10.0, 10.0])


def _gaussian_case(width: float, seed: int = 0):
    """Truth ~ N(m, 1) around posterior means m; samples N(m, width²) with log densities."""
    rng = np.random.default_rng(seed)
    mean = rng.uniform(-3, 3, size=(B, P))
    truth = mean + rng.normal(size=(B, P))
    samples = mean[None] + width * rng.normal(size=(N, B, P))
    lp = stats.norm.logpdf(samples, mean[None], width).sum(-1)
    lp_truth = stats.norm.logpdf(truth, mean, width).sum(-1)
    return samples, truth, lp, lp_truth


def test_exact_posterior_has_diagonal_coverage():
    _, _, lp, lp_truth = _gaussian_case(1.0)
    cov = hpd_coverage(lp, lp_truth)
    assert cov["mean_abs_error"] < 0.03
    assert cov["coverage_68"] == pytest.approx(0.683, abs=0.05)
    assert cov["coverage_95"] == pytest.approx(0.954, abs=0.03)
    assert len(cov["alpha"]) == len(cov["coverage"]) == 101


def test_overconfident_posterior_undercovers():
    _, _, lp, lp_truth = _gaussian_case(0.5)
    cov = hpd_coverage(lp, lp_truth)
    assert cov["coverage_68"] < 0.4
    assert (np.array(cov["coverage"]) <= np.array(cov["alpha"]) + 0.01).all()


def test_tarp_of_exact_posterior_is_diagonal_and_passes_ks():
    samples, truth, _, _ = _gaussian_case(1.0)
    t = tarp(samples, truth, LOW, HIGH, seed=1, n_bootstrap=100)
    assert abs(t["atc"]) < 0.03 and t["ks_pvalue"] > 0.01
    lo, hi = np.array(t["band_95"])
    alpha = np.array(t["alpha"])
    assert (lo <= hi).all() and ((lo - 0.02 <= alpha) & (alpha <= hi + 0.02)).mean() > 0.95


def test_tarp_flags_an_underconfident_posterior():
    samples, truth, _, _ = _gaussian_case(2.0)
    t = tarp(samples, truth, LOW, HIGH, seed=1, n_bootstrap=20)
    assert t["ks_pvalue"] < 1e-3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tarp_atc_of_a_biased_posterior_is_positive_and_its_ks_test_flags_the_bias(seed):
    # The sign of the ATC separates under- from over-confidence; a bias is not over-confidence.
    rng = np.random.default_rng(seed)
    b = 2000
    mean = rng.uniform(-3, 3, size=(b, P))
    truth = mean + rng.normal(size=(b, P))
    samples = mean[None] + 1.0 + rng.normal(size=(N, b, P))  # right width, shifted by 1σ
    t = tarp(samples, truth, LOW, HIGH, seed=seed, n_bootstrap=10)
    assert 0.0 < t["atc"] < 0.06
    assert t["ks_pvalue"] < 1e-6
    shifted_2 = tarp(samples + 1.0, truth, LOW, HIGH, seed=seed, n_bootstrap=10)
    assert shifted_2["atc"] > t["atc"] and shifted_2["ks_pvalue"] < t["ks_pvalue"]


def test_sbc_ranks_and_ks_per_parameter():
    samples = np.arange(10, dtype=float)[:, None, None] * np.ones((10, 2, 1))
    out = sbc(samples, np.array([[2.5], [9.5]]), ("a",))
    assert out["ranks"] == [[3], [10]]
    samples, truth, _, _ = _gaussian_case(1.0)
    good = sbc(samples, truth, ("a", "b"))
    bad = sbc(samples + 1.0, truth, ("a", "b"))  # biased by one σ
    assert min(v["pvalue"] for v in good["ks"].values()) > 0.01
    assert max(v["pvalue"] for v in bad["ks"].values()) < 1e-6


def test_point_metrics_match_hand_computation():
    rng = np.random.default_rng(0)
    truth = rng.uniform(size=(50, 2))
    samples = truth[None] + 0.1 + rng.normal(size=(4000, 50, 2)) * np.array([0.2, 0.5])
    lp_truth = np.full(50, -1.5)
    lp_truth[0] = -np.inf
    m = point_metrics(samples, truth, lp_truth, ("a", "b"))
    assert m["nll"] == pytest.approx(1.5) and m["nll_infinite"] == 1
    assert m["params"]["a"]["posterior_std"] == pytest.approx(0.2, rel=0.03)
    assert m["params"]["a"]["bias_sigma"] == pytest.approx(0.5, abs=0.05)
    assert m["params"]["b"]["bias_sigma"] == pytest.approx(0.2, abs=0.05)
    assert m["params"]["a"]["rmse"] == pytest.approx(0.1, abs=0.01)
    sst = ((truth[:, 0] - truth[:, 0].mean()) ** 2).sum()
    assert m["params"]["a"]["r2"] == pytest.approx(1 - 50 * 0.1**2 / sst, abs=0.02)
    assert m["fom_median"] == pytest.approx(1 / (0.2 * 0.5), rel=0.05)


def test_metrics_json_is_written_atomically(tmp_path):
    path = write_metrics(tmp_path / "m" / "metrics.json", {"nll": 1.25, "nested": {"a": [1, 2]}})
    assert json.loads(path.read_text()) == {"nll": 1.25, "nested": {"a": [1, 2]}}
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]


def _evaluation(shift: float, width: float, seed: int = 0):
    """Gaussian posteriors around truth + shift·width for 400 test points, 2 parameters."""
    from cosmossl.inference.diagnostics import Evaluation

    rng = np.random.default_rng(seed)
    truth = rng.uniform(size=(400, 2))
    samples = truth[None] + width * (shift + rng.standard_normal((2000, 400, 2)))
    metrics = {
        "param_names": ["a", "b"],
        "coverage": {"coverage_68": 0.6, "coverage_95": 0.9, "mean_abs_error": 0.05 + shift},
        "nll": 1.0 + shift,
        "log_fom_mean": -2.0 * np.log(width),
    }
    return Evaluation(metrics, samples, truth)


def test_robustness_metrics_measure_the_bias_a_contamination_adds():
    from cosmossl.inference.diagnostics import robustness_metrics

    clean, shifted = _evaluation(0.0, 0.1), _evaluation(0.8, 0.2)
    m = robustness_metrics(clean, shifted)
    for name in ("a", "b"):
        p = m["params"][name]
        assert p["bias_sigma_clean"] == pytest.approx(0.0, abs=0.01)
        assert p["bias_sigma"] == pytest.approx(0.8, abs=0.01)
        assert p["shift_sigma"] == pytest.approx(0.8, abs=0.01)
        assert p["shift_sigma_se"] < 0.01  # paired: the shift is measured almost without noise
        assert p["std_ratio"] == pytest.approx(2.0, rel=0.01)
    assert m["fom_kept"] == pytest.approx(0.25)  # twice as wide in both parameters
    assert m["coverage_68_change"] == 0.0 and m["nll"] - m["nll_clean"] == pytest.approx(0.8)


def test_a_shift_across_a_narrow_degeneracy_is_large_jointly_and_small_marginally():
    from cosmossl.inference.diagnostics import Evaluation, robustness_metrics

    rng = np.random.default_rng(0)
    # Posteriors with correlation 0.99: marginal σ 1, the narrow direction (1, −1)/√2 has
    # σ = √0.01 = 0.1. The contamination moves the mean by 0.1 along it: 1σ jointly.
    cov = np.array([[1.0, 0.99], [0.99, 1.0]])
    noise = rng.multivariate_normal([0, 0], cov, size=(4000, 200))
    truth = np.zeros((200, 2))
    metrics = {
        "param_names": ["a", "b"],
        "nll": 0.0,
        "log_fom_mean": 0.0,
        "coverage": {"coverage_68": 0.68, "coverage_95": 0.95, "mean_abs_error": 0.0},
    }
    step = 0.1 * np.array([1.0, -1.0]) / np.sqrt(2)
    clean = Evaluation(metrics, noise, truth)
    shifted = Evaluation(metrics, noise + step, truth)
    m = robustness_metrics(clean, shifted)
    assert m["shift_joint_sigma"] == pytest.approx(1.0, rel=0.05)
    assert abs(m["params"]["a"]["shift_sigma"]) == pytest.approx(0.0707, rel=0.05)


def test_robustness_metrics_refuse_evaluations_of_different_test_points():
    from cosmossl.inference.diagnostics import robustness_metrics

    with pytest.raises(ValueError, match="differ in test points"):
        robustness_metrics(_evaluation(0.0, 0.1, seed=0), _evaluation(0.0, 0.1, seed=1))

"""The information check reports each summary's derivative-noise share and warns when it is
too large for the estimate to be read."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from cosmossl.information.check import information, noise_warning
from cosmossl.information.fisher import NOISE_SHARE_LIMIT


class LinearSimulator:
    """t = θ + ε(seed), ε ~ N(0, σ²): seed-matched derivatives are exact, F = I/σ²."""

    param_names = ("a", "b")
    fiducial = (1.0, 2.0)
    sigma = 0.1

    def simulate(self, theta: np.ndarray, seeds: list[int]) -> np.ndarray:
        noise = np.stack([np.random.default_rng(s).normal(size=2) for s in seeds])
        return np.asarray(theta) + self.sigma * noise

    def fisher_limit(self, theta: np.ndarray) -> np.ndarray:
        return np.eye(2) / self.sigma**2


@pytest.fixture
def simulator():
    return LinearSimulator()


def _identity(maps: np.ndarray) -> np.ndarray:
    return maps


def test_the_check_reports_the_noise_share_and_a_seed_matched_summary_is_quiet(simulator, caplog):
    with caplog.at_level(logging.WARNING, logger="cosmossl"):
        result = information(simulator, {"identity": _identity}, n_fiducial=40, n_derivative=20)
    share = result["summaries"]["identity"]["noise_share"]
    assert share == pytest.approx(0.0, abs=1e-9)
    assert not caplog.records


def test_a_summary_with_noisy_derivatives_gets_a_warning_naming_it(simulator, caplog):
    rng = np.random.default_rng(0)

    def unmatched(maps: np.ndarray) -> np.ndarray:  # noise that ignores the seeds
        return maps + rng.normal(scale=0.1, size=maps.shape)

    with caplog.at_level(logging.WARNING, logger="cosmossl"):
        result = information(simulator, {"noisy": unmatched}, n_fiducial=40, n_derivative=20)
    share = result["summaries"]["noisy"]["noise_share"]
    assert share > NOISE_SHARE_LIMIT
    assert [r.getMessage() for r in caplog.records] == [
        f"'noisy': derivative noise is {share:.2f} of its Fisher estimate (tr(F⁻¹B) above 0.3); "
        "its FoM fraction and interval are unreliable: raise [fisher] n_derivative (now 20)"
    ]


def test_no_warning_for_a_fisher_file_written_before_the_noise_share():
    assert noise_warning("encoder", {"fom_fraction": 0.9}, 500) is None

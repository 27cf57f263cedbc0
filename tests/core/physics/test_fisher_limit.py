"""The analytic limit's toolkit in 3D: the full FFT cube and the exact score of a box."""

from __future__ import annotations

import numpy as np
import pytest

from cosmossl.physics import fields, fisher_limit


def test_full_cube_k_holds_every_mode_of_the_cube():
    k = fisher_limit.full_plane_k(4, 2 * np.pi, ndim=3)
    assert k.shape == (4, 4, 4)
    assert k[0, 0, 0] == 0 and k[1, 2, 3] == pytest.approx(np.sqrt(1 + 4 + 1))
    np.testing.assert_allclose(fisher_limit.full_plane_k(6, 5.0), fisher_limit.full_plane_k(
        6, 5.0, ndim=2))  # fmt: skip


def test_score_of_a_box_vanishes_on_average_and_its_covariance_is_the_fisher_matrix():
    # A power law P = A k^n on an 8³ box: the score's covariance over boxes is F.
    n, box, theta = 8, 50.0, np.array([2.0, -1.5])
    k = fisher_limit.full_plane_k(n, box, ndim=3)

    def spectrum(t: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.where(k > 0, t[0] * np.where(k > 0, k, 1.0) ** t[1], 0.0)

    dlnp = fisher_limit.log_power_derivatives(spectrum, theta)
    limit = fisher_limit.field_fisher(dlnp)
    assert limit[0, 0] == pytest.approx((n**3 - 1) / (2 * theta[0] ** 2), rel=1e-6)
    half = fields.wavenumbers(n, box, ndim=3).numpy()
    power_half = theta[0] * np.where(half > 0, half, 1.0) ** theta[1]
    boxes = fields.gaussian_field(fields.white_noise(range(2000), n, ndim=3), power_half, box,
                                  ndim=3).double().numpy()  # fmt: skip
    score = fisher_limit.gaussian_score(boxes, spectrum(theta), dlnp, box)
    np.testing.assert_allclose(np.cov(score, rowvar=False), limit, rtol=0.1)
    assert np.abs(score.mean(0) / np.sqrt(np.diag(limit) / len(score))).max() < 4

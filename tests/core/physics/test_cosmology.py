"""The linear spectrum, slab projection and baryonic suppression against reference values."""

from __future__ import annotations

import numpy as np
import pytest

from cosmossl.physics import cosmology


def test_eh98_transfer_matches_reference_values():
    k = np.array([0.01, 0.1, 1.0, 10.0])
    expected = [0.77696, 0.12625, 4.3178e-3, 8.1831e-5]
    np.testing.assert_allclose(
        cosmology.transfer_eh98_no_wiggle(k, 0.3, 0.049, 0.6711), expected, rtol=2e-4
    )
    assert cosmology.sound_horizon_eh98(0.3, 0.049, 0.6711) == pytest.approx(152.13, abs=0.01)
    assert cosmology.alpha_gamma_eh98(0.3, 0.049, 0.6711) == pytest.approx(0.7934, abs=1e-4)


def test_linear_power_matches_reference_and_is_sigma8_normalised():
    power = cosmology.linear_power(
        np.array([0.1, 1.0]), 0.3, 0.8, 0.049, 0.6711, 0.9624, wiggles=False
    )
    np.testing.assert_allclose(power, [5.674e3, 60.86], rtol=1e-3)
    k = np.logspace(-4, 2, 4096)
    sigma2 = cosmology.tophat_sigma2(k, cosmology.linear_power(k, 0.25, 0.9))
    assert np.sqrt(sigma2) == pytest.approx(0.9, rel=1e-3)


def test_linear_power_is_batched_over_cosmologies():
    k = np.array([[0.1, 0.5], [1.0, 2.0]])
    batch = cosmology.linear_power(k, np.array([0.2, 0.4]), np.array([0.7, 0.9]))
    assert batch.shape == (2, 2, 2)
    np.testing.assert_allclose(batch[1], cosmology.linear_power(k, 0.4, 0.9))
    np.testing.assert_allclose(
        cosmology.linear_power(k, 0.3, 0.4) * 4, cosmology.linear_power(k, 0.3, 0.8)
    )


def test_eh98_with_wiggles_tends_to_one_on_large_scales_and_follows_the_no_wiggle_shape():
    assert cosmology.transfer_eh98(np.array([0.0, 1e-5]), 0.3)[0] == 1.0
    assert cosmology.transfer_eh98(np.array([1e-5]), 0.3)[0] == pytest.approx(1.0, abs=1e-4)
    # The wiggles oscillate about the smooth fit and are damped on small scales (Silk damping).
    k = np.logspace(-3, 1, 2000)
    ratio = cosmology.transfer_eh98(k, 0.3, 0.05, 0.7) / cosmology.transfer_eh98_no_wiggle(
        k, 0.3, 0.05, 0.7
    )
    assert np.abs(ratio[k < 0.005] - 1).max() < 0.01
    assert np.abs(ratio[k > 2.0] - 1).max() < 0.02
    bao = (k > 0.03) & (k < 0.3)
    assert ratio[bao].max() > 1.02 and ratio[bao].min() < 0.98
    assert np.count_nonzero(np.diff(np.sign(ratio[bao] - 1))) >= 4  # several oscillations


def test_eh98_wiggles_change_the_paper_spectrum_by_7_percent_at_omega_m_0_3_and_31_at_0_15():
    # The independent check: pyccl's EH98 with wiggles against our no-wiggle P(k).
    k = np.logspace(-3, 1, 4000)
    for omega_m, expected in ((0.3, 0.077), (0.15, 0.33)):
        wiggles = cosmology.linear_power(k, omega_m, 0.8, 0.05, 0.7, 0.96, wiggles=True)
        smooth = cosmology.linear_power(k, omega_m, 0.8, 0.05, 0.7, 0.96)
        assert np.abs(wiggles / smooth - 1).max() == pytest.approx(expected, abs=0.01)


def test_projected_power_differs_from_thick_slab_shortcut_by_0_43_at_fundamental():
    k_f = 2 * np.pi / 25.0
    p3d = lambda k: cosmology.linear_power(k, 0.3, 0.8)  # noqa: E731
    ratio = cosmology.projected_power(np.array([k_f]), p3d, 25.0, 5.0) / (p3d(k_f) / 5.0)
    assert ratio[0] == pytest.approx(0.43, abs=0.005)


def test_baryon_suppression_matches_reference_values():
    s = cosmology.baryon_suppression(np.array([1.0, 2.0, 10.0]), 14.08, 0.5)
    np.testing.assert_allclose(s, [0.868, 0.807, 0.818], atol=6e-4)
    assert cosmology.baryon_suppression(np.array([1e-3]))[0] == pytest.approx(1.0, abs=1e-6)


def test_baryon_suppression_broadcasts_over_feedback_values():
    k = np.array([0.5, 1.0, 5.0])
    s = cosmology.baryon_suppression(k[None, :], np.array([13.0, 15.0])[:, None], 0.5)
    assert s.shape == (2, 3)
    assert np.all(s[1] < s[0])  # more massive haloes lose gas: stronger suppression


def test_spk_suppression_matches_the_authors_package():
    # Reference values from the authors' py-SP(k) 2.0.1 (pip install pyspk):
    # sup_model(SO=200, z=0.125, fb_a=a, fb_pow=b, fb_pivot=10**13.5, k_array=k).
    k = np.array([0.3, 1.0, 2.0, 4.0, 8.0, 12.0])
    expected = {
        (0.43, 0.275): [0.9872, 0.9332, 0.8904, 0.8538, 0.8371, 0.8361],
        (0.2, 0.2): [0.9220, 0.8061, 0.7549, 0.7212, 0.7088, 0.7113],
        (0.6, 0.1): [0.9925, 0.9551, 0.9273, 0.9149, 0.9489, 1.0064],
        (0.6, 0.4): [0.9996, 0.9825, 0.9578, 0.9271, 0.8978, 0.8758],
    }
    for (fb_a, fb_pow), values in expected.items():
        np.testing.assert_allclose(cosmology.spk_suppression(k, fb_a, fb_pow), values, atol=2e-4)


def test_spk_suppression_is_one_on_large_scales_and_held_beyond_its_calibration():
    s = cosmology.spk_suppression(np.array([0.0, 1e-3, 12.0, 20.0]), 0.3, 0.2)
    assert s[0] == 1.0 and s[1] == pytest.approx(1.0, abs=1e-6)
    assert s[3] == s[2]


def test_spk_suppression_broadcasts_and_more_gas_in_haloes_means_less_suppression():
    k = np.array([1.0, 4.0])
    s = cosmology.spk_suppression(k[None, :], np.array([0.2, 0.6])[:, None], 0.2)
    assert s.shape == (2, 2)
    assert np.all(s[1] > s[0])


def test_feedback_to_st_fiducial_and_clipping_and_vectorised():
    assert tuple(map(float, cosmology.feedback_to_st(1, 1, 1, 1))) == (14.08, 0.5)
    mc, eta = cosmology.feedback_to_st(
        np.array([1.0, 0.25]), np.array([4.0, 4.0]), np.array([1.0, 1.0]), np.array([2.0, 1.0])
    )
    np.testing.assert_allclose(mc, [15.08, 15.5])  # 14.08 + 1 + 0.5 = 15.58 clips to 15.5
    np.testing.assert_allclose(eta, [0.5 * 2**0.6, 0.5])

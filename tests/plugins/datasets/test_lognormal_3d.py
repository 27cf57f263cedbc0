"""The built-in simulator's 3D geometry ('box'): volumes, statistics against powerbox, the exact
Fisher limit of the 3D field against an independent pixel-space computation (and, in
test_lognormal.py, against the covariance of the exact score), fresh volumes."""

from __future__ import annotations

import numpy as np
import powerbox
import pytest
import torch

import cosmossl
from cosmossl.physics import fields
from cosmossl.training.fresh import FreshMaps
from cosmossl_plugins.datasets.lognormal import Lognormal, map_seed

THETA = np.array([0.3, 0.8])


def make(**kwargs) -> Lognormal:
    return cosmossl.create("dataset", "lognormal", geometry="box", **kwargs)


def test_box_makes_volumes_of_32_voxels_per_side_by_default():
    dataset = make()
    assert dataset.meta.shape == (1, 32, 32, 32) and dataset.meta.spatial_dims == 3
    assert dataset.meta.box_size == 500.0  # Mpc/h
    assert dataset.meta.box_lengths == (500.0, 500.0, 500.0)
    volumes = make(n_pixels=8).simulate(THETA, range(3))
    assert volumes.shape == (3, 1, 8, 8, 8) and volumes.dtype == np.float32
    assert make(n_pixels=12).params.n_pixels == 12
    assert make(n_pixels=8).describe()["field"] == (
        "lognormal-paper, 8×8×8 voxels, 3D periodic box of 500 Mpc/h, P_lin"
    )


def test_box_spectrum_is_the_3d_linear_spectrum_itself():
    dataset = make(n_pixels=8, box_size=300.0)
    k = np.array([0.05, 0.1, 0.5])  # h/Mpc
    expected = dataset.linear_power(k, np.array([0.3]), np.array([0.8]))[0]
    np.testing.assert_allclose(dataset.target_power(THETA[None], None, k)[0], expected)


def test_a_volume_depends_only_on_seed_cosmology_and_realisation():
    small = make(n_cosmologies=3, n_simulations=2, n_pixels=8, batch_size=4).load(seed=5)
    large = make(n_cosmologies=3, n_simulations=4, n_pixels=8, batch_size=3).load(seed=5)
    rows = np.flatnonzero((large.cosmology_id == 2) & (np.arange(12) % 4 == 1))
    np.testing.assert_array_equal(small.maps[5], large.maps[rows[0]])
    again = make(n_pixels=8).simulate(small.params[5], [map_seed(5, 2, 1)])
    np.testing.assert_allclose(again[0], small.maps[5], atol=1e-6)


@pytest.mark.parametrize("field", ["lognormal-paper", "lognormal-exact", "gaussian"])
def test_simulate_tensor_gives_the_volumes_of_simulate(field):
    dataset = make(n_pixels=8, field=field)
    theta = np.array([[0.3, 0.8], [0.25, 0.9], [0.3, 0.8]])
    tensor = dataset.simulate_tensor(theta, [4, 5, 6])
    assert tensor.shape == (3, 1, 8, 8, 8)
    np.testing.assert_array_equal(tensor.numpy(), dataset.simulate(theta, [4, 5, 6]))


def test_paper_recipe_log_volume_is_gaussian_minus_half_its_sample_variance():
    dataset = make(n_pixels=16, box_size=200.0)
    log_map = dataset.simulate(THETA, [3])[0, 0].astype(np.float64)
    gaussian = make(n_pixels=16, box_size=200.0, field="gaussian").simulate(THETA, [3])[0, 0]
    np.testing.assert_allclose(log_map, gaussian - gaussian.var() / 2, atol=2e-6)


def test_box_statistics_match_powerbox_lognormal_boxes():
    # The exact recipe on both sides: powerbox's LogNormalPowerBox (Coles & Jones 1991 via
    # ξ_G = ln(1 + ξ)) and ours, with the same spectrum, 200 boxes each.
    n, box, count = 16, 200.0, 200
    dataset = make(n_pixels=n, box_size=box, field="lognormal-exact", transform="none")

    def pk(k):
        return dataset.target_power(THETA[None], None, k)[0]

    ours = dataset.simulate(THETA, range(count))[:, 0].astype(np.float64)
    theirs = np.stack([
        powerbox.LogNormalPowerBox(shape=(n,) * 3, pk=pk, size=(box,) * 3, seed=s,
                                   nthreads=1).delta_x()
        for s in range(count)
    ])  # fmt: skip
    bins = fields.PowerSpectrumBins(n, box, ndim=3)
    ours_p = bins.estimate(torch.from_numpy(ours)).numpy()
    theirs_p = bins.estimate(torch.from_numpy(theirs)).numpy()
    z = (ours_p.mean(0) - theirs_p.mean(0)) / np.sqrt((ours_p.var(0) + theirs_p.var(0)) / count)
    assert np.abs(z).max() < 4.0
    target = bins.average(torch.from_numpy(pk(fields.wavenumbers(n, box, ndim=3).numpy())))
    assert np.abs(ours_p.mean(0) / target.numpy() - 1).max() < 0.05
    # The one-point distribution: per-box quantiles of δ, averaged over boxes.
    q = [0.01, 0.1, 0.5, 0.9, 0.99]
    ours_q = np.quantile(ours.reshape(count, -1), q, axis=1).T
    theirs_q = np.quantile(theirs.reshape(count, -1), q, axis=1).T
    z = (ours_q.mean(0) - theirs_q.mean(0)) / np.sqrt((ours_q.var(0) + theirs_q.var(0)) / count)
    assert np.abs(z).max() < 4.0
    assert ours.min() > -1.0 and ours.std() == pytest.approx(theirs.std(), rel=0.02)
    assert ours_q.mean(0)[-1] > 3 * abs(ours_q.mean(0)[0])  # strongly skewed: not Gaussian


def _pixel_covariance(dataset: Lognormal, theta: np.ndarray) -> np.ndarray:
    """C[x, y] = ξ(x − y) of the Gaussian field, [n³, n³], from the spectrum on the full FFT cube
    (k = 0 removed: the volumes have zero mean)."""
    n, box = dataset.params.n_pixels, dataset.box_size
    freq = 2 * np.pi * np.fft.fftfreq(n, d=box / n)
    kx, ky, kz = np.meshgrid(freq, freq, freq, indexing="ij")
    power = dataset.target_power(theta[None], None, np.sqrt(kx**2 + ky**2 + kz**2))[0]
    power[0, 0, 0] = 0.0
    xi = np.fft.ifftn(power).real / (box / n) ** 3
    index = np.stack(np.unravel_index(np.arange(n**3), (n,) * 3), axis=1)
    lag = (index[:, None, :] - index[None, :, :]) % n
    return xi[lag[..., 0], lag[..., 1], lag[..., 2]]


def test_box_fisher_limit_equals_the_pixel_space_fisher_matrix():
    # Independent of the mode sum: F_ab = ½ tr(C⁺ ∂_a C C⁺ ∂_b C) with the dense covariance of
    # the 6³ voxels (C⁺: the pseudo-inverse, as the k = 0 mode is absent).
    dataset = make(field="gaussian", n_pixels=6, box_size=150.0, transform="none")
    cov = _pixel_covariance(dataset, THETA)
    inverse = np.linalg.pinv(cov, rcond=1e-10, hermitian=True)
    derivatives = []
    for a in range(2):
        step = np.zeros(2)
        step[a] = 1e-4 * THETA[a]
        plus, minus = (
            _pixel_covariance(dataset, THETA + step),
            _pixel_covariance(dataset, THETA - step),
        )
        derivatives.append(inverse @ (plus - minus) / (2 * step[a]))
    pixel = np.array([[0.5 * np.trace(da @ db) for db in derivatives] for da in derivatives])
    np.testing.assert_allclose(dataset.fisher_limit(THETA), pixel, rtol=1e-4)


def test_the_limit_of_a_box_counts_every_mode_of_the_full_cube():
    # A pure amplitude: P = A·P0 gives F_AA = (N³ − 1) / (2 A²) over the full FFT cube.
    dataset = make(field="gaussian", n_pixels=8, box_size=300.0)
    amplitude = dataset.fisher_limit(THETA)[1, 1] * (THETA[1] / 2) ** 2  # P ∝ σ_8²
    assert amplitude == pytest.approx((8**3 - 1) / 2, rel=1e-6)


def test_feedback_suppresses_small_scale_power_of_the_box():
    dataset = make(n_pixels=16, box_size=50.0, feedback=True, field="gaussian")
    weak, strong = np.array([[1.0, 0.25, 1.0, 1.0]]), np.array([[1.0, 4.0, 1.0, 1.0]])
    bins = fields.PowerSpectrumBins(16, 50.0, ndim=3)
    spectra = [
        bins.estimate(torch.from_numpy(dataset.simulate(THETA, range(20), nuisance)[:, 0])).mean(0)
        for nuisance in (weak, strong)
    ]
    ratio = (spectra[1] / spectra[0]).numpy()
    assert ratio[0] == pytest.approx(1.0, abs=0.02)  # same seeds: large scales unchanged
    assert ratio[-1] < 0.9  # stronger AGN: less small-scale power


def test_fresh_volumes_are_new_realisations_of_the_batch_cosmologies():
    dataset = make(n_cosmologies=4, n_simulations=1, n_pixels=8)
    mapset = dataset.load(seed=0)
    fresh = FreshMaps(
        dataset, mapset, "same-cosmology", views=2, seed=0, device=torch.device("cpu")
    )
    rows, volumes = fresh(epoch=0, step=0, rows=np.array([[0], [2]]))
    assert volumes.shape == (4, 1, 8, 8, 8)
    np.testing.assert_array_equal(rows, [[0, 0], [2, 2]])
    assert not torch.equal(volumes[0], volumes[1])
    assert not torch.equal(volumes[0], torch.from_numpy(mapset.maps[0]))

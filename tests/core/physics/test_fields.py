"""Gaussian and lognormal fields and the binned power spectrum estimator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cosmossl.physics import fields


def test_bins_count_every_full_plane_mode_once():
    bins = fields.PowerSpectrumBins(16, 10.0)
    assert bins.counts.sum().item() == 16 * 16 - 1
    assert bins.counts[0].item() == 8  # (±1, 0), (0, ±1), (±1, ±1)
    assert bins.k[0].item() == pytest.approx((4 + 4 * np.sqrt(2)) / 8 * 2 * np.pi / 10.0)


@pytest.mark.parametrize("n", [31, 32, 33, 100, 128])
def test_default_bins_keep_the_corner_mode_for_every_grid_size(n):
    # frac(√2·n/2) > 0.5 for n = 32, 100, 128: the corner (n/2, n/2) lay past the last edge.
    bins = fields.PowerSpectrumBins(n, 1.0)
    assert bins.counts.sum().item() == n * n - 1
    k_f = 2 * np.pi
    corner = k_f * np.sqrt(2.0) * (n // 2)
    assert bins.edges[-2].item() <= corner < bins.edges[-1].item()
    widths = np.diff(bins.edges.numpy()) / k_f
    np.testing.assert_allclose(widths[:-1], 1.0)  # width k_F, the last one widened if need be
    assert 1.0 <= widths[-1] < 2.0
    assert bins.counts.min().item() > 1  # no bin of the corner mode alone


@pytest.mark.parametrize(("ndim", "n", "box"), [(2, 32, 64.0), (3, 12, 30.0)], ids=["2d", "3d"])
def test_white_noise_has_flat_spectrum_sigma2_cell_size(ndim, n, box):
    maps = 3.0 * fields.white_noise(range(400), n, ndim=ndim)
    assert maps.shape == (400, *(n,) * ndim)
    bins = fields.PowerSpectrumBins(n, box, ndim=ndim)
    power = bins.estimate(maps).double().mean(0)
    expected = 9.0 * (box / n) ** ndim  # σ² ΔA, σ² ΔV
    tolerance = 5 * expected * torch.sqrt(1.0 / (bins.counts * 400))
    assert torch.all((power - expected).abs() < tolerance)


def test_gaussian_field_recovers_bin_averaged_input_spectrum():
    n, box, n_maps = 32, 100.0, 300
    k = fields.wavenumbers(n, box)
    model = 50.0 * (k + 0.1) ** -1.5
    maps = fields.gaussian_field(fields.white_noise(range(n_maps), n), model, box)
    assert maps.dtype == torch.float32
    assert maps.mean(dim=(-2, -1)).abs().max() < 1e-5  # k = 0 zeroed
    bins = fields.PowerSpectrumBins(n, box)
    power = bins.estimate(maps.double())
    expected = bins.average(model)
    z = (power.mean(0) - expected) / (expected * torch.sqrt(2.0 / bins.counts / n_maps))
    assert z.abs().max() < 4.5
    # the scatter between maps is the Gaussian Var = 2 P² / N_k
    ratio = power.var(0) / (2 * expected**2 / bins.counts)
    assert ratio[5:].mean().item() == pytest.approx(1.0, abs=0.1)


def test_white_noise_of_a_map_depends_only_on_its_seed():
    alone = fields.white_noise([7], 16)
    batch = fields.white_noise([3, 7, 9], 16)
    assert torch.equal(alone[0], batch[1])
    assert not torch.equal(batch[0], batch[1])


def test_paper_lognormal_log_map_is_gaussian_minus_half_sample_variance():
    g = fields.gaussian_field(fields.white_noise([1, 2], 32), torch.full((32, 17), 2.0), 32.0)
    delta = fields.lognormal_paper(g)
    var = g.var(dim=(-2, -1), unbiased=False, keepdim=True)
    torch.testing.assert_close(torch.log1p(delta), g - var / 2, atol=1e-5, rtol=1e-5)
    assert delta.mean(dim=(-2, -1)).abs().max() < 0.05


def test_exact_lognormal_recipe_reproduces_target_spectrum():
    n, box, n_maps = 32, 25.0, 1000
    k = fields.wavenumbers(n, box)
    target = 0.4 * (k + 0.3) ** -2.0
    power_g, variance = fields.lognormal_gaussian_power(target, box)
    g = fields.gaussian_field(fields.white_noise(range(n_maps), n), power_g, box)
    delta = fields.lognormal_exact(g, variance)
    bins = fields.PowerSpectrumBins(n, box, bin_width=2.0)
    relative = bins.estimate(delta.double()).mean(0) / bins.average(target) - 1
    assert relative.abs().max() < 0.04
    # without the correction (g drawn with the target spectrum) the bias is far larger
    g_naive = fields.gaussian_field(fields.white_noise(range(n_maps), n), target, box)
    naive = fields.lognormal_paper(g_naive)
    assert (bins.estimate(naive.double()).mean(0) / bins.average(target) - 1).abs().max() > 0.1


def test_log_bins_are_geometric_and_empty_bins_are_reported():
    bins = fields.PowerSpectrumBins(64, 100.0, log_bins=True, n_bins=8, k_min=0.1)
    ratios = bins.edges[1:] / bins.edges[:-1]
    torch.testing.assert_close(ratios, torch.full_like(ratios, ratios[0].item()))
    with pytest.raises(ValueError, match=r"power spectrum bin 0 .* holds no Fourier mode"):
        fields.PowerSpectrumBins(64, 100.0, log_bins=True, n_bins=40, k_min=0.01)


def test_estimator_rejects_maps_of_another_size():
    bins = fields.PowerSpectrumBins(16, 10.0)
    with pytest.raises(ValueError, match=r"made for 16×16 maps, got \(8, 8\)"):
        bins.estimate(torch.zeros(2, 8, 8))


def test_dense_and_scatter_binning_agree(monkeypatch):
    grid = torch.rand(3, 24, 13, dtype=torch.float64)
    dense = fields.PowerSpectrumBins(24, 50.0).average(grid)
    monkeypatch.setattr(fields, "_DENSE_LIMIT", 0)
    scatter = fields.PowerSpectrumBins(24, 50.0).average(grid)
    torch.testing.assert_close(dense, scatter)


# ---- 3D boxes (ndim = 3) -------------------------------------------------------------------


@pytest.mark.parametrize("n", [8, 9, 16])
def test_3d_bins_count_every_mode_of_the_full_cube_once(n):
    bins = fields.PowerSpectrumBins(n, 10.0, ndim=3)
    assert bins.counts.sum().item() == n**3 - 1
    assert bins.counts[0].item() == 6 + 12  # |k| = k_F (±1, 0, 0)… and √2 k_F (±1, ±1, 0)…
    corner = 2 * np.pi / 10.0 * np.sqrt(3.0) * (n // 2)
    assert bins.edges[-2].item() <= corner < bins.edges[-1].item()


def test_3d_gaussian_field_recovers_bin_averaged_input_spectrum():
    n, box, n_maps = 16, 100.0, 100
    k = fields.wavenumbers(n, box, ndim=3)
    assert k.shape == (n, n, n // 2 + 1)
    model = 500.0 * (k + 0.1) ** -1.5
    noise = fields.white_noise(range(n_maps), n, ndim=3)
    maps = fields.gaussian_field(noise, model, box, ndim=3)
    assert maps.dtype == torch.float32 and maps.shape == (n_maps, n, n, n)
    assert maps.mean(dim=(-3, -2, -1)).abs().max() < 1e-5  # k = 0 zeroed
    bins = fields.PowerSpectrumBins(n, box, ndim=3)
    power = bins.estimate(maps.double())
    expected = bins.average(model)
    z = (power.mean(0) - expected) / (expected * torch.sqrt(2.0 / bins.counts / n_maps))
    assert z.abs().max() < 4.5
    ratio = power.var(0) / (2 * expected**2 / bins.counts)  # Var = 2 P² / N_k
    assert ratio[3:].mean().item() == pytest.approx(1.0, abs=0.1)
    alone = fields.gaussian_field(noise[5:6], model, box, ndim=3)  # a box ignores its batch
    torch.testing.assert_close(alone[0], maps[5], rtol=0, atol=0)


def test_3d_exact_lognormal_recipe_reproduces_target_spectrum():
    n, box, n_maps = 16, 100.0, 200
    k = fields.wavenumbers(n, box, ndim=3)
    target = 100.0 * (k + 0.2) ** -2.0
    power_g, variance = fields.lognormal_gaussian_power(target, box, ndim=3)
    noise = fields.white_noise(range(n_maps), n, ndim=3)
    g = fields.gaussian_field(noise, power_g, box, ndim=3)
    delta = fields.lognormal_exact(g, variance, ndim=3)
    assert delta.min() > -1
    bins = fields.PowerSpectrumBins(n, box, ndim=3, bin_width=2.0)
    relative = bins.estimate(delta.double()).mean(0) / bins.average(target) - 1
    assert delta.std() > 0.9 and relative.abs().max() < 0.04
    # without the correction (g drawn with the target spectrum) the bias is far larger
    naive = fields.lognormal_paper(fields.gaussian_field(noise, target, box, ndim=3), ndim=3)
    assert (bins.estimate(naive.double()).mean(0) / bins.average(target) - 1).abs().max() > 0.5


def test_3d_map_variance_is_the_per_box_sample_variance():
    boxes = torch.randn(3, 6, 6, 6) * torch.tensor([1.0, 2.0, 3.0])[:, None, None, None]
    torch.testing.assert_close(
        fields.map_variance(boxes, ndim=3),
        boxes.double().var(dim=(-3, -2, -1), unbiased=False, keepdim=True).float(),
    )


def test_3d_estimator_rejects_boxes_of_another_size():
    bins = fields.PowerSpectrumBins(8, 10.0, ndim=3)
    with pytest.raises(ValueError, match=r"made for 8×8×8 maps, got \(6, 6, 6\)"):
        bins.estimate(torch.zeros(2, 6, 6, 6))

"""The systematic augmentations: noise, smoothing, masks, baryonic feedback."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import cosmossl
from cosmossl import MapMeta
from cosmossl.physics.cosmology import baryon_suppression


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_gaussian_noise_has_the_requested_amplitude():
    noise = cosmossl.create("augmentation", "gaussian-noise", sigma_min=0.5, sigma_max=0.5)
    maps = torch.zeros(4, 1, 64, 64)
    out = noise(maps, _gen())
    assert out.std().item() == pytest.approx(0.5, rel=0.02)


def test_gaussian_noise_relative_scales_with_each_maps_std():
    noise = cosmossl.create(
        "augmentation", "gaussian-noise", sigma_min=0.1, sigma_max=0.1, relative=True
    )
    maps = (
        torch.randn(2, 1, 64, 64, generator=_gen(1))
        * torch.tensor([1.0, 10.0])[:, None, None, None]
    )
    residual = noise(maps, _gen(2)) - maps
    assert residual[0].std().item() == pytest.approx(0.1, rel=0.05)
    assert residual[1].std().item() == pytest.approx(1.0, rel=0.05)


def test_gaussian_noise_rejects_an_inverted_range():
    with pytest.raises(
        cosmossl.ConfigError, match=r"sigma_max \(0.1\) must be ≥ sigma_min \(0.2\)"
    ):
        cosmossl.create("augmentation", "gaussian-noise", sigma_min=0.2, sigma_max=0.1)


def _second_moment(image: torch.Tensor) -> float:
    """Variance along x of a centred, periodic, normalised kernel image [H, W]."""
    w = image.shape[-1]
    x = torch.arange(w, dtype=torch.float64)
    x = torch.minimum(x, w - x)  # distance from pixel 0 on the circle
    profile = image.double().sum(dim=0)
    return float((profile * x**2).sum() / profile.sum())


def test_smoothing_applies_a_gaussian_beam_of_the_requested_fwhm():
    fwhm = 4.0
    smoothing = cosmossl.create("augmentation", "smoothing", fwhm_min=fwhm, fwhm_max=fwhm)
    delta = torch.zeros(1, 1, 64, 64)
    delta[0, 0, 0, 0] = 1.0
    beam = smoothing(delta, _gen())[0, 0]
    sigma = fwhm / (2 * math.sqrt(2 * math.log(2)))
    assert beam.sum().item() == pytest.approx(1.0, rel=1e-5)
    assert _second_moment(beam) == pytest.approx(sigma**2, rel=1e-3)


def test_smoothing_in_mpc_per_h_uses_the_pixel_size():
    meta = MapMeta(shape=(1, 32, 32), box_size=64.0)  # 2 Mpc/h pixels
    in_mpc = cosmossl.create(
        "augmentation", "smoothing", fwhm_min=6.0, fwhm_max=6.0, unit="Mpc/h", meta=meta
    )
    in_pixels = cosmossl.create("augmentation", "smoothing", fwhm_min=3.0, fwhm_max=3.0)
    maps = torch.randn(2, 1, 32, 32, generator=_gen(3))
    torch.testing.assert_close(in_mpc(maps, _gen()), in_pixels(maps, _gen()))


def test_smoothing_in_mpc_per_h_needs_a_box_size():
    with pytest.raises(cosmossl.ConfigError, match="unit 'Mpc/h' needs the maps' box size"):
        cosmossl.create("augmentation", "smoothing", unit="Mpc/h", meta=MapMeta(shape=(1, 8, 8)))


def test_mask_fills_the_requested_patches():
    mask = cosmossl.create(
        "augmentation", "mask", min_patches=1, max_patches=1, min_size=3, max_size=3, fill=-7.0
    )
    maps = torch.ones(5, 2, 16, 16)
    out = mask(maps, _gen())
    assert ((out == -7.0).sum(dim=(1, 2, 3)) == 2 * 9).all()  # one 3×3 patch in both channels
    assert torch.equal(out[:, 0] == -7.0, out[:, 1] == -7.0)
    assert set(out.unique().tolist()) == {-7.0, 1.0}


def test_mask_patch_count_varies_within_its_range():
    mask = cosmossl.create(
        "augmentation", "mask", min_patches=0, max_patches=3, min_size=1, max_size=1
    )
    masked = mask.masks(torch.Size((200, 1, 64, 64)), _gen(1), "cpu").sum(dim=(1, 2, 3))
    assert masked.min().item() == 0 and masked.max().item() == 3


def test_baryons_multiply_the_power_spectrum_by_the_suppression():
    box, n = 100.0, 64
    baryons = cosmossl.create(
        "augmentation",
        "baryons",
        a_sn1=(1.0, 1.0),
        a_agn1=(1.0, 1.0),
        a_sn2=(1.0, 1.0),
        a_agn2=(1.0, 1.0),
        meta=MapMeta(shape=(1, n, n), box_size=box),
    )
    maps = torch.randn(1, 1, n, n, generator=_gen(4), dtype=torch.float64)
    out = baryons(maps, _gen())
    ratio = (torch.fft.fft2(out).abs() ** 2 / torch.fft.fft2(maps).abs() ** 2)[0, 0].numpy()
    k = 2 * np.pi / box * np.hypot(*np.meshgrid(np.fft.fftfreq(n, 1 / n), np.fft.fftfreq(n, 1 / n)))
    np.testing.assert_allclose(ratio, baryon_suppression(k, 14.08, 0.5), rtol=1e-8)
    assert ratio[0, 0] == pytest.approx(1.0)  # the mean is kept
    assert baryon_suppression(k.max(), 14.08, 0.5) < 0.9  # and small scales lose power


def test_baryons_draw_feedback_log_uniformly_in_the_camels_ranges():
    baryons = cosmossl.create("augmentation", "baryons", meta=MapMeta((1, 8, 8), box_size=25.0))
    drawn = baryons.draw(4000, _gen(), "cpu")
    log_agn1 = np.log(drawn["a_agn1"])
    assert drawn["a_agn1"].min() >= 0.25 and drawn["a_agn1"].max() <= 4.0
    assert log_agn1.mean() == pytest.approx(0.0, abs=0.05)  # log-uniform: symmetric in log
    assert drawn["log10_mc"].std() > 0.1 and drawn["eta_b"].std() > 0.05


def test_baryons_need_a_box_size():
    with pytest.raises(cosmossl.ConfigError, match="'baryons' needs the maps' box size"):
        cosmossl.create("augmentation", "baryons", meta=MapMeta(shape=(1, 8, 8)))


def _suppressed(density: torch.Tensor, box: float) -> torch.Tensor:
    """The density filtered by sqrt(S(k)) at the feedback that the unit ranges give."""
    n = density.shape[-1]
    k = (
        2
        * np.pi
        / box
        * np.hypot(*np.meshgrid(np.fft.fftfreq(n, 1 / n), np.fft.rfftfreq(n, 1 / n), indexing="ij"))
    )
    factor = torch.as_tensor(np.sqrt(baryon_suppression(k, 14.08, 0.5)))
    return torch.fft.irfft2(torch.fft.rfft2(density) * factor, s=(n, n))


UNIT = {name: (1.0, 1.0) for name in ("a_sn1", "a_agn1", "a_sn2", "a_agn2")}


@pytest.mark.parametrize(
    ("content", "base"), [("log1p-overdensity", math.e), ("log10-density", 10.0)]
)
def test_baryons_suppress_the_density_of_log_maps(content, base):
    box, n = 100.0, 32
    meta = MapMeta(shape=(1, n, n), box_size=box, content=content)
    baryons = cosmossl.create("augmentation", "baryons", **UNIT, meta=meta)
    maps = 0.3 * torch.randn(2, 1, n, n, generator=_gen(4), dtype=torch.float64) + 5.0
    out = baryons(maps, _gen())
    expected = torch.log(_suppressed(base**maps, box)) / math.log(base)
    torch.testing.assert_close(out, expected, rtol=1e-9, atol=1e-9)
    # the mean density is kept, the log map's small-scale power drops
    torch.testing.assert_close((base**out).mean(dim=(-2, -1)), (base**maps).mean(dim=(-2, -1)))


def test_baryons_filter_linear_maps_as_they_are():
    box, n = 100.0, 32
    maps = torch.randn(2, 1, n, n, generator=_gen(4), dtype=torch.float64)
    for content in ("overdensity", "density", "counts", "other"):
        meta = MapMeta(shape=(1, n, n), box_size=box, content=content)
        out = cosmossl.create("augmentation", "baryons", **UNIT, meta=meta)(maps, _gen())
        torch.testing.assert_close(out, _suppressed(maps, box), rtol=1e-9, atol=1e-9)


def test_baryons_warn_when_the_content_is_unknown(caplog):
    with caplog.at_level("WARNING", logger="cosmossl.augmentations"):
        cosmossl.create("augmentation", "baryons", meta=MapMeta((1, 8, 8), box_size=25.0))
    assert "does not say what its maps hold (MapMeta.content)" in caplog.text


def test_baryons_keep_log_maps_finite_where_filtering_overshoots():
    box, n = 25.0, 32
    meta = MapMeta(shape=(1, n, n), box_size=box, content="log1p-overdensity")
    strong = {"a_sn1": (4.0, 4.0), "a_agn1": (4.0, 4.0), "a_sn2": (2.0, 2.0), "a_agn2": (2.0, 2.0)}
    baryons = cosmossl.create("augmentation", "baryons", **strong, meta=meta)
    maps = torch.full((1, 1, n, n), -3.0)
    maps[..., 5, 5] = 8.0  # one pixel 60,000 times denser than the rest
    out = baryons(maps, _gen())
    assert torch.isfinite(out).all() and out.min() >= -3.0 - 1e-5


# ---- 3D volumes ------------------------------------------------------------------------------


def test_smoothing_applies_the_beam_along_every_axis_of_a_volume():
    fwhm = 3.0
    smoothing = cosmossl.create("augmentation", "smoothing", fwhm_min=fwhm, fwhm_max=fwhm)
    delta = torch.zeros(1, 1, 24, 24, 24, dtype=torch.float64)
    delta[0, 0, 0, 0, 0] = 1.0
    beam = smoothing(delta, _gen())[0, 0]
    sigma = fwhm / (2 * math.sqrt(2 * math.log(2)))
    assert beam.sum().item() == pytest.approx(1.0, rel=1e-9)
    x = torch.arange(24, dtype=torch.float64)
    x = torch.minimum(x, 24 - x)  # distance from voxel 0 on the circle
    for axis in range(3):
        profile = beam.sum(dim=tuple(a for a in range(3) if a != axis))
        assert float((profile * x**2).sum()) == pytest.approx(sigma**2, rel=1e-3), axis


def test_mask_cuts_cubes_out_of_volumes():
    mask = cosmossl.create(
        "augmentation", "mask", min_patches=1, max_patches=1, min_size=3, max_size=3, fill=-7.0
    )
    out = mask(torch.ones(4, 2, 10, 10, 10), _gen())
    assert ((out == -7.0).sum(dim=(1, 2, 3, 4)) == 2 * 27).all()  # one 3×3×3 cube per channel
    masked = torch.nonzero(out[0, 0] == -7.0)
    assert all(len(masked[:, axis].unique()) == 3 for axis in range(3))


def test_gaussian_noise_on_volumes_scales_with_each_volumes_std():
    noise = cosmossl.create(
        "augmentation", "gaussian-noise", sigma_min=0.1, sigma_max=0.1, relative=True
    )
    maps = torch.randn(2, 1, 16, 16, 16, generator=_gen(1))
    maps = maps * torch.tensor([1.0, 10.0])[:, None, None, None, None]
    residual = noise(maps, _gen(2)) - maps
    assert residual[0].std().item() == pytest.approx(0.1, rel=0.05)
    assert residual[1].std().item() == pytest.approx(1.0, rel=0.05)


def test_baryons_multiply_the_3d_power_of_a_volume_by_the_suppression():
    box, n = 50.0, 16
    meta = MapMeta(shape=(1, n, n, n), box_size=box, content="overdensity")
    baryons = cosmossl.create("augmentation", "baryons", **UNIT, meta=meta)
    maps = torch.randn(1, 1, n, n, n, generator=_gen(4), dtype=torch.float64)
    out = baryons(maps, _gen())
    ratio = (torch.fft.fftn(out, dim=(-3, -2, -1)).abs() ** 2
             / torch.fft.fftn(maps, dim=(-3, -2, -1)).abs() ** 2)[0, 0].numpy()  # fmt: skip
    freq = np.fft.fftfreq(n, 1 / n)
    k = 2 * np.pi / box * np.sqrt(sum(a**2 for a in np.meshgrid(freq, freq, freq, indexing="ij")))
    np.testing.assert_allclose(ratio, baryon_suppression(k, 14.08, 0.5), rtol=1e-8)

"""The power-spectrum statistic component."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import cosmossl
from cosmossl import MapMeta


def test_shape_is_channels_times_bins_and_log10_of_flat_white_noise():
    meta = MapMeta(shape=(2, 32, 32), box_size=64.0)
    statistic = cosmossl.create("statistic", "power-spectrum", meta=meta, bin_width=2.0)
    generator = torch.Generator().manual_seed(0)
    maps = torch.randn(300, 2, 32, 32, generator=generator)
    out = statistic(maps)
    n_bins = statistic.bins.n_bins
    assert out.shape == (300, 2 * n_bins) and out.dtype == torch.float32
    # E[P̂] = σ² ΔA = 4 for unit white noise on 2 Mpc/h pixels
    mean_power = (10 ** out.double()).mean(0)
    assert mean_power.numpy() == pytest.approx(np.full(2 * n_bins, 4.0), rel=0.08)


def test_linear_output_and_log_bins():
    meta = MapMeta(shape=(1, 32, 32), box_size=100.0)
    statistic = cosmossl.create("statistic", "power-spectrum", meta=meta, log10=False,
                                log_bins=True, n_bins=6, k_min=0.1)  # fmt: skip
    maps = torch.randn(4, 1, 32, 32)
    assert statistic(maps).shape == (4, 6)
    assert torch.all(statistic(maps) > 0)
    assert statistic.k[0] > 0.1 and statistic.k[-1] < 0.1 * (statistic.bins.edges[-1] / 0.1)


def test_non_square_maps_are_refused():
    with pytest.raises(
        ValueError,
        match=r"power-spectrum needs square maps \(C, n, n\), got "
        r"\(1, 8, 16\)",
    ):
        cosmossl.create("statistic", "power-spectrum", meta=MapMeta(shape=(1, 8, 16)))


def test_volumes_get_the_3d_spectrum_of_flat_white_noise():
    meta = MapMeta(shape=(1, 12, 12, 12), box_size=24.0)  # 2 Mpc/h voxels
    statistic = cosmossl.create("statistic", "power-spectrum", meta=meta, bin_width=2.0)
    maps = torch.randn(100, 1, 12, 12, 12, generator=torch.Generator().manual_seed(0))
    out = statistic(maps)
    assert out.shape == (100, statistic.bins.n_bins)
    assert statistic.bins.counts.sum().item() == 12**3 - 1  # every mode of the cube
    # E[P̂] = σ² ΔV = 8 (Mpc/h)³ for unit white noise on 2 Mpc/h voxels
    assert (10 ** out.double()).mean(0).numpy() == pytest.approx(8.0, rel=0.08)


def test_non_cubic_volumes_are_refused():
    with pytest.raises(ValueError, match=r"power-spectrum needs cubic volumes, got \(1, 8, 8, 4\)"):
        cosmossl.create("statistic", "power-spectrum", meta=MapMeta(shape=(1, 8, 8, 4)))

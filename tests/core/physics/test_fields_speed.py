"""The CPU fast paths of cosmossl.physics.fields give the same maps as the plain batched way."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
import torch
from support.paths import REPO

import cosmossl
from cosmossl.physics import fields


def test_gaussian_field_in_chunks_equals_one_batched_transform(monkeypatch):
    n, box = 16, 20.0
    power = (fields.wavenumbers(n, box) + 0.3) ** -2.0
    noise = fields.white_noise(range(7), n)
    amplitude = torch.sqrt(power / (box / n) ** 2).float()
    amplitude[0, 0] = 0.0
    plain = torch.fft.irfft2(torch.fft.rfft2(noise) * amplitude, s=(n, n))
    monkeypatch.setattr(fields, "_CPU_CHUNK_PIXELS", 3 * n * n)  # chunks of 3, 3 and 1 map
    assert fields.cpu_chunk_size(n) == 3
    assert torch.equal(fields.gaussian_field(noise, power, box), plain)


def test_gaussian_field_of_a_lone_small_map_equals_it_in_a_batch():
    n, box = 16, 20.0  # the CPU FFT of one lone map this small takes another code path
    power = (fields.wavenumbers(n, box) + 0.3) ** -2.0
    batch = fields.gaussian_field(fields.white_noise([4, 5, 6], n), power, box)
    alone = fields.gaussian_field(fields.white_noise([5], n), power, box)
    assert torch.equal(alone[0], batch[1])


def test_map_variance_equals_torch_var():
    maps = 0.3 * fields.white_noise(range(5), 24) + 2.0
    expected = maps.var(dim=(-2, -1), unbiased=False, keepdim=True)
    variance = fields.map_variance(maps)
    assert variance.shape == (5, 1, 1) and variance.dtype == torch.float32
    torch.testing.assert_close(variance, expected, rtol=2e-7, atol=0.0)


def test_exp_minus_one_is_within_one_float32_ulp_including_small_values():
    x = torch.tensor([-3.0, -0.5, -1e-4, -1e-7, 0.0, 3e-8, 1e-5, 0.2, 4.0], dtype=torch.float32)
    exact = torch.expm1(x.double())
    got = fields.exp_minus_one(x)
    assert got.dtype == torch.float32
    ulp = torch.finfo(torch.float32).eps * exact.abs()
    assert torch.all((got.double() - exact).abs() <= ulp)


def test_lognormal_simulate_of_mixed_spectra_matches_maps_made_alone():
    data = cosmossl.create("dataset", "lognormal", n_pixels=16, transform="none",
                           field="lognormal-exact")  # fmt: skip
    theta = np.array([[0.3, 0.8], [0.25, 0.9], [0.3, 0.8]])
    batch = data.simulate(theta, [11, 12, 13])
    alone = data.simulate(theta[1], [12])
    np.testing.assert_array_equal(alone[0], batch[1])
    np.testing.assert_array_equal(data.simulate(theta[0], [13])[0], batch[2])


def test_simulator_benchmark_asks_for_the_bench_extra_without_powerbox(monkeypatch):
    path = REPO / "benchmarks" / "simulator.py"
    spec = importlib.util.spec_from_file_location("bench_simulator", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "powerbox", None)  # makes `import powerbox` fail
    with pytest.raises(SystemExit, match=r"pip install -e '\.\[bench\]'"):
        module.import_powerbox()


def test_bin_average_on_cpu_is_the_full_plane_mean_per_bin():
    n, box = 12, 30.0
    bins = fields.PowerSpectrumBins(n, box, bin_width=1.5)
    grid = torch.rand(3, n, n // 2 + 1, dtype=torch.float64)
    k = fields.wavenumbers(n, box).numpy()
    weight = np.broadcast_to(fields.full_plane_weights(n).numpy(), k.shape)
    edges = bins.edges.numpy()
    expected = np.empty((3, bins.n_bins))
    for b in range(bins.n_bins):
        inside = (k >= edges[b]) & (k < edges[b + 1]) & (k > 0)
        expected[:, b] = (grid.numpy()[:, inside] * weight[inside]).sum(-1) / weight[inside].sum()
    np.testing.assert_allclose(bins.average(grid).numpy(), expected, rtol=1e-12)
    assert bins.average(grid.float()).dtype == torch.float32

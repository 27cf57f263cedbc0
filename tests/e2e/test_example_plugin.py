"""The example plugin's components (PSF + pixel noise, the alignment-uniformity loss),
imported from its folder."""

from __future__ import annotations

import functools
import importlib
import sys

import pytest
import torch
from support.paths import REPO

import cosmossl

EXAMPLE = REPO / "examples/plugins/cosmossl-example"


@pytest.fixture
def example():
    sys.path.insert(0, str(EXAMPLE))
    try:
        yield (
            importlib.import_module("cosmossl_example.psf"),
            importlib.import_module("cosmossl_example.plugin"),
            importlib.import_module("cosmossl_example.align_uniform"),
        )
    finally:
        sys.path.remove(str(EXAMPLE))


def _maps() -> torch.Tensor:
    return torch.randn(4, 1, 32, 32, generator=torch.Generator().manual_seed(0))


def _power(maps: torch.Tensor, k_min: float) -> torch.Tensor:
    """Mean |FFT|² of the modes with |k| > k_min (radians per pixel)."""
    k = 2 * torch.pi * torch.fft.fftfreq(maps.shape[-1])
    high = (k[:, None] ** 2 + k[None, :] ** 2).sqrt() > k_min
    return (torch.fft.fft2(maps).abs() ** 2)[..., high].mean()


def test_psf_is_a_systematic_that_keeps_the_shape(example):
    psf_module = example[0]
    psf = psf_module.PSF()
    assert psf.role == "systematic"
    assert psf(_maps(), torch.Generator().manual_seed(1)).shape == (4, 1, 32, 32)


def test_psf_is_reproducible_from_the_generator(example):
    psf = example[0].PSF()
    first = psf(_maps(), torch.Generator().manual_seed(2))
    assert torch.equal(first, psf(_maps(), torch.Generator().manual_seed(2)))
    assert not torch.equal(first, psf(_maps(), torch.Generator().manual_seed(3)))


def test_psf_smooths_power_at_high_k(example):
    psf = example[0].PSF(example[0].PSF.Params(fwhm_min=3.0, fwhm_max=3.0, noise=0.0))
    maps = _maps()
    out = psf(maps, torch.Generator().manual_seed(4))
    assert _power(out, 2.0) < 0.05 * _power(maps, 2.0)
    assert _power(out, 0.0).item() > 0.0
    torch.testing.assert_close(out.mean(dim=(-2, -1)), maps.mean(dim=(-2, -1)))


def test_psf_adds_pixel_noise_of_the_requested_amplitude(example):
    psf = example[0].PSF(example[0].PSF.Params(fwhm_min=0.0, fwhm_max=0.0, noise=0.3))
    maps = torch.zeros(2, 1, 64, 64)
    out = psf(maps, torch.Generator().manual_seed(5))
    assert out.std().item() == pytest.approx(0.3, rel=0.03)


def test_plugin_hook_registers_the_psf_and_the_loss(example):
    psf_module, plugin, align_uniform = example
    registry = cosmossl.Registry()
    plugin.register_components(registry)
    assert registry.load("augmentation", "example-psf") is psf_module.PSF
    assert "Systematic" in registry.get("augmentation", "example-psf").summary
    assert registry.load("loss", "example-align-uniform") is align_uniform.AlignUniform


def test_loss_keeps_the_contract_of_the_testing_kit(example):
    from cosmossl.testing import check_loss

    loss = example[2].AlignUniform
    out = check_loss(functools.partial(loss, loss.Params(warmup=0.5)))
    assert set(out.terms) == {"alignment", "uniformity"}


def test_loss_alignment_weight_ramps_over_the_warmup(example):
    loss = example[2].AlignUniform(example[2].AlignUniform.Params(warmup=0.5), summary_dim=4)
    views = torch.randn(6, 2, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 4))
    start = loss(encoder, views)
    assert start.loss.item() == pytest.approx(start.terms["uniformity"].item(), rel=1e-5)
    loss.after_step(encoder, step=1, total_steps=10)  # 2 of 10 steps: 40% of the warm-up
    assert loss.progress.item() == pytest.approx(0.2)
    ramping = loss(encoder, views)
    expected = 0.4 * ramping.terms["alignment"] + ramping.terms["uniformity"]
    assert ramping.loss.item() == pytest.approx(expected.item(), rel=1e-5)
    loss.after_step(encoder, step=4, total_steps=10)  # the end of the warm-up: full weight
    full = loss(encoder, views)
    expected = full.terms["alignment"] + full.terms["uniformity"]
    assert full.loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_psf_and_the_loss_train_an_encoder_in_a_short_run(example, tmp_path):
    import math

    from support.training import tiny_mapset

    from cosmossl import TrainSettings
    from cosmossl.config import PairingSettings
    from cosmossl.training import train_components

    mapset = tiny_mapset()
    torch.manual_seed(0)
    encoder = cosmossl.create("encoder", "cnn", width=4, depth=2, input_shape=(1, 16, 16))
    loss = example[2].AlignUniform(summary_dim=16)
    psf = example[0].PSF(meta=mapset.meta)
    result = train_components(
        mapset,
        encoder,
        loss,
        run_dir=tmp_path,
        augmentations=[psf],
        settings=TrainSettings(epochs=2, batch_size=4, tensorboard=False),
        pairing=PairingSettings(views=2, level="same-cosmology"),
        seed=0,
        device="cpu",
        progress=False,
    )
    assert result.steps == 4 and result.epochs == 2
    assert all(math.isfinite(epoch["train_loss"]) for epoch in result.history)


@pytest.mark.slow
def test_the_installed_psf_is_a_robustness_contamination_with_no_extra_code(tmp_path, monkeypatch):
    from support.plugins import pip_install

    from cosmossl.config.run_file import parse_run_config
    from cosmossl.job.run import run

    target = tmp_path / "site"
    pip_install(EXAMPLE, target)
    monkeypatch.syspath_prepend(str(target))
    cosmossl.reset_plugins()
    psf = {"type": "example-psf", "fwhm_min": 2.0, "fwhm_max": 2.0, "noise": 0.05}
    raw = {
        "name": "psf", "seed": 0, "device": "cpu",
        "dataset": {"type": "lognormal", "n_cosmologies": 40, "n_simulations": 4, "n_pixels": 16},
        "statistic": {"type": "power-spectrum"},
        "backend": {"type": "lampe", "max_epochs": 5, "transforms": 1, "hidden": [16]},
        "inference": {"n_samples": 100, "n_bootstrap": 5, "plots": False},
        "fisher": {"enabled": False},
        "robustness": {"contaminations": [{"augmentation": psf}]},
    }  # fmt: skip
    result = run(parse_run_config(raw, source="psf.toml"), run_dir=tmp_path / "run", progress=False)
    entry = cosmossl.registry().get("augmentation", "example-psf")
    assert entry.provider.distribution == "cosmossl-example"
    params = result.robustness["power-spectrum"]["contaminations"]["example-psf"]["params"]
    # A beam removes small-scale power: the power spectrum's posterior moves, measurably.
    assert max(abs(p["shift_sigma"]) / p["shift_sigma_se"] for p in params.values()) > 3
    assert "| example-psf |" in (tmp_path / "run" / "report.md").read_text()

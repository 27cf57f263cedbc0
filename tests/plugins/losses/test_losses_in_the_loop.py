"""Every built-in loss trains with the built-in encoder and augmentations in the training loop."""

from __future__ import annotations

import math

import pytest
import torch
from support.training import tiny_mapset

import cosmossl
from cosmossl import TrainSettings
from cosmossl.config import PairingSettings
from cosmossl.training import load_checkpoint, train_components


def _train(run_dir, loss_name: str, **kwargs):
    mapset = tiny_mapset()
    torch.manual_seed(0)
    encoder = cosmossl.create("encoder", "cnn", width=4, depth=2, input_shape=(1, 16, 16))
    loss = cosmossl.create("loss", loss_name, summary_dim=16, param_dim=2)
    augmentations = [
        cosmossl.create("augmentation", name, meta=mapset.meta)
        for name in ("d4", "roll", "gaussian-noise", "smoothing", "mask", "baryons")
    ]
    result = train_components(
        mapset,
        encoder,
        loss,
        run_dir=run_dir,
        augmentations=augmentations,
        settings=TrainSettings(epochs=2, batch_size=4, tensorboard=False),
        pairing=PairingSettings(views=2, level="same-cosmology"),
        seed=0,
        device="cpu",
        progress=False,
        **kwargs,
    )
    return result, encoder, loss


@pytest.mark.parametrize(
    "name", ["vicreg", "simclr", "barlow", "byol", "supervised", "vmim", "mse", "moments"]
)
def test_loss_trains_in_the_loop(tmp_path, name):
    result, _, _ = _train(tmp_path, name)
    assert result.steps == 4
    assert all(math.isfinite(epoch["train_loss"]) for epoch in result.history)


def test_byol_resume_restores_the_ema_target(tmp_path):
    full, _, full_loss = _train(tmp_path / "full", "byol")
    _train(tmp_path / "cut", "byol", stop_after_steps=3)
    resumed, _, resumed_loss = _train(tmp_path / "cut", "byol", resume=True)
    assert resumed.steps == full.steps == 4
    part = load_checkpoint(resumed.last_checkpoint).part("loss")
    assert any(key.startswith("target_encoder.") for key in part)
    for key, value in full_loss.state_dict().items():
        torch.testing.assert_close(resumed_loss.state_dict()[key], value, msg=key)


def test_imnn_trains_on_the_simulators_fiducial_maps_and_raises_its_information(tmp_path):
    sim = cosmossl.create("dataset", "lognormal", n_cosmologies=12, n_simulations=2,
                          n_pixels=16, split=(0.5, 0.25, 0.25))  # fmt: skip
    mapset = sim.load(seed=0)
    torch.manual_seed(0)
    encoder = cosmossl.create("encoder", "cnn", summary_dim=4, width=4, depth=2, hidden_dim=16,
                              input_shape=mapset.meta.shape)  # fmt: skip
    loss = cosmossl.create("loss", "imnn", n_fiducial=32, n_derivative=8, summary_dim=4,
                           param_dim=2)  # fmt: skip
    result = train_components(
        mapset, encoder, loss, run_dir=tmp_path,
        settings=TrainSettings(epochs=4, steps_per_epoch=5, batch_size=4, lr=3e-3,
                               tensorboard=False),
        seed=0, device="cpu", progress=False, fiducial_simulator=sim,
    )  # fmt: skip
    assert result.steps == 20 and result.history[-1]["maps_seen"] == 20 * (32 + 2 * 2 * 8)
    # Its loss falls as the summary learns the fiducial point's information.
    losses = [epoch["train_loss"] for epoch in result.history]
    assert losses[-1] < losses[0]

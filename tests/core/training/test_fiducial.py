"""A loss's declared training data: simulations at the fiducial point, made by the loop from the
dataset's simulator at every step (seed-matched, deterministic, sharded, fixed for validation)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support.training import weights
from torch import nn

import cosmossl
from cosmossl import (
    ConfigError,
    FiducialBatch,
    FiducialSimulations,
    Loss,
    LossOutput,
    TrainingData,
    TrainSettings,
)
from cosmossl.config import PairingSettings
from cosmossl.data import Standardizer
from cosmossl.nn import gather_with_grad
from cosmossl.training import train_components
from cosmossl.training.fiducial import FiducialMaps

DESIGN = FiducialSimulations(n_fiducial=6, n_derivative=4, step=0.05, stencil=3)


def simulator():
    return cosmossl.create(
        "dataset", "lognormal", n_cosmologies=12, n_simulations=2, n_pixels=16,
        split=(0.5, 0.25, 0.25),
    )  # fmt: skip


class FiducialProbe(Loss):
    """A third-party-style loss that trains on fiducial simulations only and records them."""

    @classmethod
    def training_data(cls, params):
        return TrainingData(views=False, fiducial=DESIGN)

    def __init__(self, params=None, *, summary_dim, param_dim=None):
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        self.seen: list[tuple[torch.Tensor | None, FiducialBatch, bool]] = []

    def forward(self, encoder, views, theta=None, *, fiducial=None):
        self.seen.append((views, fiducial, self.training))
        summaries, derivatives = fiducial.encode(encoder)
        every = gather_with_grad(summaries)
        loss = every.var(dim=0).sub(1).pow(2).sum() - derivatives.mean(dim=1).pow(2).sum()
        return LossOutput(loss=loss, embeddings=summaries.detach())


def _fiducial_maps(rank: int = 0, world: int = 1, design=DESIGN) -> FiducialMaps:
    scale = Standardizer(np.array([0.3, 0.8]), np.array([0.1, 0.05]))
    return FiducialMaps(simulator(), design, scale, 0, torch.device("cpu"), rank, world)


def _identity(maps, key):
    return maps


def _train(run_dir, *, augmentations=(), fiducial=True, **kwargs):
    sim = simulator()
    mapset = sim.load(seed=0)
    torch.manual_seed(0)
    encoder = cosmossl.create("encoder", "cnn", summary_dim=3, width=4, depth=2, hidden_dim=8,
                              input_shape=mapset.meta.shape)  # fmt: skip
    loss = FiducialProbe(summary_dim=3, param_dim=2)
    result = train_components(
        mapset, encoder, loss, run_dir=run_dir,
        augmentations=[cosmossl.create("augmentation", a, meta=mapset.meta) for a in augmentations],
        settings=TrainSettings(epochs=2, batch_size=4, tensorboard=False),
        pairing=PairingSettings(views=2), seed=0, device="cpu", progress=False,
        fiducial_simulator=sim if fiducial else None, **kwargs,
    )  # fmt: skip
    return result, encoder, loss


def test_batch_holds_the_fiducial_maps_and_seed_matched_shifted_maps():
    fiducial = _fiducial_maps()
    batch = fiducial("train", 0, 0, _identity)
    assert batch.fiducial.shape == (6, 1, 16, 16) and batch.shifted.shape == (2, 2, 4, 1, 16, 16)
    sim = simulator()
    theta, delta = sim.fiducial, 0.05 * np.abs(sim.fiducial)
    seeds = fiducial.seeds("train", 0, 0, 1)
    plus = theta + np.array([delta[0], 0.0])
    expected = sim.simulate(np.tile(plus, (4, 1)), seeds)
    np.testing.assert_array_equal(batch.shifted[0, 0].numpy(), expected)
    # θ and δ in the standardised units the loss sees θ in.
    torch.testing.assert_close(batch.theta, torch.tensor((theta - [0.3, 0.8]) / [0.1, 0.05],
                                                         dtype=torch.float32))  # fmt: skip
    torch.testing.assert_close(batch.delta, torch.tensor(delta / [0.1, 0.05], dtype=torch.float32))
    # Seed-matched: the two sides of a derivative differ only by the step.
    for i in range(4):
        pair = torch.stack([batch.shifted[0, 0, i].flatten(), batch.shifted[0, 1, i].flatten()])
        assert torch.corrcoef(pair.double())[0, 1] > 0.95
    assert len(set(seeds) | set(fiducial.seeds("train", 0, 0, 0))) == 10


def test_maps_are_a_function_of_split_epoch_and_step():
    fiducial = _fiducial_maps()
    first = fiducial("train", 3, 5, _identity)
    assert torch.equal(first.fiducial, fiducial("train", 3, 5, _identity).fiducial)
    assert not torch.equal(first.fiducial, fiducial("train", 3, 6, _identity).fiducial)
    assert not torch.equal(first.fiducial, fiducial("val", 3, 5, _identity).fiducial)


def test_two_processes_simulate_together_what_one_simulates():
    whole = _fiducial_maps()("train", 1, 2, _identity)
    parts = [_fiducial_maps(rank, 2)("train", 1, 2, _identity) for rank in (0, 1)]
    assert torch.equal(whole.fiducial, torch.cat([p.fiducial for p in parts]))
    assert torch.equal(whole.shifted, torch.cat([p.shifted for p in parts], dim=2))


def test_counts_that_processes_cannot_share_are_refused():
    with pytest.raises(ConfigError, match=r"n_fiducial = 6 and n_derivative = 4 .* by 4 "
                                          r"processes: use multiples of 4"):  # fmt: skip
        _fiducial_maps(0, 4)


def test_the_loop_gives_a_loss_the_simulations_it_declared_and_no_views(tmp_path):
    result, _, loss = _train(tmp_path)
    train = [(views, batch) for views, batch, training in loss.seen if training]
    assert len(train) == result.steps == 2 and all(views is None for views, _ in train)
    assert not torch.equal(train[0][1].fiducial, train[1][1].fiducial)
    validation = [batch for _, batch, training in loss.seen if not training]
    # The same validation simulations at every epoch.
    assert len(validation) == 2 and torch.equal(validation[0].fiducial, validation[1].fiducial)
    assert result.history[-1]["maps_seen"] == 2 * (6 + 2 * 2 * 4)


def test_the_maps_of_a_derivative_seed_draw_the_same_augmentation(tmp_path):
    _, _, loss = _train(tmp_path, augmentations=("d4",))
    batch = next(batch for _, batch, training in loss.seen if training)
    for a in range(2):
        for i in range(4):
            pair = torch.stack([batch.shifted[a, 0, i].flatten(), batch.shifted[a, 1, i].flatten()])
            assert torch.corrcoef(pair.double())[0, 1] > 0.95


def test_training_on_fiducial_simulations_resumes_exactly(tmp_path):
    _, full, _ = _train(tmp_path / "full")
    first, _, _ = _train(tmp_path / "cut", stop_after_steps=1)
    assert first.interrupted
    _, resumed, _ = _train(tmp_path / "cut", resume=True)
    for key, value in weights(full).items():
        assert torch.equal(value, weights(resumed)[key]), key


def test_a_loss_that_needs_simulations_without_a_simulator_is_a_config_error(tmp_path):
    message = r"FiducialProbe trains on 6 fiducial maps and 4 seed-matched .* no simulator"
    with pytest.raises(ConfigError, match=message):
        _train(tmp_path, fiducial=False)


def test_training_data_must_hold_something_and_sensible_counts():
    with pytest.raises(ValueError, match="a loss must train on something"):
        TrainingData(views=False)
    with pytest.raises(ValueError, match="n_fiducial ≥ 2 and n_derivative ≥ 2"):
        FiducialSimulations(n_fiducial=1, n_derivative=4)
    with pytest.raises(ValueError, match="stencil must be one of"):
        FiducialSimulations(n_fiducial=4, n_derivative=4, stencil=4)


def test_fiducial_batch_encodes_every_map_in_one_call():
    calls = []

    class Counting(nn.Module):
        def forward(self, maps):
            calls.append(len(maps))
            return maps.flatten(1)[:, :2]

    batch = _fiducial_maps()("train", 0, 0, _identity)
    summaries, derivatives = batch.encode(Counting())
    assert calls == [6 + 2 * 2 * 4]
    assert summaries.shape == (6, 2) and derivatives.shape == (2, 4, 2)

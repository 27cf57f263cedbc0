"""Training on fresh realisations: new maps every step, deterministic, exact on resume, sharded."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support.training import TinyLoss, tiny_components, tiny_mapset, weights

import cosmossl
from cosmossl import ConfigError, TrainSettings
from cosmossl.config import PairingSettings
from cosmossl.training import train_components
from cosmossl.training.fresh import FreshMaps, fresh_simulator

FAST = {"batch_size": 4, "lr": 1e-2, "tensorboard": False, "log_every": 1, "epochs": 2}


def simulator(feedback: bool = False):
    return cosmossl.create(
        "dataset", "lognormal", n_cosmologies=12, n_simulations=2, n_pixels=16, feedback=feedback,
        split=(0.5, 0.25, 0.25),
    )  # fmt: skip


def _train(run_dir, sim, *, seed=0, views=2, level="same-cosmology", spy=None, **kwargs):
    mapset = sim.load(seed=seed)
    torch.manual_seed(seed)
    encoder = cosmossl.create("encoder", "cnn", summary_dim=4, width=4, depth=2, hidden_dim=8,
                              input_shape=mapset.meta.shape)  # fmt: skip
    loss = TinyLoss(summary_dim=4, param_dim=2)
    if spy is not None:
        forward = loss.forward

        def spying(encoder, views, theta=None):
            if loss.training:
                spy.append(views.detach().clone())
            return forward(encoder, views, theta)

        loss.forward = spying
    result = train_components(
        mapset,
        encoder,
        loss,
        run_dir=run_dir,
        settings=TrainSettings(**{**FAST, **kwargs.pop("settings", {})}),
        pairing=PairingSettings(views=views, level=level),
        seed=seed,
        device="cpu",
        progress=False,
        simulator=sim,
        **kwargs,
    )
    return result, mapset, encoder


def test_every_step_sees_maps_it_never_saw_before(tmp_path):
    seen: list[torch.Tensor] = []
    result, mapset, _ = _train(tmp_path, simulator(), spy=seen, settings={"standardize": False})
    assert result.steps == len(seen) == 2 * (6 // 4)
    maps = torch.cat([v.flatten(0, 1) for v in seen])  # [steps·B·V, 1, 16, 16]
    flat = maps.flatten(1)
    # No map is repeated, and none is a stored training map.
    assert torch.unique(flat.abs().sum(1).round(decimals=3)).numel() == len(flat)
    stored = torch.from_numpy(mapset.read(mapset.indices("train"))).flatten(1)
    assert not np.isin(
        flat.abs().sum(1).round(decimals=3).numpy(), stored.abs().sum(1).round(decimals=3).numpy()
    ).any()


def test_views_of_a_row_are_realisations_of_its_cosmology():
    sim = simulator()
    mapset = sim.load(seed=0)
    fresh = FreshMaps(sim, mapset, "same-cosmology", views=3, seed=0, device=torch.device("cpu"))
    rows = mapset.indices("train")[:4, None]
    out_rows, maps = fresh(0, 0, rows)
    assert out_rows.shape == (4, 3) and maps.shape == (12, 1, 16, 16)
    seeds = fresh.seeds(0, 0, 4)
    expected = sim.simulate(np.repeat(mapset.params[rows[:, 0]], 3, 0), seeds.reshape(-1))
    np.testing.assert_array_equal(maps.numpy(), expected)
    assert len(set(seeds.reshape(-1).tolist())) == 12


def test_two_processes_draw_together_what_one_draws():
    sim = simulator()
    mapset = sim.load(seed=0)
    rows = mapset.indices("train")[:4, None]

    def fresh(first_row: int) -> FreshMaps:
        return FreshMaps(sim, mapset, "same-cosmology", 2, 0, torch.device("cpu"), first_row)

    _, whole = fresh(0)(1, 2, rows)
    _, first = fresh(0)(1, 2, rows[:2])
    _, second = fresh(2)(1, 2, rows[2:])
    assert torch.equal(whole, torch.cat([first, second]))


@pytest.mark.parametrize(
    ("level", "shared"), [("same-simulation", True), ("same-cosmology", False)]
)
def test_nuisance_draws_follow_the_pairing_level(level, shared):
    sim = simulator(feedback=True)
    fresh = FreshMaps(sim, sim.load(seed=0), level, 2, 0, torch.device("cpu"))
    nuisance = fresh.nuisance(0, 0, 3).reshape(3, 2, 4)
    assert np.array_equal(nuisance[:, 0], nuisance[:, 1]) is shared
    low, high = np.array([sim.feedback_priors[n] for n in ("A_SN1", "A_AGN1", "A_SN2", "A_AGN2")]).T
    assert np.all((nuisance >= low) & (nuisance <= high))


def test_paired_views_share_the_noise_seed_and_draw_their_own_feedback():
    sim = simulator(feedback=True)
    mapset = sim.load(seed=0)
    fresh = FreshMaps(sim, mapset, "paired", 2, 0, torch.device("cpu"))
    seeds = fresh.seeds(0, 0, 3)
    assert (seeds[:, 0] == seeds[:, 1]).all() and len(set(seeds[:, 0].tolist())) == 3
    nuisance = fresh.nuisance(0, 0, 3).reshape(3, 2, 4)
    assert not np.isclose(nuisance[:, 0], nuisance[:, 1]).any()
    _, maps = fresh(0, 0, mapset.indices("train")[:3, None])
    pairs = maps.reshape(3, 2, -1).double()
    # Same initial conditions, other feedback: the two views differ, but only slightly.
    assert not torch.equal(pairs[:, 0], pairs[:, 1])
    for first, second in pairs:
        assert torch.corrcoef(torch.stack([first, second]))[0, 1] > 0.9


def test_a_paired_fraction_mixes_paired_and_across_simulation_rows():
    sim = simulator(feedback=True)
    mapset = sim.load(seed=0)
    fresh = FreshMaps(sim, mapset, "paired", 2, 0, torch.device("cpu"), paired_fraction=0.3)
    seeds = np.concatenate([fresh.seeds(0, step, 200) for step in range(5)])
    shared = seeds[:, 0] == seeds[:, 1]
    assert shared.mean() == pytest.approx(0.3, abs=0.05)
    np.testing.assert_array_equal(seeds, np.concatenate([fresh.seeds(0, s, 200) for s in range(5)]))
    # Rows of another process draw the same choice for the same global row.
    second = FreshMaps(sim, mapset, "paired", 2, 0, torch.device("cpu"), first_row=100,
                       paired_fraction=0.3)  # fmt: skip
    np.testing.assert_array_equal(second.seeds(0, 0, 100), fresh.seeds(0, 0, 200)[100:])
    nuisance = fresh.nuisance(0, 0, 200).reshape(200, 2, 4)
    assert not np.isclose(nuisance[:, 0], nuisance[:, 1]).any()  # every view its own feedback


@pytest.mark.filterwarnings("ignore:view sampler")
def test_a_paired_fraction_needs_the_paired_level_and_fresh_maps(tmp_path):
    with pytest.raises(ValueError, match=r"paired_fraction = 0.5 mixes paired and "
                                         r"across-simulation positives: it needs level = "
                                         r"'paired' \(got 'same-cosmology'\)"):  # fmt: skip
        PairingSettings(paired_fraction=0.5)
    sim = simulator(feedback=True)
    mapset = sim.load(seed=0)
    encoder = cosmossl.create("encoder", "cnn", summary_dim=4, width=4, depth=2, hidden_dim=8,
                              input_shape=mapset.meta.shape)  # fmt: skip
    with pytest.raises(ConfigError, match=r"\[pairing\] paired_fraction = 0.5 mixes positives "
                                          r"of fresh training maps"):  # fmt: skip
        train_components(
            mapset, encoder, TinyLoss(summary_dim=4, param_dim=2), run_dir=tmp_path,
            settings=TrainSettings(**FAST), seed=0, device="cpu", progress=False,
            pairing=PairingSettings(level="same-simulation", views=2).model_copy(
                update={"level": "paired", "paired_fraction": 0.5}
            ),
        )  # fmt: skip


def test_paired_views_without_a_nuisance_are_warned_about():
    sim = simulator(feedback=False)
    with pytest.warns(UserWarning, match="draws no nuisance: the views are the same map"):
        FreshMaps(sim, sim.load(seed=0), "paired", 2, 0, torch.device("cpu"))


def test_fresh_training_is_deterministic_and_resumes_exactly(tmp_path):
    sim = simulator()
    _, _, enc_full = _train(tmp_path / "full", sim)
    _, _, enc_again = _train(tmp_path / "again", sim)
    first, _, _ = _train(tmp_path / "cut", sim, stop_after_steps=1)
    assert first.interrupted
    _, _, enc_resumed = _train(tmp_path / "cut", sim, resume=True)
    for key, value in weights(enc_full).items():
        assert torch.equal(value, weights(enc_again)[key]), key
        assert torch.equal(value, weights(enc_resumed)[key]), key


def test_fresh_setting_resolves_against_the_dataset():
    sim = simulator()
    assert fresh_simulator("auto", sim) is sim
    assert fresh_simulator(True, sim) is sim
    assert fresh_simulator(False, sim) is None
    files = cosmossl.create("dataset", "hdf5", path="maps.h5")
    assert fresh_simulator("auto", files) is None
    with pytest.raises(ConfigError, match=r"fresh = true needs a dataset that simulates maps"):
        fresh_simulator(True, files)


def test_stored_maps_are_used_when_fresh_is_off(tmp_path):
    seen: list[torch.Tensor] = []
    mapset = tiny_mapset()
    encoder, loss = tiny_components(mapset)
    forward = loss.forward

    def spying(encoder, views, theta=None):
        seen.append(views.detach().clone())
        return forward(encoder, views, theta)

    loss.forward = spying
    train_components(mapset, encoder, loss, run_dir=tmp_path,
                     settings=TrainSettings(**{**FAST, "epochs": 1, "standardize": False}),
                     device="cpu", progress=False)  # fmt: skip
    stored = torch.from_numpy(mapset.maps).flatten(1).abs().sum(1).round(decimals=3)
    for views in seen:
        sums = views.flatten(0, 1).flatten(1).abs().sum(1).round(decimals=3)
        assert np.isin(sums.numpy(), stored.numpy()).all()

"""Drawing k views per group (sharded, keyed by step, small-group policy) and augmenting them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import cosmossl
from cosmossl import MapMeta
from cosmossl.data.mapset import MapSet
from cosmossl.errors import DataError
from cosmossl.training.views import ViewSampler, make_views


def _mapset(n_cosmologies: int = 6, sims_per_cosmology: int = 2, maps_per_sim: int = 3) -> MapSet:
    """Map i is filled with the value i, so views can be traced back to their rows."""
    n = n_cosmologies * sims_per_cosmology * maps_per_sim
    simulation_id = np.repeat(np.arange(n_cosmologies * sims_per_cosmology), maps_per_sim)
    cosmology_id = simulation_id // sims_per_cosmology
    maps = np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None, None], (n, 1, 4, 4))
    return MapSet(
        maps=np.ascontiguousarray(maps),
        params=np.stack([cosmology_id * 0.1, cosmology_id * 0.2], axis=1).astype(np.float32),
        param_names=("Omega_m", "sigma_8"),
        cosmology_id=cosmology_id.astype(np.int64),
        simulation_id=simulation_id.astype(np.int64),
        split=np.where(cosmology_id < n_cosmologies * 2 // 3, 0, 1).astype(np.int8),
        meta=MapMeta(shape=(1, 4, 4), box_size=10.0),
    )


def _sampler(mapset: MapSet, level: str = "same-simulation", **kwargs) -> ViewSampler:
    options = {"views": 2, "batch_size": 2, "seed": 0} | kwargs
    return ViewSampler.from_mapset(mapset, "train", level, **options)


def _epoch(sampler: ViewSampler, epoch: int) -> np.ndarray:
    sampler.set_epoch(epoch)
    return np.concatenate(list(sampler))


def test_views_of_a_batch_row_come_from_one_group_and_are_distinct():
    mapset = _mapset()
    groups = mapset.group_ids("same-simulation")
    batches = list(_sampler(mapset, views=3))
    assert len(batches) == 4 and all(b.shape == (2, 3) for b in batches)
    for batch in batches:
        assert (mapset.split[batch] == 0).all()  # only maps of the train split
        for row in batch:
            assert len(set(groups[row])) == 1 and len(set(row)) == 3


def test_an_epoch_visits_every_group_of_the_split_once():
    mapset = _mapset()
    groups = mapset.group_ids("same-cosmology")
    seen = np.concatenate([groups[b[:, 0]] for b in _sampler(mapset, "same-cosmology")])
    assert sorted(seen) == [0, 1, 2, 3]  # only the train split's cosmologies


def test_same_cosmology_pairs_can_cross_simulations():
    mapset = _mapset()
    sims = mapset.group_ids("same-simulation")
    sampler = _sampler(mapset, "same-cosmology", views=4)
    crossed = any(len(set(sims[row])) > 1 for epoch in range(3) for row in _epoch(sampler, epoch))
    assert crossed


def test_sampling_is_deterministic_per_epoch_and_seed():
    mapset = _mapset()
    a, b = _sampler(mapset), _sampler(mapset)
    np.testing.assert_array_equal(_epoch(a, 1), _epoch(b, 1))
    assert not np.array_equal(_epoch(a, 1), _epoch(a, 2))
    assert not np.array_equal(_epoch(a, 1), _epoch(_sampler(mapset, seed=1), 1))
    assert not np.array_equal(_epoch(a, 1), _epoch(_sampler(mapset, stream=1), 1))


def test_any_step_can_be_drawn_directly_as_after_a_resume():
    mapset = _mapset()
    sampler = _sampler(mapset)
    sampler.set_epoch(5)
    expected = list(sampler)
    fresh = _sampler(mapset)
    for step in reversed(range(len(expected))):  # no earlier draw is needed
        np.testing.assert_array_equal(fresh.batch(5, step), expected[step])
    with pytest.raises(ValueError, match=r"step 4 is outside 0\.\.3"):
        fresh.batch(5, 4)


@pytest.mark.parametrize("world", [2, 4])
def test_ranks_split_the_global_batch(world):
    mapset = _mapset(n_cosmologies=10)  # 12 train simulations, 3 global batches of 4
    groups = mapset.group_ids("same-simulation")
    whole = _sampler(mapset, batch_size=4, world_size=1)
    shards = [_sampler(mapset, batch_size=4, rank=r, world_size=world) for r in range(world)]
    for step in range(3):
        parts = [s.batch(2, step) for s in shards]
        assert {len(p) for p in parts} == {4 // world}
        np.testing.assert_array_equal(np.concatenate(parts), whole.batch(2, step))
    epoch = np.concatenate([_epoch(s, 2) for s in shards])
    assert sorted(groups[epoch[:, 0]]) == list(range(12))  # together: every group once


def test_global_batch_must_divide_among_processes():
    with pytest.raises(
        cosmossl.ConfigError, match="batch_size = 3 groups cannot be shared by 2 processes"
    ):
        _sampler(_mapset(), batch_size=3, world_size=2)


def test_longer_epochs_continue_with_a_new_permutation():
    mapset = _mapset()  # 8 train simulations
    groups = mapset.group_ids("same-simulation")
    sampler = _sampler(mapset, batch_size=3, steps_per_epoch=4)
    batches = list(sampler)
    assert len(batches) == 4 and all(b.shape == (3, 2) for b in batches)
    visits = groups[np.concatenate(batches)[:, 0]]
    assert sorted(visits[:8]) == list(range(8))  # the first pass is each group once
    assert len(visits) == 12
    assert len(_sampler(mapset, batch_size=3)) == 2  # default: 8 // 3 full batches


def test_small_groups_are_drawn_with_replacement_and_warned_about():
    mapset = _mapset(maps_per_sim=2)
    with pytest.warns(
        UserWarning, match=r"\(train split\): 8 of 8 groups have fewer than 3 maps.*replacement"
    ):
        sampler = _sampler(mapset, views=3)
    groups = mapset.group_ids("same-simulation")
    for row in np.concatenate(list(sampler)):
        assert len(set(groups[row])) == 1 and len(set(row)) == 2  # both maps used


def _with_small_groups(**kwargs) -> tuple[MapSet, ViewSampler]:
    """Simulations 0 and 1 lose one of their 3 maps: 2 of 8 groups are too small for 3 views."""
    mapset = _mapset()
    indices = np.setdiff1d(mapset.indices("train"), [0, 3])
    sampler = ViewSampler(
        mapset.group_ids("same-simulation"), indices, views=3, batch_size=2, **kwargs
    )
    return mapset, sampler


def test_small_groups_can_be_skipped():
    with pytest.warns(UserWarning, match="2 of 8 groups have fewer than 3 maps.*skipping them"):
        mapset, sampler = _with_small_groups(small_groups="skip")
    assert sampler.n_groups == 6 and len(sampler) == 3
    seen = mapset.group_ids("same-simulation")[np.concatenate(list(sampler))[:, 0]]
    assert sorted(seen) == [2, 3, 4, 5, 6, 7]


def test_small_groups_can_be_an_error():
    with pytest.raises(
        cosmossl.DataError,
        match=r"2 of 8 groups have fewer than 3 maps \(e.g. group 0, 1\); lower views",
    ):
        _with_small_groups(small_groups="error")
    with pytest.raises(cosmossl.ConfigError, match="small_groups must be 'replace', 'skip' or"):
        _with_small_groups(small_groups="drop")


def test_too_few_groups_for_a_batch_is_an_error():
    with pytest.raises(
        cosmossl.ConfigError, match="batch_size = 10 groups but the train split has only 8 groups"
    ):
        _sampler(_mapset(), batch_size=10, world_size=2)
    with pytest.raises(cosmossl.DataError, match="the test split has no maps"):
        ViewSampler.from_mapset(_mapset(), "test", "same-simulation", 2, 2)


def test_make_views_reads_the_maps_and_augments_every_view_independently():
    mapset = _mapset()
    batch = np.array([[0, 1], [6, 8]])
    noise = cosmossl.create("augmentation", "gaussian-noise", sigma_min=0.01, sigma_max=0.01)
    views = make_views(mapset, batch, [noise], torch.Generator().manual_seed(0), "cpu")
    assert views.shape == (2, 2, 1, 4, 4) and views.dtype == torch.float32
    torch.testing.assert_close(
        views.mean(dim=(2, 3, 4)), torch.tensor([[0.0, 1], [6, 8]]), atol=0.01, rtol=0
    )
    same = make_views(mapset, np.array([[3, 3]]), [noise], torch.Generator().manual_seed(0))
    assert not torch.equal(same[0, 0], same[0, 1])


def test_make_views_standardises_after_the_augmentations():
    # Augmentations act in data units: +1 then ×10 gives (x + 1)·10, not x·10 + 1.
    views = make_views(
        _mapset(),
        np.array([[2, 4]]),
        [lambda x, generator: x + 1],
        torch.Generator(),
        standardize=lambda x: x * 10,
    )
    assert views[0, :, 0, 0, 0].tolist() == [30.0, 50.0]


def test_make_views_accepts_maps_read_ahead():
    mapset = _mapset()
    batch = np.array([[5, 7], [9, 10]])
    read = mapset.read(batch.reshape(-1)) + 100  # proves these maps were used, not re-read
    views = make_views(mapset, batch, [], torch.Generator(), maps=read)
    assert views[:, :, 0, 0, 0].tolist() == [[105.0, 107.0], [109.0, 110.0]]


def test_across_simulations_views_never_share_a_simulation():
    # 3 cosmologies × 3 simulations × 2 maps: map i is in simulation i // 2, cosmology i // 6.
    simulation = np.arange(18) // 2
    cosmology = simulation // 3
    sampler = ViewSampler(cosmology, np.arange(18), views=3, batch_size=3, seed=4,
                          view_groups=simulation)  # fmt: skip
    for epoch in range(5):
        for rows in (sampler.batch(epoch, 0),):
            for views in rows:
                assert len(set(cosmology[views])) == 1
                assert len(set(simulation[views])) == 3


def test_across_simulations_counts_simulations_for_the_small_group_policy():
    simulation = np.array([0, 0, 1, 1, 2, 2, 2, 2])
    cosmology = np.array([0, 0, 0, 0, 1, 1, 1, 1])  # cosmology 1 has one simulation only
    with pytest.raises(DataError, match=r"1 of 2 groups have fewer than 2 simulations"):
        ViewSampler(cosmology, np.arange(8), views=2, batch_size=1, view_groups=simulation,
                    small_groups="error")  # fmt: skip


def test_paired_views_share_a_seed_and_come_from_different_simulations():
    sim = cosmossl.create("dataset", "lognormal", n_cosmologies=6, n_simulations=2,
                          paired_draws=2, n_pixels=8, geometry="slab", feedback=True,
                          split=(0.5, 0.25, 0.25))  # fmt: skip
    mapset = sim.load(seed=0)
    sampler = ViewSampler.from_mapset(mapset, "train", "paired", views=2, batch_size=2, seed=1)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        for rows in sampler:
            for views in rows:
                assert len(set(mapset.seed_id[views])) == 1
                assert len(set(mapset.simulation_id[views])) == 2
                assert not np.array_equal(*mapset.nuisance[views])


def test_paired_level_without_paired_simulations_warns_that_views_repeat():
    mapset = _mapset()  # no seed ids: every map its own seed
    with pytest.warns(UserWarning, match=r"groups have fewer than 2 simulations"):
        _sampler(mapset, "paired")
    with pytest.raises(DataError, match=r"unknown pairing level 'pairs'.*'paired'"):
        mapset.group_ids("pairs")

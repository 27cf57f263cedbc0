"""The roll (periodic shift) and cube (rotations and reflections of a volume) augmentations."""

from __future__ import annotations

import itertools

import pytest
import torch

import cosmossl
from cosmossl import MapMeta
from cosmossl.nn import CUBE_ORDER, cube_transform


def test_roll_shifts_each_map_periodically():
    maps = torch.randn(5, 2, 8, 8, generator=torch.Generator().manual_seed(0))
    roll = cosmossl.create("augmentation", "roll", meta=MapMeta(shape=(2, 8, 8)))
    out = roll(maps, torch.Generator().manual_seed(1))
    for i in range(5):
        shifts = [
            (dy, dx)
            for dy in range(8)
            for dx in range(8)
            if torch.equal(torch.roll(maps[i], (dy, dx), dims=(-2, -1)), out[i])
        ]
        assert len(shifts) == 1


def test_roll_respects_max_fraction():
    maps = torch.arange(16.0).reshape(1, 1, 1, 16).expand(50, 1, 1, 16).contiguous()
    roll = cosmossl.create("augmentation", "roll", max_fraction=0.25)
    out = roll(maps, torch.Generator().manual_seed(2))
    shifts = out[:, 0, 0, 0].long() * -1 % 16  # where the original pixel 0 went
    assert shifts.max() < 4


def test_roll_refuses_non_periodic_maps():
    with pytest.raises(cosmossl.ConfigError, match="'roll' needs periodic maps"):
        cosmossl.create("augmentation", "roll", meta=MapMeta(shape=(1, 8, 8), periodic=False))


def test_roll_shifts_each_volume_periodically_along_its_three_axes():
    volumes = torch.randn(4, 1, 4, 4, 4, generator=torch.Generator().manual_seed(0))
    roll = cosmossl.create("augmentation", "roll", meta=MapMeta(shape=(1, 4, 4, 4)))
    out = roll(volumes, torch.Generator().manual_seed(1))
    for i in range(4):
        shifts = [
            s
            for s in itertools.product(range(4), repeat=3)
            if torch.equal(torch.roll(volumes[i], s, dims=(-3, -2, -1)), out[i])
        ]
        assert len(shifts) == 1


def test_cube_gives_each_volume_one_of_its_48_images():
    volumes = torch.randn(16, 2, 3, 3, 3, generator=torch.Generator().manual_seed(0))
    cube = cosmossl.create("augmentation", "cube", meta=MapMeta(shape=(2, 3, 3, 3)))
    out = cube(volumes, torch.Generator().manual_seed(1))
    chosen = []
    for i in range(16):
        matches = [e for e in range(CUBE_ORDER) if torch.equal(cube_transform(volumes[i], e),
                                                               out[i])]  # fmt: skip
        assert len(matches) == 1
        chosen += matches
    assert len(set(chosen)) > 8  # drawn per volume

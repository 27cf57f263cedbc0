"""The roll (periodic shift) augmentation."""

from __future__ import annotations

import pytest
import torch

import cosmossl
from cosmossl import MapMeta


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

"""What every built-in augmentation promises: shape, role, reproducibility from a generator;
and the plugin authors' contract checks (cosmossl.testing) that every one passes."""

from __future__ import annotations

import pytest
import torch
from support.builtins import builtin_names

import cosmossl
from cosmossl import MapMeta
from cosmossl.testing import check_augmentation

META = MapMeta(shape=(1, 32, 32), box_size=100.0)
ROLES = {
    "d4": "symmetry",
    "roll": "symmetry",
    "gaussian-noise": "systematic",
    "smoothing": "systematic",
    "mask": "systematic",
    "baryons": "systematic",
}


def _maps() -> torch.Tensor:
    return torch.randn(6, 1, 32, 32, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("name", ROLES)
def test_augmentation_keeps_shape_and_declares_its_role(name):
    augmentation = cosmossl.create("augmentation", name, meta=META)
    out = augmentation(_maps(), torch.Generator().manual_seed(1))
    assert out.shape == (6, 1, 32, 32) and out.dtype == torch.float32
    assert augmentation.role == ROLES[name]


@pytest.mark.parametrize("name", ROLES)
def test_augmentation_is_reproducible_from_the_generator(name):
    augmentation = cosmossl.create("augmentation", name, meta=META)
    maps = _maps()
    first = augmentation(maps, torch.Generator().manual_seed(3))
    again = augmentation(maps, torch.Generator().manual_seed(3))
    other = augmentation(maps, torch.Generator().manual_seed(4))
    torch.testing.assert_close(first, again, rtol=0, atol=0)
    assert not torch.equal(first, other)


@pytest.mark.parametrize("name", ROLES)
def test_augmentation_draws_independently_for_each_map(name):
    augmentation = cosmossl.create("augmentation", name, meta=META)
    same = _maps()[:1].expand(8, 1, 32, 32).contiguous()
    out = augmentation(same, torch.Generator().manual_seed(5))
    assert len({tuple(out[i].flatten()[:64].tolist()) for i in range(8)}) > 1


def test_every_builtin_augmentation_is_checked():
    assert sorted(ROLES) == builtin_names("augmentation")


@pytest.mark.parametrize("content", ["overdensity", "log1p-overdensity"])
@pytest.mark.parametrize("name", ROLES)
def test_builtin_augmentation_keeps_the_contract(name, content):
    meta = MapMeta(shape=(2, 32, 32), box_size=100.0, content=content)
    out = check_augmentation(cosmossl.create("augmentation", name, meta=meta), meta=meta)
    assert out.shape == (8, 2, 32, 32)

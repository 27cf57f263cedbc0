"""What every built-in augmentation promises: shape, role, reproducibility from a generator;
and the plugin authors' contract checks (cosmossl.testing) that every one passes."""

from __future__ import annotations

import pytest
import torch
from support.builtins import builtin_names

import cosmossl
from cosmossl import MapMeta
from cosmossl.testing import check_augmentation

#: Map shapes by number of spatial dimensions: 2D maps and 3D volumes.
SIDES = {2: (32, 32), 3: (12, 12, 12)}
ROLES = {
    "d4": "symmetry",
    "cube": "symmetry",
    "roll": "symmetry",
    "gaussian-noise": "systematic",
    "smoothing": "systematic",
    "mask": "systematic",
    "baryons": "systematic",
}
#: The spatial dimensions each built-in declares (d4: square maps only, cube: volumes only).
DIMS = {name: (2, 3) for name in ROLES} | {"d4": (2,), "cube": (3,)}
CASES = [pytest.param(name, d, id=f"{name}-{d}d") for name in ROLES for d in DIMS[name]]


def _meta(ndim: int, channels: int = 1, content: str | None = None) -> MapMeta:
    return MapMeta(shape=(channels, *SIDES[ndim]), box_size=100.0, content=content)


def _maps(ndim: int) -> torch.Tensor:
    return torch.randn(6, 1, *SIDES[ndim], generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("name", ROLES)
def test_augmentation_declares_the_dimensions_it_takes(name):
    assert cosmossl.registry().load("augmentation", name).spatial_dims == DIMS[name]


@pytest.mark.parametrize(("name", "ndim"), CASES)
def test_augmentation_keeps_shape_and_declares_its_role(name, ndim):
    augmentation = cosmossl.create("augmentation", name, meta=_meta(ndim))
    out = augmentation(_maps(ndim), torch.Generator().manual_seed(1))
    assert out.shape == (6, 1, *SIDES[ndim]) and out.dtype == torch.float32
    assert augmentation.role == ROLES[name]


@pytest.mark.parametrize(("name", "ndim"), CASES)
def test_augmentation_is_reproducible_from_the_generator(name, ndim):
    augmentation = cosmossl.create("augmentation", name, meta=_meta(ndim))
    maps = _maps(ndim)
    first = augmentation(maps, torch.Generator().manual_seed(3))
    again = augmentation(maps, torch.Generator().manual_seed(3))
    other = augmentation(maps, torch.Generator().manual_seed(4))
    torch.testing.assert_close(first, again, rtol=0, atol=0)
    assert not torch.equal(first, other)


@pytest.mark.parametrize(("name", "ndim"), CASES)
def test_augmentation_draws_independently_for_each_map(name, ndim):
    augmentation = cosmossl.create("augmentation", name, meta=_meta(ndim))
    same = _maps(ndim)[:1].expand(8, 1, *SIDES[ndim]).contiguous()
    out = augmentation(same, torch.Generator().manual_seed(5))
    assert len({tuple(out[i].flatten()[:64].tolist()) for i in range(8)}) > 1


def test_every_builtin_augmentation_is_checked():
    assert sorted(ROLES) == builtin_names("augmentation")


@pytest.mark.parametrize("content", ["overdensity", "log1p-overdensity"])
@pytest.mark.parametrize(("name", "ndim"), CASES)
def test_builtin_augmentation_keeps_the_contract(name, ndim, content):
    meta = _meta(ndim, channels=2, content=content)
    out = check_augmentation(cosmossl.create("augmentation", name, meta=meta), meta=meta)
    assert out.shape == (8, 2, *SIDES[ndim])


@pytest.mark.parametrize(
    ("name", "ndim", "message"),
    [
        ("d4", 3, "augmentation D4 works on 2D maps only, not 3D volumes; use 'cube'"),
        ("cube", 2, "augmentation Cube works on 3D volumes only, not 2D maps; use 'd4'"),
    ],
)
def test_a_symmetry_group_refuses_maps_it_does_not_act_on(name, ndim, message):
    with pytest.raises(cosmossl.ConfigError, match=message):
        cosmossl.create("augmentation", name, meta=_meta(ndim))

"""D4 and O_h, the symmetry groups of square maps and cubic volumes, and summaries averaged over
them (invariant)."""

from __future__ import annotations

import pytest
import torch

import cosmossl
from cosmossl import ConfigError
from cosmossl.nn import (
    CUBE_ORDER,
    CUBE_ROTATIONS,
    D4_ORDER,
    cube_average,
    cube_is_rotation,
    cube_transform,
    d4_average,
    d4_transform,
)


def test_the_eight_elements_are_distinct_and_form_the_orbit_of_a_map():
    maps = torch.arange(16.0).reshape(1, 1, 4, 4)
    images = [d4_transform(maps, e) for e in range(D4_ORDER)]
    assert len({tuple(i.flatten().tolist()) for i in images}) == 8
    # The orbit of any image is the same set of eight maps.
    orbit = {tuple(d4_transform(images[3], e).flatten().tolist()) for e in range(D4_ORDER)}
    assert orbit == {tuple(i.flatten().tolist()) for i in images}
    with pytest.raises(ValueError, match="D4 has elements 0 to 7, got 8"):
        d4_transform(maps, 8)


def test_d4_average_is_invariant_and_equals_the_mean_over_images():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(25, 3))
    maps = torch.randn(2, 1, 5, 5)
    averaged = d4_average(net, maps)
    expected = torch.stack([net(d4_transform(maps, e)) for e in range(8)]).mean(0)
    torch.testing.assert_close(averaged, expected)
    for e in range(D4_ORDER):
        torch.testing.assert_close(d4_average(net, d4_transform(maps, e)), averaged)
    with pytest.raises(ValueError, match=r"needs square maps \[B, C, H, H\], got \(2, 1, 5, 4\)"):
        d4_average(net, torch.randn(2, 1, 5, 4))


def test_symmetrized_encoder_summaries_ignore_rotations_and_flips():
    encoder = cosmossl.create("encoder", "cnn", summary_dim=4, width=4, depth=2, hidden_dim=8,
                              symmetrize="d4", input_shape=(1, 8, 8)).eval()  # fmt: skip
    plain = cosmossl.create("encoder", "cnn", summary_dim=4, width=4, depth=2, hidden_dim=8,
                            input_shape=(1, 8, 8)).eval()  # fmt: skip
    maps = torch.randn(3, 1, 8, 8)
    with torch.no_grad():
        for e in range(D4_ORDER):
            torch.testing.assert_close(
                encoder.summarize(d4_transform(maps, e)), encoder.summarize(maps)
            )
        torch.testing.assert_close(plain.summarize(maps), plain(maps))


def test_symmetrize_needs_square_maps():
    with pytest.raises(ConfigError, match=r"symmetrize = 'd4' needs square maps \(C, n, n\)"):
        cosmossl.create("encoder", "mlp", symmetrize="d4", input_shape=(32,))


# ---- the cube's group O_h ------------------------------------------------------------------


def _matrix(element: int) -> torch.Tensor:
    """The signed permutation matrix of a cube element, from where it sends a voxel."""
    n = 5
    volume = torch.zeros(1, n, n, n)
    volume[0, 1, 0, 0] = 1.0  # unit steps from the corner along each axis, told apart by value
    volume[0, 0, 1, 0] = 2.0
    volume[0, 0, 0, 1] = 3.0
    image = cube_transform(volume, element)[0]
    rows = []
    for value in (1.0, 2.0, 3.0):
        where = torch.nonzero(image == value)[0]
        rows.append([1 if c == 1 else -1 if c == n - 2 else 0 for c in where.tolist()])
    return torch.tensor(rows, dtype=torch.float64).T


def test_the_48_cube_elements_are_distinct_signed_permutations_forming_a_group():
    volume = torch.arange(27.0).reshape(1, 1, 3, 3, 3)
    images = [cube_transform(volume, e) for e in range(CUBE_ORDER)]
    assert len({tuple(i.flatten().tolist()) for i in images}) == 48
    matrices = [_matrix(e) for e in range(CUBE_ORDER)]
    keys = {tuple(m.flatten().tolist()) for m in matrices}
    assert len(keys) == 48  # all 48 signed 3×3 permutation matrices
    for a in matrices[::5]:  # closed under composition
        for b in matrices[::7]:
            assert tuple((a @ b).flatten().tolist()) in keys
    with pytest.raises(ValueError, match="the cube's group has elements 0 to 47, got 48"):
        cube_transform(volume, 48)


def test_the_24_rotations_are_the_elements_of_determinant_one():
    determinants = {e: round(float(torch.det(_matrix(e)))) for e in range(CUBE_ORDER)}
    assert tuple(e for e, d in determinants.items() if d == 1) == CUBE_ROTATIONS
    assert len(CUBE_ROTATIONS) == 24
    assert all(cube_is_rotation(e) == (d == 1) for e, d in determinants.items())


@pytest.mark.parametrize("elements", [range(CUBE_ORDER), CUBE_ROTATIONS], ids=["48", "24"])
def test_cube_average_is_invariant_under_its_group_and_is_the_mean_over_images(elements):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 8), torch.nn.Tanh(),
                              torch.nn.Linear(8, 3)).double()  # fmt: skip
    volumes = torch.randn(2, 1, 4, 4, 4, dtype=torch.float64)
    averaged = cube_average(net, volumes, elements)
    expected = torch.stack([net(cube_transform(volumes, e)) for e in elements]).mean(0)
    torch.testing.assert_close(averaged, expected)
    for e in list(elements)[::5]:
        torch.testing.assert_close(cube_average(net, cube_transform(volumes, e), elements),
                                   averaged)  # fmt: skip
    if len(elements) == 24:  # a reflection is not in the rotation group: not invariant to it
        reflected = cube_average(net, cube_transform(volumes, 1), elements)
        assert (reflected - averaged).abs().max() > 1e-3
    with pytest.raises(ValueError, match=r"needs cubic volumes \[B, C, n, n, n\]"):
        cube_average(net, torch.randn(2, 1, 4, 4, 5), elements)


class _Averaged(torch.nn.Module):
    """A network averaged over the cube's rotations, as an encoder's ``summarize`` is."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))

    def forward(self, volumes: torch.Tensor) -> torch.Tensor:
        return cube_average(self.net, volumes, CUBE_ROTATIONS)


def test_cube_average_can_be_traced_for_export():
    torch.manual_seed(0)
    module = _Averaged().eval()
    with torch.no_grad():
        traced = torch.jit.trace(module, torch.randn(2, 1, 4, 4, 4))
        volumes = torch.randn(5, 1, 4, 4, 4)
        torch.testing.assert_close(traced(volumes), module(volumes))


@pytest.mark.parametrize("group", ["cube", "cube-rotations"])
def test_symmetrized_encoder_summaries_of_volumes_ignore_the_cube_group(group):
    options = dict(summary_dim=4, width=2, depth=1, hidden_dim=4, input_shape=(1, 4, 4, 4))
    encoder = cosmossl.create("encoder", "cnn", symmetrize=group, **options).eval()
    volumes = torch.randn(3, 1, 4, 4, 4)
    elements = range(CUBE_ORDER) if group == "cube" else CUBE_ROTATIONS
    with torch.no_grad():
        for e in list(elements)[1::11]:
            torch.testing.assert_close(
                encoder.summarize(cube_transform(volumes, e)), encoder.summarize(volumes),
                rtol=1e-5, atol=1e-6,
            )  # fmt: skip


@pytest.mark.parametrize(
    ("group", "shape", "message"),
    [
        ("d4", (1, 6, 6, 6), "with symmetrize = 'd4' averages over the 8 symmetries of a "
         "square map, which do not act on 3D volumes; use symmetrize = 'cube'"),
        ("cube", (1, 8, 8), "with symmetrize = 'cube' averages over the 48 symmetries of a "
         "cubic volume, which do not act on 2D maps; use symmetrize = 'd4' or 'none'"),
        ("cube", (1, 6, 6, 8), r"symmetrize = 'cube' needs cubic volumes \(C, n, n, n\)"),
    ],
)  # fmt: skip
def test_symmetrize_refuses_maps_its_group_does_not_act_on(group, shape, message):
    with pytest.raises(ConfigError, match=message):
        cosmossl.create("encoder", "cnn", symmetrize=group, input_shape=shape)

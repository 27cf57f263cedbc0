"""MapMeta: geometry and what the maps hold."""

from __future__ import annotations

from typing import get_args

import pytest

from cosmossl import MAP_CONTENTS, MapContent, MapMeta


def test_every_content_is_described():
    assert list(MAP_CONTENTS) == list(get_args(MapContent))


def test_unknown_content_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="'log' is not one of overdensity, log1p-overdensity"):
        MapMeta(shape=(1, 8, 8), content="log")


def test_pixel_size_in_mpc_per_h():
    assert MapMeta(shape=(1, 8, 16), box_size=32.0).pixel_size == 2.0
    assert MapMeta(shape=(1, 8, 8)).pixel_size is None


@pytest.mark.parametrize(
    ("shape", "dims", "spatial"),
    [((1, 8, 16), 2, (8, 16)), ((2, 4, 8, 8), 3, (4, 8, 8)), ((32,), 0, ())],
    ids=["map", "volume", "vector"],
)
def test_spatial_dimensions_follow_the_shape_channels_first(shape, dims, spatial):
    meta = MapMeta(shape=shape)
    assert meta.spatial_dims == dims and meta.spatial_shape == spatial


def test_box_length_of_each_axis_of_a_volume():
    meta = MapMeta(shape=(1, 4, 8, 8), box_size=100.0)
    assert meta.pixel_size == 12.5
    assert meta.box_lengths == (50.0, 100.0, 100.0)
    assert MapMeta(shape=(1, 8, 8)).box_lengths is None


def test_map_meta_round_trips_through_a_dict_and_ignores_unknown_keys():
    from cosmossl import MapMeta

    meta = MapMeta(shape=(2, 8, 8), box_size=25.0, periodic=False, content="density")
    data = meta.to_dict()
    assert data == {"shape": [2, 8, 8], "box_size": 25.0, "periodic": False, "content": "density"}
    assert MapMeta.from_dict({**data, "added_later": 1}) == meta

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


def test_map_meta_round_trips_through_a_dict_and_ignores_unknown_keys():
    from cosmossl import MapMeta

    meta = MapMeta(shape=(2, 8, 8), box_size=25.0, periodic=False, content="density")
    data = meta.to_dict()
    assert data == {"shape": [2, 8, 8], "box_size": 25.0, "periodic": False, "content": "density"}
    assert MapMeta.from_dict({**data, "added_later": 1}) == meta

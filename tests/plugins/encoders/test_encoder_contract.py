"""Every built-in encoder and statistic passes the plugin authors' contract checks."""

from __future__ import annotations

import functools

import pytest
from support.builtins import builtin_names

import cosmossl
from cosmossl.testing import VOLUME_SHAPES, check_encoder, check_statistic, sample_meta

#: Each built-in encoder with small settings (timm's ResNet needs maps of 32² or more).
ENCODERS = {
    "cnn": ({"summary_dim": 6, "width": 4, "depth": 3}, None),
    "mlp": ({"summary_dim": 6, "hidden": [16]}, None),
    "timm": ({"summary_dim": 6, "model": "resnet18"}, [(1, 32, 32), (2, 48, 40)]),
    "hybrid": ({"summary_dim": 6, "learned": {"type": "cnn", "width": 4, "depth": 2}}, None),
}


def test_every_builtin_encoder_is_checked():
    assert sorted(ENCODERS) == builtin_names("encoder")


@pytest.mark.parametrize("name", ENCODERS)
def test_builtin_encoder_keeps_the_contract(name):
    params, shapes = ENCODERS[name]
    factory = functools.partial(cosmossl.create, "encoder", name, **params)
    encoder = check_encoder(factory, **({"input_shapes": shapes} if shapes else {}))
    # A hybrid's summary is its statistic's numbers followed by the 6 learned ones.
    assert encoder.summary_dim == 6 + getattr(encoder, "statistic_dim", 0)


def test_every_builtin_statistic_keeps_the_contract():
    assert builtin_names("statistic") == ["power-spectrum"]
    for shape in [(1, 32, 32), (2, 24, 24)]:
        meta = sample_meta(shape=shape)
        check_statistic(cosmossl.create("statistic", "power-spectrum", meta=meta))


#: The built-in encoders that take 3D volumes, with their volume-sized settings.
VOLUME_ENCODERS = {
    "cnn": {"summary_dim": 6, "width": 4, "depth": 3, "pool_every": 1},
    "mlp": {"summary_dim": 6, "hidden": [16]},
}


@pytest.mark.parametrize("name", VOLUME_ENCODERS)
def test_builtin_volume_encoder_keeps_the_contract_on_volumes(name):
    factory = functools.partial(cosmossl.create, "encoder", name, **VOLUME_ENCODERS[name])
    encoder = check_encoder(factory, input_shapes=VOLUME_SHAPES)
    assert 3 in type(encoder).spatial_dims


def test_every_builtin_encoder_declares_its_dimensions():
    declared = {name: cosmossl.registry().load("encoder", name).spatial_dims
                for name in builtin_names("encoder")}  # fmt: skip
    assert declared == {"cnn": (2, 3), "hybrid": (2,), "mlp": (1, 2, 3), "timm": (2,)}
    assert sorted(n for n, dims in declared.items() if 3 in dims) == sorted(VOLUME_ENCODERS)


def test_power_spectrum_keeps_the_contract_on_volumes():
    for shape in [(1, 8, 8, 8), (2, 12, 12, 12)]:
        check_statistic(cosmossl.create("statistic", "power-spectrum", meta=sample_meta(shape)))

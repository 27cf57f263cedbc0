"""check_encoder and check_statistic pass correct components and name what is wrong."""

from __future__ import annotations

import functools

import pytest
import torch
from support import kit

import cosmossl
from cosmossl.testing import check_encoder, check_statistic, sample_meta


def test_a_correct_encoder_passes_for_every_map_size():
    encoder = check_encoder(
        functools.partial(kit.GoodEncoder, kit.GoodEncoder.Params(summary_dim=5))
    )
    assert encoder.input_shape == (2, 24, 24) and encoder.summary_dim == 5


@pytest.mark.parametrize(
    ("encoder", "message"),
    [
        (
            kit.FixedSizeEncoder,
            r"\(input_shape=\(1, 32, 32\)\): on maps \[4, 1, 32, 32\] raised "
            r"RuntimeError: mat1 and mat2 shapes cannot be multiplied",
        ),
        (kit.WrongDimEncoder, r"maps \[4, 1, 16, 16\] gave \(4, 1\), expected \[4, 16\]"),
        (kit.BatchMeanEncoder, r"in eval mode, a map's summary depends on the other maps"),
        (kit.SpareParameterEncoder, r"parameter 'spare.weight' got no gradient"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_a_broken_encoder_fails_with_a_message_naming_the_problem(encoder, message):
    with pytest.raises(AssertionError, match=message) as info:
        check_encoder(encoder)
    assert str(info.value).startswith(f"encoder {encoder.__name__} (input_shape=")


def test_encoder_params_must_hold_the_summary_dim():
    class Bare(kit.GoodEncoder):
        class Params(cosmossl.Params):
            pass

        summary_dim = 4

    with pytest.raises(
        AssertionError, match=r"its Params must derive from cosmossl\.EncoderParams"
    ):
        check_encoder(Bare)


def test_check_statistic_passes_the_power_spectrum_and_names_a_batch_dependent_one():
    spectrum = cosmossl.create("statistic", "power-spectrum", meta=sample_meta())
    assert check_statistic(spectrum).shape[0] == 4

    class Centred(cosmossl.Statistic):
        def __call__(self, maps):
            means = maps.mean(dim=(1, 2, 3))[:, None]
            return torch.cat([means, means - means.mean()], dim=1)

    with pytest.raises(AssertionError, match="Centred: a map's summary depends on the other maps"):
        check_statistic(Centred(meta=sample_meta()))

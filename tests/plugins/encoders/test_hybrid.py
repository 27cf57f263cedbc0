"""The hybrid encoder: a statistic (standardised by the first training batch) followed by learned
numbers, rebuilt from its table like any encoder."""

from __future__ import annotations

import pytest
import torch

import cosmossl
from cosmossl import ConfigError
from cosmossl.testing import sample_meta


def _hybrid(**params):
    torch.manual_seed(0)
    learned = params.pop("learned", {"type": "cnn", "width": 4, "depth": 2, "hidden_dim": 8})
    return cosmossl.create(
        "encoder", "hybrid", summary_dim=3, learned=learned, input_shape=(1, 16, 16), **params
    )


def _maps(n: int, seed: int) -> torch.Tensor:
    return torch.randn(n, 1, 16, 16, generator=torch.Generator().manual_seed(seed))


def test_summary_is_the_standardised_statistic_then_the_learned_numbers():
    encoder = _hybrid()
    statistic = cosmossl.create("statistic", "power-spectrum", meta=sample_meta((1, 16, 16), 16.0))
    first = _maps(32, 0)
    encoder.train()
    encoder(first)  # the first training batch fixes the statistic's standardisation
    power = statistic(first)
    torch.testing.assert_close(encoder.statistic_mean, power.mean(0), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(encoder.statistic_std, power.std(0, unbiased=False), rtol=1e-4,
                               atol=1e-6)  # fmt: skip
    encoder.eval()
    later = _maps(5, 1)
    summary = encoder(later)
    assert encoder.statistic_dim == power.shape[1] and summary.shape == (5, power.shape[1] + 3)
    expected = (statistic(later) - encoder.statistic_mean) / encoder.statistic_std
    torch.testing.assert_close(summary[:, : encoder.statistic_dim], expected)
    torch.testing.assert_close(summary[:, encoder.statistic_dim :], encoder.learned(later))


def test_standardisation_is_kept_after_the_first_batch_and_in_the_state_dict():
    encoder = _hybrid().train()
    encoder(_maps(16, 0))
    mean = encoder.statistic_mean.clone()
    encoder(_maps(16, 1) * 3.0)
    assert torch.equal(encoder.statistic_mean, mean)
    fresh = _hybrid()
    fresh.load_state_dict(encoder.state_dict())
    assert bool(fresh.initialised) and torch.equal(fresh.statistic_mean, mean)


def test_only_the_learned_part_trains():
    encoder = _hybrid().train()
    encoder(_maps(8, 0)).sum().backward()
    assert all(p.grad is not None for p in encoder.learned.parameters())
    assert {name.split(".")[0] for name, _ in encoder.named_parameters()} == {"learned"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"learned": {"type": "cnn", "summary_dim": 8}},
            "'summary_dim' of the learned encoder is the hybrid's own",
        ),
        ({"statistic": {"type": "power-spectrm"}}, "'power-spectrm'"),
        ({"statistic": {"type": "power-spectrum", "n_binz": 4}}, "n_binz"),
        ({"learned": {"width": 4}}, "must be a table with the encoder's type"),
    ],
    ids=["own key", "unknown statistic", "bad statistic key", "no type"],
)
def test_bad_nested_tables_are_config_errors_naming_the_key(params, message):
    with pytest.raises(ConfigError, match=r"encoder 'hybrid':") as error:
        _hybrid(**params)
    assert message in str(error.value)

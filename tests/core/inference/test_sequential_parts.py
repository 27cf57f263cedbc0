"""A sequential round's parts: proposing from the truncated prior, holding out validation points,
refitting on the base rows and every round (TSNPE's plain NPE loss on all rounds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support.inference import Recorder, ShiftedGaussian

from cosmossl.errors import DataError
from cosmossl.inference.sequential import (
    RoundSettings,
    RoundSimulations,
    propose,
    refit,
    validation_points,
)


def rows(n: int, value: float, dim: int = 3) -> tuple[np.ndarray, np.ndarray]:
    return np.full((n, 2), value * 0.1), np.full((n, dim), value)


def test_validation_points_are_a_fixed_share_chosen_by_the_seed():
    first = validation_points(100, 0.1, seed=3)
    assert first.sum() == 10 and np.array_equal(first, validation_points(100, 0.1, seed=3))
    assert not np.array_equal(first, validation_points(100, 0.1, seed=4))
    assert validation_points(10, 0.01, seed=0).sum() == 1  # at least one


def test_refit_trains_on_the_base_and_every_round_and_validates_on_their_held_out_points():
    backend = Recorder()
    is_val = np.array([False] * 8 + [True] * 2)
    rounds = [RoundSimulations(*rows(10, 0.5), is_val), RoundSimulations(*rows(10, 0.7), is_val)]
    posterior = refit(backend, rows(20, 0.1), rows(5, 0.2), rounds,
                      ShiftedGaussian().prior, seed=1, progress=False)  # fmt: skip
    data = backend.data
    assert data.theta_train.shape == (20 + 8 + 8, 2) and data.theta_val.shape == (5 + 2 + 2, 2)
    # The framework's standardisation is fitted on every training row, base and rounds.
    raw = data.x_standardizer.inverse(data.x_train)[:, 0]
    assert sorted(set(np.round(raw.numpy(), 4))) == [0.1, 0.5, 0.7]
    assert posterior.info["rounds"] == 2 and posterior.info["n_simulated"] == 20


def test_refit_without_base_rows_fits_the_rounds_alone():
    backend = Recorder()
    is_val = np.array([False] * 8 + [True] * 2)
    refit(backend, None, None, [RoundSimulations(*rows(10, 0.5), is_val)],
          ShiftedGaussian().prior, progress=False)  # fmt: skip
    assert backend.data.theta_train.shape == (8, 2) and backend.data.theta_val.shape == (2, 2)


def test_refit_with_nothing_to_fit_is_refused():
    with pytest.raises(DataError, match="no base rows and no rounds"):
        refit(Recorder(), None, None, [], ShiftedGaussian().prior, progress=False)


def test_propose_draws_from_the_truncated_posterior_region_with_its_statistics():
    posterior = ShiftedGaussian()  # q = N(x[:2], 0.1² I) in [-1, 1]²
    settings = RoundSettings(simulations=300, epsilon=0.01, threshold_samples=20_000,
                             probe=50_000)  # fmt: skip
    theta, stats = propose(posterior, np.array([0.2, -0.3, 0.0]), settings, seed=0)
    radius = np.linalg.norm(theta - [0.2, -0.3], axis=1)
    assert theta.shape == (300, 2) and theta.dtype == np.float64
    assert radius.max() < 0.1 * np.sqrt(-2 * np.log(0.01)) * 1.05
    assert stats.epsilon == 0.01 and stats.prior_draws >= 50_000
    again, _ = propose(posterior, np.array([0.2, -0.3, 0.0]), settings, seed=0)
    assert np.array_equal(theta, again)


def test_round_settings_refuse_too_few_simulations():
    with pytest.raises(DataError, match="at least 10 simulations per round, got 5"):
        RoundSettings(simulations=5)


def test_propose_seeds_only_its_own_draws():
    torch.manual_seed(11)
    expected = torch.rand(1)
    torch.manual_seed(11)
    settings = RoundSettings(simulations=20, epsilon=0.01, threshold_samples=1000, probe=2000)
    propose(ShiftedGaussian(), np.zeros(3), settings, seed=5)
    assert torch.equal(torch.rand(1), expected)

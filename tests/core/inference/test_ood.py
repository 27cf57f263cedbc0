"""The out-of-distribution check: Mahalanobis distance from the training summaries, as a
percentile among held-out summaries."""

from __future__ import annotations

import numpy as np
import pytest

from cosmossl import DataError
from cosmossl.inference.ood import THRESHOLD, DistanceReference, check_distribution


def _reference(seed=0):
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    train = rng.multivariate_normal([1.0, 2.0], cov, size=4000)
    held_out = rng.multivariate_normal([1.0, 2.0], cov, size=1000)
    return DistanceReference.fit(train, held_out), cov


def test_the_distance_is_the_mahalanobis_distance():
    reference, cov = _reference()
    x = np.array([[2.0, 2.0]])
    exact = np.sqrt(np.array([1.0, 0.0]) @ np.linalg.inv(cov) @ np.array([1.0, 0.0]))
    assert reference.distance(x)[0] == pytest.approx(exact, rel=0.05)


def test_summaries_like_the_training_ones_are_not_flagged():
    reference, cov = _reference()
    x = np.random.default_rng(1).multivariate_normal([1.0, 2.0], cov, size=200)
    check = check_distribution(reference, x)
    # Percentiles of new draws are uniform: about half below the median, few flagged.
    assert 0.4 < np.mean(check.percentile < 50) < 0.6
    assert check.flagged.sum() <= 2


def test_a_summary_across_the_correlation_is_flagged_although_each_number_is_typical():
    reference, _ = _reference()
    check = check_distribution(reference, np.array([[2.5, 0.5]]))  # +1.5σ and −1.5σ
    assert check.percentile[0] == 100.0 and check.flagged[0]
    assert check.to_dict()["threshold_percentile"] == THRESHOLD


def test_too_few_training_summaries_are_refused():
    with pytest.raises(DataError, match="more training summaries than dimensions"):
        DistanceReference.fit(np.zeros((3, 4)), np.zeros((2, 4)))

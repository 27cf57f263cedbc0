"""Surveys: N maps of one cosmology with distinct seeds, summarised by their mean summary."""

from __future__ import annotations

import numpy as np
import pytest

from cosmossl import DataError
from cosmossl.inference.surveys import draw_surveys, survey_mean

# 3 cosmologies × 4 seeds × 2 paired twins: row i has seed i // 2 and cosmology i // 8.
COSMOLOGY = np.arange(24) // 8
SEED = np.arange(24) // 2


def test_surveys_are_disjoint_maps_of_one_cosmology_with_distinct_seeds():
    surveys = draw_surveys(COSMOLOGY, SEED, np.arange(24), 2, seed=0)
    assert surveys.shape == (3 * 2, 2)  # 4 seeds per cosmology → 2 surveys of 2
    for survey in surveys:
        assert len(set(COSMOLOGY[survey])) == 1
        assert len(set(SEED[survey])) == 2  # never two twins of one seed
    assert len(set(surveys.reshape(-1).tolist())) == 12


def test_a_survey_size_of_one_keeps_every_row_in_order():
    rows = np.array([5, 1, 9])
    np.testing.assert_array_equal(draw_surveys(COSMOLOGY, SEED, rows, 1, seed=3), [[1], [5], [9]])


def test_surveys_are_drawn_only_from_the_given_rows_and_are_deterministic():
    rows = np.arange(8, 24)  # cosmologies 1 and 2
    first = draw_surveys(COSMOLOGY, SEED, rows, 4, seed=7)
    np.testing.assert_array_equal(first, draw_surveys(COSMOLOGY, SEED, rows, 4, seed=7))
    assert not np.array_equal(first, draw_surveys(COSMOLOGY, SEED, rows, 4, seed=8))
    assert sorted(set(COSMOLOGY[first[:, 0]].tolist())) == [1, 2]


def test_random_subsets_give_more_surveys_per_cosmology():
    surveys = draw_surveys(COSMOLOGY, SEED, np.arange(24), 3, seed=0, per_cosmology=5)
    assert surveys.shape == (15, 3)
    for survey in surveys:
        assert len(set(COSMOLOGY[survey])) == 1 and len(set(SEED[survey])) == 3


def test_too_few_seeds_for_a_survey_is_an_error_that_says_what_to_change():
    with pytest.raises(DataError) as error:
        draw_surveys(COSMOLOGY, SEED, np.arange(24), 5, seed=0)
    assert str(error.value).startswith(
        "a survey of 5 maps needs 5 maps with distinct seeds per cosmology, but the group with "
        "id 0 (maps at rows 0, 1, 2, 3, 4, 5, ... of the data set) has 4: lower survey_size, "
        "or give more maps per group"
    )


def test_survey_summary_is_the_mean_of_its_maps_summaries():
    x = np.arange(12.0).reshape(6, 2)
    np.testing.assert_allclose(survey_mean(x, np.array([[0, 2], [1, 5]])), [[2, 3], [6, 7]])

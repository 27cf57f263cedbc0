"""Surveys: N maps of one cosmology analysed together, summarised by the mean of their summaries.

A real analysis constrains cosmology with many patches of one universe, so biases that are small
against the width of a one-map posterior can be several σ of a survey's. A survey here is N rows
of one cosmology with distinct noise seeds (never two paired twins of one seed); its summary is
the mean of the N per-map summaries, and a posterior for surveys is fitted on surveys drawn the
same way from the fit rows, so training and test surveys are alike. Rows keep the framework's
split by cosmology: a survey lies wholly in the split of its cosmology.

Example::

    rows = draw_surveys(s.cosmology_id, s.seed_id, s.indices("test"), 16, seed=0)  # [S, 16]
    x, theta = survey_mean(s.summaries, rows), s.params[rows[:, 0]]
"""

from __future__ import annotations

import numpy as np

from cosmossl.errors import DataError


def draw_surveys(
    cosmology_id: np.ndarray,
    seed_id: np.ndarray,
    rows: np.ndarray,
    size: int,
    *,
    seed: int,
    per_cosmology: int | None = None,
) -> np.ndarray:
    """Row indices ``[S, size]`` of surveys drawn from ``rows``, each from one cosmology.

    Per cosmology, one row of each distinct ``seed_id`` is kept (paired twins share a seed and
    would not be independent patches), shuffled, and cut into disjoint surveys of ``size`` rows
    (rows left over are unused); with ``per_cosmology`` it is instead that many random subsets of
    ``size`` rows (surveys may then share rows: more training surveys from few maps). ``size`` 1
    returns every row as its own survey, in order. Deterministic for a ``seed``. A cosmology with
    fewer than ``size`` distinct seeds raises :class:`DataError`.
    """
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    if size < 1:
        raise DataError(f"survey size must be ≥ 1, got {size}")
    if size == 1 and per_cosmology is None:
        return rows[:, None]
    rng = np.random.default_rng(seed)
    cosmology_id, seed_id = np.asarray(cosmology_id), np.asarray(seed_id)
    surveys = []
    for cosmology in np.unique(cosmology_id[rows]):
        members = rows[cosmology_id[rows] == cosmology]
        _, first = np.unique(seed_id[members], return_index=True)
        # One row per seed, chosen at random among its paired twins.
        candidates = np.array([rng.choice(members[seed_id[members] == seed_id[members[i]]])
                               for i in first])  # fmt: skip
        if candidates.size < size:
            raise DataError(_too_few(size, int(cosmology), members, candidates.size))
        if per_cosmology is None:
            shuffled = rng.permutation(candidates)
            count = candidates.size // size
            surveys.append(shuffled[: count * size].reshape(count, size))
        else:
            picks = [rng.choice(candidates, size, replace=False) for _ in range(per_cosmology)]
            surveys.append(np.stack(picks))
    if not surveys:
        return np.zeros((0, size), dtype=np.int64)
    return np.concatenate(surveys).astype(np.int64)


def _too_few(size: int, cosmology: int, members: np.ndarray, distinct: int) -> str:
    rows = ", ".join(map(str, members[:6])) + (", ..." if members.size > 6 else "")
    return (
        f"a survey of {size} maps needs {size} maps with distinct seeds per cosmology, but the "
        f"group with id {cosmology} (maps at rows {rows} of the data set) has {distinct}: "
        "lower survey_size, or give more maps per group (for a simulator: "
        "n_simulations × maps_per_simulation)"
    )


def survey_mean(summaries: np.ndarray, surveys: np.ndarray) -> np.ndarray:
    """Survey summaries ``[S, D]``: the mean of the per-map ``summaries`` ``[N, D]`` over the
    rows of each survey (``surveys`` ``[S, size]``)."""
    return np.asarray(summaries, dtype=np.float64)[np.asarray(surveys)].mean(axis=1)

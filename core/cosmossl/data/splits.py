"""Train/val/test splits by group (cosmology or simulation), never by map."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cosmossl.errors import DataError


def split_by_group(groups: np.ndarray, fractions: Sequence[float], seed: int) -> np.ndarray:
    """Split codes ``[N]`` (0 train, 1 val, 2 test) giving whole groups to one split.

    ``groups`` ``[N]`` holds each map's group id; ``fractions`` are the (train, val, test) shares
    of the groups (they must sum to 1). The groups are shuffled with ``seed``; val and test get
    ``round(fraction · n_groups)`` groups each (at least one when their fraction is positive and
    there are enough groups) and train the rest.
    """
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1.0) > 1e-6:
        raise DataError(
            f"split fractions must be three non-negative numbers summing to 1, got {fractions}"
        )
    unique, inverse = np.unique(np.asarray(groups), return_inverse=True)
    n_groups = len(unique)
    sizes = [round(f * n_groups) for f in fractions[1:]]
    for i, f in enumerate(fractions[1:]):
        if f > 0 and sizes[i] == 0 and n_groups >= 3:
            sizes[i] = 1
    n_val, n_test = sizes
    if n_val + n_test >= n_groups and fractions[0] > 0:
        raise DataError(
            f"cannot split {n_groups} groups as {fractions}: no group left for "
            "training; add groups or change the split"
        )
    order = np.random.default_rng([seed, 0x5EED]).permutation(n_groups)
    code_of_group = np.zeros(n_groups, dtype=np.int8)
    code_of_group[order[:n_val]] = 1
    code_of_group[order[n_val : n_val + n_test]] = 2
    return code_of_group[inverse]

"""Train/val/test splits by group (cosmology or simulation), never by map."""

from __future__ import annotations

import enum
from collections.abc import Sequence

import numpy as np

from cosmossl.errors import DataError


class Split(enum.IntEnum):
    """The three splits; the value is the code stored in map and summaries files."""

    TRAIN = 0
    VAL = 1
    TEST = 2

    @classmethod
    def parse(cls, name: str | Split) -> Split:
        """The split called ``name`` (``"train"``, ``"val"`` or ``"test"``)."""
        if isinstance(name, Split):
            return name
        try:
            return cls[str(name).upper()]
        except KeyError:
            raise DataError(f"unknown split '{name}'; splits are {', '.join(SPLITS)}") from None

    def __str__(self) -> str:
        return self.name.lower()


#: The split names in code order.
SPLITS: tuple[str, ...] = tuple(str(s) for s in Split)


def split_by_group(groups: np.ndarray, fractions: Sequence[float], seed: int) -> np.ndarray:
    """Split codes ``[N]`` (:class:`Split` values) giving whole groups to one split.

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
    code_of_group[order[:n_val]] = Split.VAL
    code_of_group[order[n_val : n_val + n_test]] = Split.TEST
    return code_of_group[inverse]

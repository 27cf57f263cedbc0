"""The framework-owned split: the same train/val/test rows for every backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cosmossl.data.summaries import Summaries
from cosmossl.errors import DataError


@dataclass(frozen=True)
class InferenceSplit:
    """Row indices (into a :class:`Summaries`) of the backend's train, val and test sets."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def inference_split(
    s: Summaries,
    *,
    val_fraction: float = 0.1,
    seed: int = 0,
    fit_on: Literal["train", "train+val"] = "train",
) -> InferenceSplit:
    """Split rows by cosmology group.

    Test rows are the file's test split (cosmologies the encoder never saw). The backend's
    train and validation rows are drawn from the file's train split (or train+val with
    ``fit_on="train+val"``) by whole cosmology groups, with ``val_fraction`` of the groups, chosen
    by a generator seeded with ``seed``, going to validation. Every backend gets this split.
    """
    if not 0.0 < val_fraction < 1.0:
        raise DataError(f"val_fraction must be in (0, 1), got {val_fraction}")
    codes = (0,) if fit_on == "train" else (0, 1)
    pool = np.flatnonzero(np.isin(s.split, codes))
    test = np.flatnonzero(s.split == 2)
    if test.size == 0:
        raise DataError("summaries have no test rows (split code 2): cannot evaluate the posterior")
    groups = np.unique(s.cosmology_id[pool])
    if groups.size < 2:
        raise DataError(
            f"need at least 2 cosmology groups in the '{fit_on}' rows to hold out "
            f"validation groups, found {groups.size}"
        )
    rng = np.random.default_rng(seed)
    n_val = min(max(1, round(val_fraction * groups.size)), groups.size - 1)
    val_groups = rng.choice(groups, size=n_val, replace=False)
    is_val = np.isin(s.cosmology_id[pool], val_groups)
    return InferenceSplit(train=pool[~is_val], val=pool[is_val], test=test)

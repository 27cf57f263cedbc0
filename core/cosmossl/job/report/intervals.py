"""Credible intervals of posterior samples, as every posterior output writes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: The credible levels of the intervals: central (equal-tailed) 68% and 95%.
LEVELS = {"68": (16.0, 84.0), "95": (2.5, 97.5)}


def parameter_summary(samples: np.ndarray, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per parameter of samples ``[n, P]``: mean, std, median and the central 68% and 95%
    credible intervals."""
    out = {}
    for k, name in enumerate(names):
        column = np.asarray(samples[:, k], dtype=np.float64)
        entry = {"mean": float(column.mean()), "std": float(column.std(ddof=1)),
                 "median": float(np.median(column))}  # fmt: skip
        for level, (low, high) in LEVELS.items():
            entry[f"interval_{level}"] = [float(np.percentile(column, low)),
                                          float(np.percentile(column, high))]  # fmt: skip
        out[name] = entry
    return out

"""The credibility levels shared by the coverage and TARP curves."""

from __future__ import annotations

import numpy as np

#: Credibility levels α of the coverage and TARP curves: 101 points on [0, 1].
GRID = np.linspace(0.0, 1.0, 101)


def coverage_curve(credibility: np.ndarray) -> np.ndarray:
    """``[len(GRID)]`` fraction of test points whose ``credibility [B]`` is below each α."""
    return (credibility[None] < GRID[:, None]).mean(1)

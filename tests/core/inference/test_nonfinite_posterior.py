"""No metric is computed over non-finite posterior samples."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support.inference import ShiftedGaussian

from cosmossl import CosmosslError
from cosmossl.inference import evaluate


class Diverged(ShiftedGaussian):
    """Draws NaN for the second test point, as a flow that diverged might."""

    def sample_standardized(self, x: torch.Tensor, n: int) -> torch.Tensor:
        samples = super().sample_standardized(x, n)
        samples[:, 1] = torch.nan
        return samples


def test_nan_samples_stop_the_evaluation_before_any_metric():
    x = np.zeros((4, 3), np.float32)
    theta = np.zeros((4, 2), np.float32)
    with pytest.raises(CosmosslError) as info:
        evaluate(Diverged(), theta, x, n_samples=20, n_bootstrap=2)
    assert str(info.value).startswith(
        "the posterior gave NaN or inf samples for test point 1: its metrics would be "
        "meaningless, so none are reported"
    )

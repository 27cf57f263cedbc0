"""No Fisher matrix is reported over non-finite summaries."""

from __future__ import annotations

import numpy as np
import pytest

import cosmossl
from cosmossl import CosmosslError
from cosmossl.information.check import information


def test_a_summary_that_gives_nan_stops_the_information_check():
    simulator = cosmossl.create(
        "dataset", "lognormal", n_cosmologies=4, n_simulations=2, n_pixels=16
    )

    def diverged(maps):
        out = np.ones((len(maps), 2))
        out[0, 1] = np.nan
        return out

    with pytest.raises(CosmosslError) as info:
        information(simulator, {"encoder": diverged}, n_fiducial=10, n_derivative=2)
    assert str(info.value) == (
        "the 'encoder' summaries of maps simulated around the fiducial point hold NaN or inf "
        "values: no Fisher matrix is computed over them (for a trained encoder, the training may "
        "have diverged)"
    )

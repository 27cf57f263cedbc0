"""Fixtures of the ``cosmossl posterior`` tests: a copy of the small finished run (each test may
write into it) and one map it has never seen."""

from __future__ import annotations

import numpy as np
import pytest
from support.observations import TRUTH, copy_run, simulate


@pytest.fixture
def run_dir(observed_run, tmp_path):
    return copy_run(observed_run, tmp_path / "run")


@pytest.fixture
def obs(tmp_path):
    path = tmp_path / "obs.npy"
    np.save(path, simulate(TRUTH, 1)[0, 0])  # one [16, 16] map
    return path

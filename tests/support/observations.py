"""A small finished run and maps it has never seen, for the tests of ``cosmossl posterior``,
``cosmossl export`` and :class:`cosmossl.TrainedRun`."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from cosmossl.config.run_file import parse_run_config

#: The cosmology of the observations in the tests (Ω_m, σ_8).
TRUTH = (0.3, 0.8)

#: 16×16 lognormal maps, a tiny CNN (D4-averaged summaries), the power spectrum, lampe NPE.
RUN = {
    "name": "observed",
    "seed": 2,
    "device": "cpu",
    "dataset": {"type": "lognormal", "n_cosmologies": 120, "n_simulations": 2, "n_pixels": 16},
    "augmentations": [{"type": "d4"}],
    "encoder": {"type": "cnn", "summary_dim": 4, "depth": 2, "width": 4, "hidden_dim": 16,
                "symmetrize": "d4"},
    "loss": {"type": "vicreg", "sim_weight": 5.0, "var_weight": 5.0},
    "train": {"epochs": 2, "batch_size": 16, "lr": 1e-3, "tensorboard": False},
    "statistic": {"type": "power-spectrum"},
    "backend": {"type": "lampe", "max_epochs": 30, "transforms": 2, "hidden": [32, 32]},
    "inference": {"n_samples": 50, "n_bootstrap": 5, "n_corner": 0, "plots": False},
    "fisher": {"n_fiducial": 40, "n_derivative": 10},
}  # fmt: skip


def make_run(folder: Path) -> Path:
    """Run :data:`RUN` into ``folder`` (about a minute on one CPU core)."""
    from cosmossl.job.run import run

    run(parse_run_config(RUN, source="observed.toml"), run_dir=folder, progress=False)
    return folder


def copy_run(source: Path, target: Path) -> Path:
    """A private copy of a finished run directory (tests that write into it)."""
    shutil.copytree(source, target)
    return target


def simulate(theta: tuple[float, float], n: int = 1, first_seed: int = 10_000) -> np.ndarray:
    """``n`` maps ``[n, 1, 16, 16]`` of :data:`RUN`'s simulator at ``theta``, with seeds the
    run never used."""
    import cosmossl

    simulator = cosmossl.create("dataset", "lognormal", n_pixels=16)
    return simulator.simulate(np.array([theta] * n), list(range(first_seed, first_seed + n)))

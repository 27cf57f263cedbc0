"""A user's own data: Gaussian maps of a power-law spectrum P(k) = A k^n, written as .npy files
with a parameters table, as someone bringing their own simulations would."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from cosmossl.physics.fields import gaussian_field, wavenumbers, white_noise

#: The prior the parameters are drawn from.
PRIOR = {"A": (0.5, 2.0), "n": (-3.0, -1.0)}


def power_law_maps(theta: np.ndarray, n_pixels: int, seeds: list[int]) -> np.ndarray:
    """Maps ``[B, n_pixels, n_pixels]`` float32 of spectrum A k^n (k in units of the
    fundamental mode), one noise seed per map; ``theta`` ``[B, 2]`` holds (A, n)."""
    k = wavenumbers(n_pixels, 2 * np.pi)  # k = 1 at the fundamental mode
    k[0, 0] = 1.0  # the mean is removed anyway
    theta = torch.as_tensor(theta, dtype=torch.float64)
    power = theta[:, :1, None] * k[None] ** theta[:, 1:, None]
    return gaussian_field(white_noise(seeds, n_pixels), power, 2 * np.pi).numpy()


def write_user_data(
    folder: Path,
    *,
    n_groups: int = 40,
    per_group: int | Sequence[int] = 3,
    n_pixels: int = 16,
    seed: int = 0,
) -> np.ndarray:
    """``maps.npy`` ``[N, H, W]``, ``params.txt`` (A, n per map) and ``groups.txt`` (the user's
    own ids: 100, 101, ...) in ``folder``, ``per_group`` maps per group (one count, or one per
    group); returns the parameters ``[N, 2]``."""
    rng = np.random.default_rng(seed)
    low, high = np.array([PRIOR["A"][0], PRIOR["n"][0]]), np.array([PRIOR["A"][1], PRIOR["n"][1]])
    cosmologies = rng.uniform(low, high, size=(n_groups, 2))
    counts = np.broadcast_to(np.asarray(per_group), (n_groups,))
    theta = np.repeat(cosmologies, counts, axis=0)
    seeds = [int(s) for s in rng.integers(0, 2**31, size=len(theta))]
    np.save(folder / "maps.npy", power_law_maps(theta, n_pixels, seeds))
    np.savetxt(folder / "params.txt", theta, header="A n")
    np.savetxt(folder / "groups.txt", 100 + np.repeat(np.arange(n_groups), counts), fmt="%d")
    return theta


def npy_table(folder: Path, *, priors: dict | None = PRIOR, groups: bool = True) -> str:
    """The ``[dataset]`` table of the data ``write_user_data`` wrote (TOML)."""
    lines = [
        "[dataset]",
        'type = "npy"',
        f'maps = "{folder / "maps.npy"}"',
        f'params = "{folder / "params.txt"}"',
        'param_names = ["A", "n"]',
        "split = [0.6, 0.2, 0.2]",
    ]
    if groups:
        lines.append(f'groups = "{folder / "groups.txt"}"')
    if priors:
        boxes = ", ".join(f"{k} = [{lo}, {hi}]" for k, (lo, hi) in priors.items())
        lines.append(f"priors = {{ {boxes} }}")
    return "\n".join(lines) + "\n"

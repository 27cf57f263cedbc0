"""Your own maps, as an outside simulator would give them: Gaussian random fields with a
power-law spectrum P(k) = A k^n, written as the files the `npy` dataset reads.

    python examples/own_maps.py my-data              # 200 cosmologies × 3 maps, 32×32
    python examples/own_maps.py my-data --observe 1.2 -2.0   # + obs.npy: one map at A=1.2, n=−2

Writes into the folder: maps.npy [N, 32, 32], params.txt (A and n, one row per map) and
groups.txt (the cosmology of each map: maps of one cosmology are the positive pairs of the
self-supervised training). The prior is A ∈ [0.5, 2], n ∈ [−3, −1]: state it in the run file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

PRIOR = {"A": (0.5, 2.0), "n": (-3.0, -1.0)}


def power_law_map(amplitude: float, slope: float, seed: int, n_pixels: int = 32) -> np.ndarray:
    """One map [n_pixels, n_pixels] of a Gaussian field with P(k) = A k^n (k in grid units)."""
    freq = np.fft.fftfreq(n_pixels)
    k = np.sqrt(np.add.outer(freq**2, freq**2))
    k[0, 0] = np.inf  # no mean: the k = 0 mode gets no power
    noise = np.fft.fft2(np.random.default_rng(seed).standard_normal((n_pixels, n_pixels)))
    return np.fft.ifft2(noise * np.sqrt(amplitude * k**slope)).real.astype(np.float32)


def write_training_set(folder: Path, n_cosmologies: int = 200, per_cosmology: int = 3,
                       seed: int = 0) -> None:  # fmt: skip
    rng = np.random.default_rng(seed)
    low, high = np.array([v[0] for v in PRIOR.values()]), np.array([v[1] for v in PRIOR.values()])
    theta = rng.uniform(low, high, size=(n_cosmologies, 2))
    maps = [power_law_map(a, n, seed=1000 * i + j)
            for i, (a, n) in enumerate(theta) for j in range(per_cosmology)]  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "maps.npy", np.stack(maps))
    np.savetxt(folder / "params.txt", np.repeat(theta, per_cosmology, axis=0), header="A n")
    np.savetxt(folder / "groups.txt", np.repeat(np.arange(n_cosmologies), per_cosmology), fmt="%d")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--cosmologies", type=int, default=200)
    parser.add_argument("--per-cosmology", type=int, default=3)
    parser.add_argument(
        "--observe",
        nargs=2,
        type=float,
        metavar=("A", "N"),
        help="also write obs.npy: one map at these parameters, a new seed",
    )
    args = parser.parse_args()
    write_training_set(args.folder, args.cosmologies, args.per_cosmology)
    print(f"wrote {args.folder}/maps.npy, params.txt, groups.txt")
    if args.observe:
        np.save(args.folder / "obs.npy", power_law_map(*args.observe, seed=987_654_321))
        print(f"wrote {args.folder}/obs.npy (A = {args.observe[0]}, n = {args.observe[1]})")


if __name__ == "__main__":
    main()

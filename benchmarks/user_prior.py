"""Benchmark: your own maps through the `npy` dataset, with the prior stated or left to the data.

A user brings ~600 maps of a Gaussian field with a power-law spectrum P(k) = A (k / k_F)^n
(A ∈ [0.5, 2], n ∈ [-3, -1] drawn uniformly, a few maps per cosmology), summarises them with the
binned power spectrum and fits the `sbi` backend, twice on the same files: once with the prior
stated in the `[dataset]` table (`priors = { A = [0.5, 2.0], n = [-3.0, -1.0] }`), once without
(the data's min–max, which cosmossl warns about). Same maps, split, summaries, backend and seed;
only the prior differs. Reports the test NLL, R² and coverage of each, per run seed.

Usage::

    python benchmarks/user_prior.py                      # 200 cosmologies × 3 maps, 3 seeds
    python benchmarks/user_prior.py --seeds 0 --cosmologies 60   # quick
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import cosmossl
from cosmossl.config.run_file import parse_run_config
from cosmossl.physics.fields import gaussian_field, wavenumbers, white_noise

PRIOR = {"A": (0.5, 2.0), "n": (-3.0, -1.0)}


def write_maps(folder: Path, cosmologies: int, per_cosmology: int, pixels: int, seed: int) -> None:
    """``maps.npy`` [N, H, W], ``params.txt`` (A, n) and ``groups.txt`` in ``folder``."""
    rng = np.random.default_rng(seed)
    low = np.array([PRIOR["A"][0], PRIOR["n"][0]])
    high = np.array([PRIOR["A"][1], PRIOR["n"][1]])
    theta = np.repeat(rng.uniform(low, high, size=(cosmologies, 2)), per_cosmology, axis=0)
    k = wavenumbers(pixels, 2 * np.pi)  # in units of the fundamental mode k_F
    k[0, 0] = 1.0  # the k = 0 mode is zeroed by gaussian_field
    t = torch.as_tensor(theta)
    power = t[:, :1, None] * k[None] ** t[:, 1:, None]
    seeds = [int(s) for s in rng.integers(0, 2**62, size=len(theta))]
    maps = gaussian_field(white_noise(seeds, pixels), power, 2 * np.pi).numpy()
    np.save(folder / "maps.npy", maps)
    np.savetxt(folder / "params.txt", theta, header="A n")
    np.savetxt(folder / "groups.txt", np.repeat(np.arange(cosmologies), per_cosmology), fmt="%d")


def run_config(folder: Path, seed: int, stated: bool) -> dict:
    dataset = {
        "type": "npy",
        "maps": str(folder / "maps.npy"),
        "params": str(folder / "params.txt"),
        "groups": str(folder / "groups.txt"),
        "param_names": ["A", "n"],
    }
    if stated:
        dataset["priors"] = {name: list(box) for name, box in PRIOR.items()}
    return {
        "name": f"user-prior-{'stated' if stated else 'min-max'}-seed{seed}",
        "seed": seed,
        "device": "cpu",
        "run_dir": str(folder / f"run-{'stated' if stated else 'minmax'}-{seed}"),
        "dataset": dataset,
        "statistic": {"type": "power-spectrum"},
        "backend": {"type": "sbi"},
        "inference": {"n_samples": 1000, "n_corner": 0, "plots": False},
    }


def measure(folder: Path, seed: int, stated: bool) -> dict:
    config = parse_run_config(run_config(folder, seed, stated), source="user_prior.py")
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", cosmossl.PriorWarning)
        result = cosmossl.run(config, progress=False)
    m = result.metrics["power-spectrum"]
    return {
        "prior": m["prior"],
        "warned": any(issubclass(w.category, cosmossl.PriorWarning) for w in caught),
        "nll": m["nll"],
        "r2": {name: p["r2"] for name, p in m["params"].items()},
        "coverage_68": m["coverage"]["coverage_68"],
        "coverage_95": m["coverage"]["coverage_95"],
        "coverage_error": m["coverage"]["mean_abs_error"],
        "tarp_atc": m["tarp"]["atc"],
        "n_test": m["n_test"],
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cosmologies", type=int, default=200)
    parser.add_argument("--per-cosmology", type=int, default=3)
    parser.add_argument("--pixels", type=int, default=32)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the maps")
    parser.add_argument("--out", default="benchmarks/results/user_prior.json")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="cosmossl-user-prior-") as tmp:
        folder = Path(tmp)
        write_maps(folder, args.cosmologies, args.per_cosmology, args.pixels, args.data_seed)
        for seed in args.seeds:
            for stated in (False, True):
                row = {"seed": seed, "kind": "stated" if stated else "data min-max"}
                row.update(measure(folder, seed, stated))
                rows.append(row)
                r2 = ", ".join(f"R²({k}) {v:.3f}" for k, v in row["r2"].items())
                print(f"seed {seed}, {row['kind']:>12}: test NLL {row['nll']:+.3f}, {r2}, "
                      f"68%/95% coverage {row['coverage_68']:.2f}/{row['coverage_95']:.2f}, "
                      f"{row['seconds']:.0f} s", flush=True)  # fmt: skip
    summary = {}
    for kind in ("data min-max", "stated"):
        group = [r for r in rows if r["kind"] == kind]
        summary[kind] = {
            "nll_mean": float(np.mean([r["nll"] for r in group])),
            "r2_mean": {k: float(np.mean([r["r2"][k] for r in group])) for k in group[0]["r2"]},
        }
        print(f"{kind:>12}: mean test NLL {summary[kind]['nll_mean']:+.3f}, mean R² "
              + ", ".join(f"{k} {v:.3f}" for k, v in summary[kind]["r2_mean"].items()))  # fmt: skip
    out = {
        "what": __doc__.splitlines()[0],
        "maps": {
            "cosmologies": args.cosmologies,
            "per_cosmology": args.per_cosmology,
            "pixels": args.pixels,
            "prior": PRIOR,
            "data_seed": args.data_seed,
        },
        "machine": {"platform": platform.platform(), "torch_threads": torch.get_num_threads()},
        "rows": rows,
        "summary": summary,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

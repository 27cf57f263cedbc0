"""Measurement: how visible is baryonic feedback in the maps of the baryon study, per resolution?

Before asking a summary to *ignore* feedback, the maps must carry it. For each map size (the
25 Mpc/h slab of ``examples/baryons.toml`` at 32², 64², 128² pixels, k_Nyquist = 4, 8, 16 h/Mpc)
this script measures, with the built-in simulator and the ``power-spectrum`` statistic:

1. **the shift of P(k) caused by the feedback range, relative to cosmic variance, per bin**: at
   the fiducial cosmology, the same seeds are simulated at the weakest and the strongest
   feedback of the prior (log10 M_c at the corners of the A_AGN1, A_SN1 priors; η_b at its
   fiducial value); per bin, the mean difference of P̂(k) over the seeds divided by the standard
   deviation of P̂(k) of one map at the fiducial feedback (the cosmic variance of one map);
2. **the P(k)-probe R² of log10 M_c given the true cosmology**: an MLP probe
   (:func:`cosmossl.information.probes.mlp_probe_r2`) reads log10 M_c from [log10 P̂(k), Ω_m,
   σ_8] of maps with cosmologies and feedback drawn from the priors, trained on 70% of the
   cosmologies and tested on the rest (held out by cosmology). ``R²`` near 1: feedback is
   visible once the cosmology is known; near 0: invisible.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/feedback_visibility.py     # ~5 min on one core

Writes ``benchmarks/results/feedback_visibility.json``, ``.md`` and ``.png``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import cosmossl
from cosmossl._util.files import write_json, write_text
from cosmossl.config.run_file import load_run_config
from cosmossl.information.probes import linear_probe_r2, mlp_probe_r2
from cosmossl.physics import cosmology

HERE = Path(__file__).resolve().parent
DEFAULT_CONFIG = HERE.parent / "examples" / "baryons.toml"
DEFAULT_OUT = HERE / "results"
FEEDBACK = ("A_SN1", "A_AGN1", "A_SN2", "A_AGN2")


def dataset(config: Path, n_pixels: int, **overrides: Any) -> Any:
    """The study's simulator at ``n_pixels`` (everything else from the run file)."""
    params = load_run_config(config).component("dataset").params.model_dump()
    params.update(n_pixels=n_pixels, **overrides)
    return cosmossl.create("dataset", "lognormal", **params)


def power(simulator: Any, maps: np.ndarray, log10: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(k [n_bins], P̂ [N, n_bins])`` of ``maps`` with the power-spectrum statistic."""
    statistic = cosmossl.create("statistic", "power-spectrum", meta=simulator.meta, log10=log10)
    with torch.no_grad():
        values = statistic(torch.from_numpy(maps)).double().numpy()
    return statistic.k.double().numpy(), values


def extreme_feedback(simulator: Any) -> dict[str, np.ndarray]:
    """The feedback amplitudes ``[4]`` of the weakest and strongest log10 M_c of the prior."""
    priors = simulator.feedback_priors
    weak = [priors["A_SN1"][1], priors["A_AGN1"][0], 1.0, 1.0]
    strong = [priors["A_SN1"][0], priors["A_AGN1"][1], 1.0, 1.0]
    return {"weak": np.array(weak), "strong": np.array(strong), "fiducial": np.ones(4)}


def shift_over_cosmic_variance(simulator: Any, n_maps: int, seed: int) -> dict[str, Any]:
    """Per bin: (P̂ at strong − weak feedback, same seeds) / σ of one map's P̂ (fiducial)."""
    theta = np.asarray(simulator.fiducial, dtype=np.float64)
    seeds = [cosmossl.derive_seed(seed, 0xB15, i) for i in range(n_maps)]
    spectra = {}
    for name, nuisance in extreme_feedback(simulator).items():
        k, spectra[name] = power(simulator, simulator.simulate(theta, seeds, nuisance), False)
    sigma = spectra["fiducial"].std(axis=0, ddof=1)
    shift = (spectra["strong"] - spectra["weak"]).mean(axis=0)
    ratio = shift / sigma
    mc = {n: float(cosmology.feedback_to_st(*v)[0]) for n, v in
          extreme_feedback(simulator).items()}  # fmt: skip
    return {
        "k": k.tolist(),
        "relative_shift": (shift / spectra["fiducial"].mean(axis=0)).tolist(),
        "shift_over_sigma": ratio.tolist(),
        "max_abs_shift_over_sigma": float(np.abs(ratio).max()),
        "bins_over_1_sigma": int((np.abs(ratio) > 1).sum()),
        "quadrature_sum": float(np.sqrt((ratio**2).sum())),
        "log10_mc": mc,
        "n_maps": n_maps,
    }


def probe_given_cosmology(simulator: Any, seed: int) -> dict[str, Any]:
    """Test R² of log10 M_c from [log10 P̂(k), Ω_m, σ_8] (MLP and linear probes)."""
    mapset = simulator.load(seed=seed)
    _, spectra = power(simulator, np.asarray(mapset.maps), True)
    names = list(mapset.nuisance_names)
    amplitudes = np.asarray(mapset.nuisance, dtype=np.float64)
    log10_mc, _ = cosmology.feedback_to_st(*(amplitudes[:, names.index(n)] for n in FEEDBACK))
    features = np.hstack([spectra, mapset.params])
    train, test = mapset.indices("train"), mapset.indices("test")
    args = (features[train], log10_mc[train], features[test], log10_mc[test])
    only_cosmology = (mapset.params[train], log10_mc[train], mapset.params[test], log10_mc[test])
    return {
        "mlp": float(mlp_probe_r2(*args, groups=mapset.simulation_id[train], seed=seed)[0]),
        "linear": float(linear_probe_r2(*args)[0]),
        "floor_mlp": float(
            mlp_probe_r2(*only_cosmology, groups=mapset.simulation_id[train], seed=seed)[0]
        ),
        "n_train": int(train.size),
        "n_test": int(test.size),
    }


def measure(
    config: Path, pixels: list[int], n_maps: int, n_cosmologies: int, seed: int
) -> dict[str, Any]:
    out: dict[str, Any] = {"config": str(config.name), "seed": seed, "geometries": {}}
    for n in pixels:
        started = time.perf_counter()
        simulator = dataset(config, n)
        probe_set = dataset(config, n, n_cosmologies=n_cosmologies, n_simulations=4,
                            maps_per_simulation=1, paired_draws=1,
                            split=(0.7, 0.0, 0.3))  # fmt: skip
        out["geometries"][str(n)] = {
            "n_pixels": n,
            "k_nyquist": float(np.pi * n / simulator.box_size),
            "shift": shift_over_cosmic_variance(simulator, n_maps, seed),
            "probe_log10_mc_given_cosmology": probe_given_cosmology(probe_set, seed),
            "seconds": time.perf_counter() - started,
        }
        print(f"[visibility] {n}²: {markdown_row(out['geometries'][str(n)])}", flush=True)
    return out


def markdown_row(g: dict[str, Any]) -> str:
    s, p = g["shift"], g["probe_log10_mc_given_cosmology"]
    return (
        f"| {g['n_pixels']}² | {g['k_nyquist']:.1f} | {s['max_abs_shift_over_sigma']:.2f} | "
        f"{s['bins_over_1_sigma']} / {len(s['k'])} | {s['quadrature_sum']:.1f} | "
        f"{p['mlp']:.3f} / {p['linear']:.3f} | {p['floor_mlp']:.3f} |"
    )


def markdown(results: dict[str, Any]) -> str:
    head = (
        "| map | k_Nyquist [h/Mpc] | largest shift of a bin, in σ_P | "
        "bins shifted by more than σ_P | "
        "√Σ (ΔP/σ_P)² | R² of log10 M_c from P(k), Ω_m, σ_8 (MLP / linear) | "
        "R² from Ω_m, σ_8 alone |"
    )
    rows = [markdown_row(g) for g in results["geometries"].values()]
    return "\n".join([head, "|" + "---|" * 7, *rows])


def plot(results: dict[str, Any], path: Path) -> Path:
    """ΔP/σ_P per bin against k for every map size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for g in results["geometries"].values():
        s = g["shift"]
        ax.plot(s["k"], s["shift_over_sigma"], "o-", ms=2.5,
                label=f"{g['n_pixels']}² (k_Nyq = {g['k_nyquist']:.0f} h/Mpc)")  # fmt: skip
    ax.axhline(-1, color="k", ls="--", lw=0.8)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("k [h/Mpc]")
    ax.set_ylabel("ΔP / σ_P of one map")
    ax.set_title(
        "P(k) at strongest − weakest feedback, same seeds (fiducial cosmology)", fontsize=9
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="run file of the study")
    parser.add_argument("--pixels", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--maps", type=int, default=300, help="seeds of the P(k) shift test")
    parser.add_argument("--cosmologies", type=int, default=500,
                        help="cosmologies (4 maps each) of the probe")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    results = measure(Path(args.config), args.pixels, args.maps, args.cosmologies, args.seed)
    out = Path(args.out)
    write_json(out / "feedback_visibility.json", results)
    write_text(out / "feedback_visibility.md", markdown(results) + "\n")
    plot(results, out / "feedback_visibility.png")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``cosmossl fisher CONFIG``: the analytic information limit, and a statistic's share of it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cosmossl.errors import ConfigError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fisher",
        help="analytic Fisher limit of the run's simulator, and a statistic's Fisher matrix",
        description="Print the analytic Fisher matrix of the [dataset] simulator at its "
        "fiducial point with the Cramér–Rao σ's; with --statistic also the statistic's Fisher "
        "matrix from seed-matched simulations (Hartlap-debiased) and the figure-of-merit "
        "fraction sqrt(det F_stat / det F_limit).",
    )
    parser.add_argument("config", help="run file (TOML) with a simulator [dataset]")
    parser.add_argument(
        "--statistic",
        "--summary",
        dest="statistic",
        metavar="NAME",
        help="a statistic component, e.g. power-spectrum (parameters from the "
        "run file's [statistic] table when it names the same component)",
    )
    parser.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="also the Fisher matrix of a trained encoder's summaries (a checkpoint folder "
        "such as <run_dir>/checkpoints/best; see cosmossl.training.fisher_of_encoder)",
    )
    parser.add_argument(
        "--n-fiducial",
        type=int,
        default=1000,
        help="maps at the fiducial point for the covariance (default 1000)",
    )
    parser.add_argument(
        "--n-derivative",
        type=int,
        default=500,
        help="seed-matched maps per θ ± δ for the derivatives (default 500)",
    )
    parser.add_argument(
        "--step",
        type=float,
        default=0.005,
        help="finite-difference step δ relative to θ, 5-point stencil (default 0.005)",
    )
    parser.add_argument("--out", help="also write the results as JSON to this file")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run)


def _matrix(name: str, names: list[str], matrix: Any) -> str:
    rows = [f"{name}:"] + [
        f"  {label:>10} " + " ".join(f"{v:12.5g}" for v in row) for label, row in zip(names, matrix)
    ]
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from cosmossl import fisher
    from cosmossl.cli.simulate import dataset_from_config
    from cosmossl.config import load_run_config
    from cosmossl.io import write_json
    from cosmossl.plugins import registry

    config = load_run_config(args.config)
    dataset = dataset_from_config(config)
    spec = config.component("dataset")
    if not (hasattr(dataset, "fisher_limit") and hasattr(dataset, "simulate")):
        raise ConfigError(
            f"{config.source}: dataset '{spec.type}' is not a simulator with an "
            "analytic Fisher limit (it needs simulate() and fisher_limit())"
        )
    theta = np.asarray(dataset.params.fiducial, dtype=np.float64)
    names = ["omega_m", "sigma_8"]
    limit = dataset.fisher_limit(theta)
    result: dict[str, Any] = {
        "fiducial": dict(zip(names, theta.tolist())),
        "limit": {"fisher": limit.tolist(), "sigma": fisher.cramer_rao(limit).tolist()},
    }
    if args.statistic:
        cls = registry().load("statistic", args.statistic)
        stat_spec = config.component("statistic")
        params = stat_spec.params if stat_spec and stat_spec.type == args.statistic else None
        statistic = cls(params, meta=dataset.meta)

        def summarize(maps: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return statistic(torch.from_numpy(maps)).double().numpy()

        delta = args.step * np.abs(theta)
        matrix = fisher.fisher_from_simulator(
            dataset.simulate,
            summarize,
            theta,
            delta,
            n_fiducial=args.n_fiducial,
            n_derivative=args.n_derivative,
            seed=config.settings.seed,
        )
        result["statistic"] = {
            "name": args.statistic, "fisher": matrix.tolist(),
            "sigma": fisher.cramer_rao(matrix).tolist(),
            "fom_fraction": fisher.fom_fraction(matrix, limit),
            "n_fiducial": args.n_fiducial, "n_derivative": args.n_derivative,
            "delta": delta.tolist(),
        }  # fmt: skip
    if args.checkpoint:
        from cosmossl.training import fisher_of_encoder

        delta = args.step * np.abs(theta)
        matrix = fisher_of_encoder(
            args.checkpoint,
            dataset,
            theta,
            delta,
            n_fiducial=args.n_fiducial,
            n_derivative=args.n_derivative,
            seed=config.settings.seed,
            device=config.settings.device,
        )
        result["encoder"] = {
            "checkpoint": str(args.checkpoint), "fisher": matrix.tolist(),
            "sigma": fisher.cramer_rao(matrix).tolist(),
            "fom_fraction": fisher.fom_fraction(matrix, limit),
            "n_fiducial": args.n_fiducial, "n_derivative": args.n_derivative,
            "delta": delta.tolist(),
        }  # fmt: skip
    if args.out:
        write_json(Path(args.out), result)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"fiducial {', '.join(f'{n} = {v:g}' for n, v in zip(names, theta))}")
    print(_matrix("analytic Fisher limit", names, limit))
    sig = result["limit"]["sigma"]
    print("  Cramér–Rao σ: " + ", ".join(f"{n} {s:.4g}" for n, s in zip(names, sig)))
    if "statistic" in result:
        stat = result["statistic"]
        print(_matrix(f"{args.statistic} Fisher (simulations)", names, stat["fisher"]))
        print("  Cramér–Rao σ: " + ", ".join(f"{n} {s:.4g}" for n, s in zip(names, stat["sigma"])))
        print(f"figure-of-merit fraction sqrt(det F / det F_limit) = {stat['fom_fraction']:.3f}")
    if "encoder" in result:
        enc = result["encoder"]
        print(_matrix(f"encoder {args.checkpoint} Fisher (simulations)", names, enc["fisher"]))
        print("  Cramér–Rao σ: " + ", ".join(f"{n} {s:.4g}" for n, s in zip(names, enc["sigma"])))
        print(f"figure-of-merit fraction sqrt(det F / det F_limit) = {enc['fom_fraction']:.3f}")
    return 0

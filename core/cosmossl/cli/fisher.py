"""``cosmossl fisher CONFIG``: the analytic information limit, and a statistic's share of it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cosmossl.cli._common import build_statistic, command, load_config
from cosmossl.errors import ConfigError

#: The ``format`` key of the JSON file ``--out`` writes (an existing file is replaced only if
#: it has it).
FISHER_FORMAT = "cosmossl-fisher"


def _is_fisher_file(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == FISHER_FORMAT


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "fisher",
        run,
        help="analytic Fisher limit of the run's simulator, and a statistic's Fisher matrix",
        description="Print the analytic Fisher matrix of the [dataset] simulator at its "
        "fiducial point with the Cramér–Rao σ's; with --statistic also the statistic's Fisher "
        "matrix from seed-matched simulations (noise-debiased) and the figure-of-merit "
        "fraction sqrt(det F_stat / det F_limit). Simulation counts and the step default to the "
        "run file's [fisher] table.",
        config="run file (TOML) with a simulator [dataset]",
        json_output=True,
    )
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
        "such as <run_dir>/train/checkpoints/best)",
    )
    parser.add_argument(
        "--n-fiducial", type=int, help="maps at the fiducial point for the covariance"
    )
    parser.add_argument(
        "--n-derivative", type=int, help="seed-matched maps per θ ± δ for the derivatives"
    )
    parser.add_argument(
        "--step", type=float, help="finite-difference step δ relative to θ, 5-point stencil"
    )
    parser.add_argument(
        "--out",
        help="also write the results as JSON to this file (an existing file is replaced only "
        "if cosmossl wrote it)",
    )


def _matrix(name: str, names: list[str], matrix: Any) -> str:
    rows = [f"{name}:"] + [
        f"  {label:>10} " + " ".join(f"{v:12.5g}" for v in row) for label, row in zip(names, matrix)
    ]
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    from cosmossl._util.files import write_json
    from cosmossl._util.validation import validate_model
    from cosmossl.components.dataset import Simulator
    from cosmossl.config.settings import FisherSettings
    from cosmossl.job.fisher import check_information
    from cosmossl.job.plan import build_dataset
    from cosmossl.job.run_dir import check_output_file
    from cosmossl.training.checkpoint import load_checkpoint

    config = load_config(args.config, "fisher")
    dataset = build_dataset(config, "`cosmossl fisher`")
    if not isinstance(dataset, Simulator):
        raise ConfigError(
            f"{config.source}: dataset '{config.require('dataset').type}' is not a simulator "
            "with an analytic Fisher limit (it needs simulate() and fisher_limit())"
        )
    given = {"n_fiducial": args.n_fiducial, "n_derivative": args.n_derivative, "step": args.step}
    # Options on the command line override [fisher] and are validated the same way.
    options = validate_model(
        FisherSettings,
        {
            **config.settings.fisher.model_dump(),
            **{k: v for k, v in given.items() if v is not None},
        },
        where="command line:",
    )
    if args.out:
        check_output_file(args.out, ours=_is_fisher_file, what="cosmossl Fisher file",
                          flag="--out")  # fmt: skip
    if args.checkpoint:
        load_checkpoint(args.checkpoint)  # every file checked before the simulations
    names = list(dataset.param_names)
    statistics = {}
    if args.statistic:
        statistics[args.statistic] = build_statistic(config, args.statistic, dataset.meta)
    info = check_information(
        config, dataset, checkpoint=args.checkpoint, statistics=statistics, options=options
    )
    common = {k: info[k] for k in ("n_fiducial", "n_derivative", "delta", "estimator", "stencil")}
    result: dict[str, Any] = {
        "format": FISHER_FORMAT,
        "fiducial": dict(zip(names, info["fiducial"])),
        "simulator": info.get("simulator", {}),
        "limit": info["limit"],
        **common,
    }
    if args.statistic:
        result["statistic"] = {"name": args.statistic, **info["summaries"][args.statistic]}
    if args.checkpoint:
        result["encoder"] = {"checkpoint": str(args.checkpoint), **info["summaries"]["encoder"]}
    if args.out:
        write_json(Path(args.out), result)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for what, how in result["simulator"].items():
        print(f"{what}: {how}")
    print(f"fiducial {', '.join(f'{n} = {v:g}' for n, v in result['fiducial'].items())}")
    _print_entry("analytic Fisher limit", names, result["limit"])
    if args.statistic:
        _print_entry(f"{args.statistic} Fisher (simulations)", names, result["statistic"],
                     label=args.statistic, n_derivative=options.n_derivative)  # fmt: skip
    if args.checkpoint:
        _print_entry(f"encoder {args.checkpoint} Fisher (simulations)", names, result["encoder"],
                     label="encoder", n_derivative=options.n_derivative)  # fmt: skip
    return 0


def _print_entry(
    title: str, names: list[str], entry: dict[str, Any], *, label: str = "", n_derivative: int = 0
) -> None:
    from cosmossl.information.check import noise_warning

    print(_matrix(title, names, entry["fisher"]))
    print("  Cramér–Rao σ: " + ", ".join(f"{n} {s:.4g}" for n, s in zip(names, entry["sigma"])))
    if "fom_fraction" in entry:
        print(f"figure-of-merit fraction sqrt(det F / det F_limit) = {entry['fom_fraction']:.3f}")
    if "noise_share" in entry:
        low, high = entry["fom_fraction_interval"]
        print(f"  68% interval {low:.3f}–{high:.3f}; derivative noise tr(F⁻¹B) = "
              f"{entry['noise_share']:.3f}")  # fmt: skip
        if note := noise_warning(label, entry, n_derivative):
            print(f"warning: {note}")

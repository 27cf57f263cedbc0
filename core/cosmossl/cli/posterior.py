"""``cosmossl posterior RUN_DIR MAPS...``: the posterior of maps the trained run has never seen."""

from __future__ import annotations

import argparse

from cosmossl.cli._common import command, positive_int, print_json
from cosmossl.components.meta import MAP_CONTENTS
from cosmossl.errors import ConfigError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "posterior",
        run,
        help="the posterior of new maps (an observation) under a trained run",
        description="Check maps against the maps the run was trained on (shape, channels, "
        "content, box size, finite pixels), compress them with the run's summaries, flag "
        "summaries outside the training distribution, and sample the run's posterior: one "
        "posterior per map, or with --survey one for the maps together (the run's survey "
        "posterior when it was fitted for that many maps, else the product of the single-map "
        "posteriors). Writes samples.h5, GetDist chains, posterior.json, a triangle plot and "
        "report.md/.html, and prints a table. With --rounds K the posterior of one observation "
        "is refined near it in K rounds of truncated sequential NPE (new simulations with the "
        "run's simulator, compressed by its summary; resumable). Maps: .npy ([H, W], "
        "[N, H, W] or [N, C, H, W]), cosmossl map files (.h5) or FITS images (needs "
        "astropy: pip install 'cosmossl[fits]').",
        json_output=True,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run directory of a finished run")
    parser.add_argument("maps", metavar="MAPS", nargs="+", help="map files (.npy, .h5, .fits)")
    parser.add_argument(
        "--out", metavar="DIR", help="output folder (default: RUN_DIR/posterior/<name>)"
    )
    parser.add_argument(
        "--name", help="the observation's name (default: the first map file's name)"
    )
    parser.add_argument(
        "--summary",
        action="append",
        metavar="NAME",
        help="a summary of the run: encoder or a statistic's name (repeat for several; "
        "default: every summary with a posterior, overlaid)",
    )
    parser.add_argument(
        "--survey",
        action="store_true",
        help="the maps are independent maps of one universe: one posterior for all of them",
    )
    parser.add_argument(
        "--samples", type=positive_int, default=5000, help="samples per posterior (5000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (0)")
    parser.add_argument(
        "--content",
        choices=list(MAP_CONTENTS),
        metavar="CONTENT",
        help="what the pixels of .npy/FITS maps hold, checked against the run's maps: "
        f"{', '.join(MAP_CONTENTS)}",
    )
    parser.add_argument(
        "--box-size", type=float, metavar="MPC_H", help="side of the maps in Mpc/h; checked"
    )
    parser.add_argument(
        "--fisher",
        action="store_true",
        help="draw each summary's Cramér–Rao ellipse (the run's Fisher check) on its posterior",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        metavar="K",
        help="refine the posterior of one observation (a map, or --survey) in K rounds of "
        "truncated sequential NPE near it: needs a run whose dataset simulates (0: none)",
    )
    parser.add_argument(
        "--simulations",
        type=positive_int,
        default=None,
        metavar="M",
        help="new simulations (points; surveys of N maps with --survey) per round, with "
        "--rounds (500)",
    )
    parser.add_argument("--force", action="store_true", help="sample again even if up to date")
    parser.add_argument("--device", default="auto", help="'cpu', 'cuda' or 'auto' (auto)")


def run(args: argparse.Namespace) -> int:
    from textwrap import indent

    from cosmossl.job.observation import ObservationOptions, observe
    from cosmossl.job.report.observation_report import terminal_table
    from cosmossl.job.report.sequential_report import rounds_table

    if args.simulations is not None and not args.rounds:
        raise ConfigError(
            f"--simulations {args.simulations} sets the new simulations of each sequential "
            "round, but no --rounds were given: add --rounds K (K ≥ 1), or leave out "
            "--simulations for the amortised posterior"
        )
    options = ObservationOptions(
        summaries=tuple(args.summary or ()),
        survey=args.survey,
        n_samples=args.samples,
        seed=args.seed,
        content=args.content,
        box_size=args.box_size,
        fisher=args.fisher,
        rounds=args.rounds,
        **({} if args.simulations is None else {"simulations": args.simulations}),
    )
    result = observe(args.run_dir, args.maps, options, out=args.out, name=args.name,
                     device=args.device, progress=args.progress, force=args.force)  # fmt: skip
    if args.json:
        print_json({"out_dir": str(result.out_dir), **result.summary})
        return 0
    print(f"posterior of {', '.join(result.draws[0].labels)} → {result.out_dir}"
          + ("" if any(result.ran.values()) else " (up to date)"))  # fmt: skip
    for draws in result.draws:
        print(f"  {draws.summary}: {draws.method}")
        if draws.survey and draws.diagnostics.get("assumption"):
            print(f"  assumed: {draws.diagnostics['assumption']}")
        if draws.diagnostics.get("caution"):
            print(f"  caution: {draws.diagnostics['caution']}")
        if "rounds" in draws.diagnostics and "start" in draws.diagnostics:
            print(indent(rounds_table(draws.diagnostics["rounds"], draws.param_names), "  "))
    print(terminal_table(result.summary))
    return 0

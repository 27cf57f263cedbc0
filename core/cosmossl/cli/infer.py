"""``cosmossl infer CONFIG``: fit the run's backend on a summaries file and evaluate it."""

from __future__ import annotations

import argparse

from cosmossl.cli._common import command


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "infer",
        run,
        help="fit the [backend] on a summaries file; write posterior, metrics and plots",
        description="Fit the run's [backend] (e.g. sbi or lampe) on the summaries file with "
        "the framework's split by cosmology, then evaluate the posterior on the test split: "
        "coverage, TARP, SBC, NLL, figure of merit, bias, RMSE, R². Writes posterior/, "
        "metrics.json and PNG plots, and prints a short table.",
        config="run file (TOML) with a [backend] table",
    )
    parser.add_argument(
        "--summaries",
        metavar="FILE",
        help="summaries file (default: [inference] summaries, <run_dir>/summaries/encoder.h5)",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="output folder (default: <run_dir>/inference/<summaries stem>)"
    )


def run(args: argparse.Namespace) -> int:
    from cosmossl.job.infer import infer, summary_table

    result = infer(args.config, summaries=args.summaries, out=args.out, progress=args.progress)
    print(f"{result.metrics['backend']['type']} posterior → {result.out_dir}")
    print(summary_table(result.metrics))
    return 0

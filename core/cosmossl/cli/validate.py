"""``cosmossl validate CONFIG``: check a run file and say what it would run."""

from __future__ import annotations

import argparse

from cosmossl.cli._common import command, load_config


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    command(
        subparsers,
        "validate",
        run,
        help="validate a run file and say what it would run",
        description="Validate a run file against the parameter models of the components it "
        "names; print what the run would do, or every problem found (exit status 2).",
        config="run file (TOML)",
    )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    print(f"{args.config}: valid")
    print(config.describe())
    return 0

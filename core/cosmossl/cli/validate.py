"""``cosmossl validate CONFIG``: check a run file and say what it would run."""

from __future__ import annotations

import argparse

from cosmossl.config.run_file import load_run_config


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate a run file and say what it would run",
        description="Validate a run file against the parameter models of the components it "
        "names; print what the run would do, or every problem found (exit status 2).",
    )
    parser.add_argument("config", help="run file (TOML)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_run_config(args.config)
    print(f"{args.config}: valid")
    print(config.describe())
    return 0

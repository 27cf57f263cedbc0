"""What the command modules share: declaring a command and its usual arguments, loading the run
file, building a statistic, and printing tables and JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cosmossl.config.run_file import RunConfig


def command(
    subparsers: argparse._SubParsersAction,
    name: str,
    run: Callable[[argparse.Namespace], int],
    *,
    help: str,
    description: str,
    config: str | None = None,
    json_output: bool = False,
) -> argparse.ArgumentParser:
    """Add the sub-command ``name`` that calls ``run(args)``.

    ``config`` adds the positional run-file argument with that help text; ``json_output`` the
    ``--json`` flag.
    """
    parser = subparsers.add_parser(name, help=help, description=description)
    if config is not None:
        parser.add_argument("config", help=config)
    if json_output:
        parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)
    return parser


def add_run_dir(parser: argparse.ArgumentParser, what: str = "output folder") -> None:
    parser.add_argument("--run-dir", help=f"{what} (default: the run file's run_dir)")


def add_force(parser: argparse.ArgumentParser, what: str = "every stage") -> None:
    parser.add_argument("--force", action="store_true", help=f"rerun {what}")


def positive_int(text: str) -> int:
    """An argparse type: an integer ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def load_config(path: str, command: str | None = None) -> RunConfig:
    """The run file at ``path``, checked for what ``command`` needs (see
    :func:`cosmossl.job.plan.check_config`) when given."""
    from cosmossl.config.run_file import load_run_config
    from cosmossl.job.plan import check_config

    config = load_run_config(path)
    if command is not None:
        check_config(config, command)
    return config


def build_statistic(config: RunConfig, name: str, meta: Any) -> Any:
    """The statistic ``name``, with the run file's ``[statistic]`` parameters when it names it."""
    from cosmossl.plugin.factory import create

    spec = config.component("statistic")
    params = spec.params if spec is not None and spec.type == name else None
    return create("statistic", name, params, meta=meta)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print left-aligned columns; the last column is never padded."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        padded = [cell.ljust(width) for cell, width in zip(row[:-1], widths[:-1])]
        print("  ".join([*padded, row[-1]]).rstrip())


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")

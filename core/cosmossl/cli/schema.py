"""``cosmossl schema [--markdown]``: the run-file schema of every registered component."""

from __future__ import annotations

import argparse

from cosmossl.cli._common import command


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "schema",
        run,
        help="print the run-file schema (JSON schema, or Markdown reference)",
        description="Print the JSON schema of run files for the components installed here, or "
        "with --markdown the configuration reference (docs/configuration.md).",
    )
    parser.add_argument("--markdown", action="store_true", help="Markdown reference instead")


def run(args: argparse.Namespace) -> int:
    import sys

    from cosmossl.cli._common import print_json
    from cosmossl.config.reference import configuration_markdown, configuration_schema
    from cosmossl.plugin.host import registry

    skipped: list[str] = []  # a broken component is left out; the others are printed
    if args.markdown:
        print(configuration_markdown(registry(), skipped), end="")
    else:
        print_json(configuration_schema(registry(), skipped))
    for reason in skipped:
        print(f"cosmossl: warning: left out of the schema: {reason}", file=sys.stderr)
    return 0

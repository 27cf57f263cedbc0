"""``cosmossl schema [--markdown]``: the run-file schema of every registered component."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the run-file schema (JSON schema, or Markdown reference)",
        description="Print the JSON schema of run files for the components installed here, or "
        "with --markdown the configuration reference (docs/configuration.md).",
    )
    parser.add_argument("--markdown", action="store_true", help="Markdown reference instead")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cosmossl.cli._output import print_json
    from cosmossl.config.reference import configuration_markdown, configuration_schema
    from cosmossl.plugin.host import registry

    if args.markdown:
        print(configuration_markdown(registry()), end="")
    else:
        print_json(configuration_schema(registry()))
    return 0

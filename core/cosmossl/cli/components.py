"""``cosmossl components [KIND] [PATTERN] [--json]``: list registered components."""

from __future__ import annotations

import argparse

from cosmossl._util.suggest import did_you_mean
from cosmossl.cli._common import command, print_json, print_table
from cosmossl.errors import CosmosslError
from cosmossl.plugin.host import registry
from cosmossl.plugin.registry import KINDS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "components",
        run,
        help="list components (optionally of one kind, matching a shell-style pattern)",
        description="List registered components, e.g. 'cosmossl components loss' or "
        "'cosmossl components encoder \"*n*\"'. Never imports the components themselves.",
        json_output=True,
    )
    parser.add_argument("kind", nargs="?", help=f"one of: {', '.join(KINDS)}")
    parser.add_argument("pattern", nargs="?", default="*", help="shell-style name pattern")


def run(args: argparse.Namespace) -> int:
    kind, pattern = args.kind, args.pattern
    if kind is not None and kind not in KINDS:
        if args.pattern != "*":
            raise CosmosslError(
                f"unknown kind '{kind}'.{did_you_mean(kind, KINDS)} Kinds: {', '.join(KINDS)}."
            )
        kind, pattern = None, kind  # a single argument that is not a kind is a pattern
    entries = registry().entries(kind, pattern)
    if not entries and kind is None and not any(c in pattern for c in "*?["):
        names = [e.name for e in registry().entries()]
        raise CosmosslError(
            f"no kind or component matches '{pattern}'.{did_you_mean(pattern, [*KINDS, *names])}"
            f" Kinds: {', '.join(KINDS)}."
        )
    if args.json:
        print_json(
            [
                {
                    "kind": e.kind,
                    "name": e.name,
                    "summary": e.summary,
                    "target": e.target_path,
                    "plugin": e.provider.plugin,
                    "distribution": e.provider.distribution,
                    "version": e.provider.version,
                }
                for e in entries
            ]
        )
        return 0
    rows = [(e.kind, e.name, e.provider.plugin, e.summary) for e in entries]
    print_table(("KIND", "NAME", "PLUGIN", "SUMMARY"), rows)
    return 0

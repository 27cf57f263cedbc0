"""``cosmossl plugins [--json]``: loaded plugins, what they contribute, and load failures."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from cosmossl.cli._common import command, print_json, print_table
from cosmossl.plugin.compat import version_conflict
from cosmossl.plugin.host import plugin_host


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    command(
        subparsers,
        "plugins",
        run,
        help="list plugins with their distribution, version and components",
        description="List loaded plugins (built-ins first), the components each contributed, "
        "and plugins that failed to load.",
        json_output=True,
    )


def run(args: argparse.Namespace) -> int:
    host = plugin_host()
    conflicts = {p.name: version_conflict(p.distribution) for p in host.plugins}
    for name, conflict in conflicts.items():
        if conflict:
            print(f"warning: plugin '{name}': {conflict}", file=sys.stderr)
    if args.json:
        print_json(
            {
                "plugins": [
                    {**dataclasses.asdict(p), "version_conflict": conflicts[p.name]}
                    for p in host.plugins
                ],
                "failures": [dataclasses.asdict(f) for f in host.failures],
            }
        )
        return 0
    rows = [
        (
            p.name,
            p.distribution or "-",
            p.version or "-",
            len(p.components),
            ", ".join(p.components),
        )
        for p in host.plugins
    ]
    print_table(("PLUGIN", "DISTRIBUTION", "VERSION", "N", "COMPONENTS"), rows)
    if host.failures:
        print("\nFailed to load:")
        print_table(
            ("PLUGIN", "DISTRIBUTION", "VERSION", "ERROR"),
            [(f.name, f.distribution or "-", f.version or "-", f.error) for f in host.failures],
        )
    return 0

"""``cosmossl explain KIND NAME``: everything about one component."""

from __future__ import annotations

import argparse
import inspect

from cosmossl._util.validation import field_type
from cosmossl.cli._common import command, print_json, print_table
from cosmossl.plugin.host import registry


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "explain",
        run,
        help="show a component's summary, documentation, parameters and provider",
        description="Show a component's summary, docstring, parameters (type, default, "
        "description), the plugin that provides it and where its source lives.",
        json_output=True,
    )
    parser.add_argument("kind")
    parser.add_argument("name")


def explain(kind: str, name: str) -> dict:
    """A dictionary describing the component ``kind``/``name``."""
    entry = registry().get(kind, name)
    cls = entry.load()
    try:
        source = f"{inspect.getsourcefile(cls)}:{inspect.getsourcelines(cls)[1]}"
    except (OSError, TypeError):
        source = None
    parameters = []
    for key, field in cls.Params.model_fields.items():
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        parameters.append(
            {
                "name": key,
                "type": field_type(cls.Params, key),
                "required": field.is_required(),
                "default": default,
                "description": field.description or "",
            }
        )
    return {
        "kind": entry.kind,
        "name": entry.name,
        "summary": entry.summary,
        "doc": inspect.getdoc(cls) or "",
        "role": getattr(cls, "role", None),
        "parameters": parameters,
        "plugin": entry.provider.plugin,
        "distribution": entry.provider.distribution,
        "version": entry.provider.version,
        "target": entry.target_path,
        "source": source,
    }


def run(args: argparse.Namespace) -> int:
    info = explain(args.kind, args.name)
    if args.json:
        print_json(info)
        return 0
    print(f"{info['kind']} '{info['name']}' — {info['summary']}")
    if info["role"]:
        print(f"role: {info['role']}")
    provided = info["distribution"] and f" ({info['distribution']} {info['version']})"
    print(f"provided by: plugin '{info['plugin']}'{provided or ''}")
    print(f"class: {info['target']}")
    if info["source"]:
        print(f"source: {info['source']}")
    if info["doc"]:
        print(f"\n{info['doc']}")
    print("\nparameters:")
    if not info["parameters"]:
        print("  (none)")
    else:
        rows = [
            (
                p["name"],
                p["type"],
                "required" if p["required"] else repr(p["default"]),
                p["description"],
            )
            for p in info["parameters"]
        ]
        print_table(("NAME", "TYPE", "DEFAULT", "DESCRIPTION"), rows)
    return 0

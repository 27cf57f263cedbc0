"""``cosmossl validate CONFIG [--for COMMAND]``: check a run file and say what it would run."""

from __future__ import annotations

import argparse

from cosmossl.cli._common import command, load_config
from cosmossl.errors import ConfigError

#: What ``--for`` accepts (the commands that read a run file); ``run`` by default, ``compare``
#: for a file with a ``[compare]`` table.
CHECKED = ("run", "compare", "simulate", "train", "compress", "infer", "fisher")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "validate",
        run,
        help="validate a run file and say what it would run",
        description="Validate a run file as the command would before doing any work: every "
        "table against the parameter models of the components it names (each component "
        "imported), the tables the command needs, every [compare] entry, the files a file "
        "dataset reads and their splits, the size of the encoder it would train, and the run "
        "directory it would write. Print what the run would do, or the problem found (exit "
        "status 2).",
        config="run file (TOML)",
    )
    parser.add_argument(
        "--for",
        dest="purpose",
        choices=CHECKED,
        metavar="COMMAND",
        help="the command the file is meant for: "
        f"{', '.join(CHECKED)} (default: compare if the file has a [compare] table, else run)",
    )


def run(args: argparse.Namespace) -> int:
    from cosmossl.job.plan import check_config, check_dataset, check_output

    config = load_config(args.config)
    has_compare = "compare" in config.settings.model_fields_set
    purpose = args.purpose or ("compare" if has_compare else "run")
    try:
        check_config(config, purpose)
    except ConfigError as exc:
        if args.purpose is None:  # say what was assumed, and how to choose
            hint = f" (checked for `cosmossl {purpose}`; --for COMMAND checks for another)"
            raise ConfigError(f"{exc}{hint}") from None
        raise
    if purpose != "infer":
        check_dataset(config, f"`cosmossl {purpose}`", command=purpose)
    check_output(config, purpose)
    print(f"{args.config}: valid for `cosmossl {purpose}`")
    print(config.describe())
    return 0

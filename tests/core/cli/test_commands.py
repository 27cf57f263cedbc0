"""Every place that lists the commands agrees with the CLI."""

from __future__ import annotations

import re

from support.paths import REPO

from cosmossl.cli import COMMANDS, build_parser
from cosmossl.cli.validate import CHECKED
from cosmossl.job.plan import COMMANDS as RUN_FILE_COMMANDS


def test_the_parser_has_every_command_and_no_other():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert list(sub.choices) == list(COMMANDS)


def test_validate_checks_exactly_the_commands_that_read_a_run_file():
    assert CHECKED == RUN_FILE_COMMANDS
    assert set(RUN_FILE_COMMANDS) <= set(COMMANDS)


def test_the_command_table_of_the_docs_lists_every_command():
    text = (REPO / "docs/index.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `cosmossl (\w+)", text, flags=re.MULTILINE)
    assert sorted(documented) == sorted(COMMANDS)

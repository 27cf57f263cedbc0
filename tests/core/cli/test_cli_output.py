"""What the CLI prints when its reader goes away (`cosmossl ... | head -1`), and `cosmossl schema`
when one plugin's component is broken."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from support.paths import PLUGIN_ENV, REPO

import cosmossl
from cosmossl.cli import main

#: What a Unix tool killed by SIGPIPE exits with (as `yes | head -1` does).
SIGPIPE_STATUS = 128 + signal.SIGPIPE


def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path):
    """`cosmossl validate x.toml | head -1`: the pipe is closed before cosmossl writes."""
    config = REPO / "examples" / "quickstart.toml"
    read, write = os.pipe()
    os.close(read)  # the reader (head -1) is gone
    env = {k: v for k, v in os.environ.items() if k not in PLUGIN_ENV}
    try:
        process = subprocess.run(
            [sys.executable, "-m", "cosmossl", "validate", str(config)],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=300,
        )
    finally:
        os.close(write)
    assert process.stderr == ""
    assert process.returncode == SIGPIPE_STATUS


def test_a_broken_pipe_in_process_returns_the_sigpipe_status(monkeypatch, capsys):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            return sys.__stdout__.fileno()

        def isatty(self):
            return False

    monkeypatch.setattr(os, "dup2", lambda fd, fd2: None)  # leave the test's real stdout alone
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["components"]) == SIGPIPE_STATUS
    assert capsys.readouterr().err == ""


# ---- cosmossl schema with a broken plugin -------------------------------------------------


class NotAClassParams(cosmossl.Statistic):
    """A statistic whose Params is a dict, not a class (a plugin author's slip)."""

    Params = {"bins": 8}  # noqa: RUF012  (the slip under test)

    def __call__(self, maps):
        return maps.mean(dim=(-2, -1))


class BrokenPlugin:
    @staticmethod
    @cosmossl.hookimpl
    def register_components(registry):
        registry.add("statistic", "broken-mean", NotAClassParams)


@pytest.mark.parametrize("markdown", [False, True], ids=["json", "markdown"])
def test_schema_leaves_out_only_the_broken_component_and_names_it(capsys, markdown):
    cosmossl.register_plugin(BrokenPlugin, "broken-plugin")
    assert main(["schema", *(["--markdown"] if markdown else [])]) == 0
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        "cosmossl: warning: left out of the schema: statistic 'broken-mean' from plugin "
        "'broken-plugin': its Params is a dict instance, not a class deriving from "
        "cosmossl.Params; declare it as `class Params(cosmossl.Params)`"
    ]
    if markdown:
        assert "power-spectrum" in out and "broken-mean" not in out
    else:
        schema = json.dumps(json.loads(out))
        assert "power-spectrum" in schema and "broken-mean" not in schema

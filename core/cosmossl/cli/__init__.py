"""The ``cosmossl`` command line.

Each sub-command lives in its own module with ``add_parser(subparsers)``; modules import heavy
dependencies (torch) only inside their ``run`` function, so ``cosmossl --help`` and
``cosmossl components`` answer instantly.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Sequence

from cosmossl._version import __version__
from cosmossl.errors import CosmosslWarning, debug_enabled, user_error

#: Sub-command modules of ``cosmossl.cli``, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "run",
    "compare",
    "simulate",
    "train",
    "compress",
    "infer",
    "fisher",
    "posterior",
    "export",
    "validate",
    "components",
    "explain",
    "plugins",
    "schema",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cosmossl",
        description="Self-supervised summaries of cosmological maps and simulation-based "
        "inference.",
    )
    parser.add_argument("--version", action="version", version=f"cosmossl {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or info logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the traceback of every error, and of plugins that fail to load "
        "(also COSMOSSL_DEBUG=1)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"cosmossl.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user errors print one message (no traceback) and return 2; a reader of the
    output that goes away ends the command quietly (status 141, as for Unix tools).

    A user error is a :class:`~cosmossl.CosmosslError`, or a failure that
    :func:`cosmossl.errors.user_error` recognises (a full disk, an unwritable path). Any other
    exception is a bug and shows its traceback. ``--debug`` (or ``COSMOSSL_DEBUG=1``) shows the
    traceback of user errors too.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.debug:
        os.environ["COSMOSSL_DEBUG"] = "1"  # read by the plugin host, in this process only
    # Progress bars go to stderr, and only when a person is watching it.
    args.progress = not args.quiet and sys.stderr.isatty()
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    with warnings.catch_warnings():
        _show_user_warnings()
        return _run(args)


def _show_user_warnings() -> None:
    """Print every warning meant for the user (:class:`~cosmossl.errors.CosmosslWarning`) as
    one line, each time it is raised; other warnings keep Python's format."""
    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, CosmosslWarning):
            print(f"cosmossl: warning: {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    warnings.simplefilter("always", CosmosslWarning)
    warnings.showwarning = show


def _run(args: argparse.Namespace) -> int:
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # a reader that went away shows here, not in Python's final flush
        return code
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:
        print("cosmossl: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        error = user_error(exc)
        if error is None:
            raise
        if debug_enabled():
            traceback.print_exception(exc, file=sys.stderr)
        print(f"cosmossl: error: {error}", file=sys.stderr)
        return 2


def _reader_gone() -> int:
    """The reader of stdout went away (``cosmossl validate x.toml | head -1``): stop quietly
    with the status of a process killed by SIGPIPE, as Unix tools do. What is left in the
    buffer goes to the null device, so Python's own flush at exit does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor behind sys.stdout
        pass
    return 128 + getattr(signal, "SIGPIPE", 13)

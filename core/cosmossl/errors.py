"""Exceptions raised by cosmossl (and its warnings for users), and the one place that turns
user-caused failures into them.

Every error meant for a user derives from :class:`CosmosslError`; the CLI prints those as one
line without a traceback and exits with status 2. :func:`user_error` recognises the failures a
user causes without cosmossl raising them itself (a disk that is full, a folder that is
read-only, a file where a folder should be) and turns them into the matching subclass, with the
path and what to do; everything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path


class CosmosslError(Exception):
    """An error caused by the user's input (a config, a name, a file), not by a bug."""


class ConfigError(CosmosslError):
    """A run file or component parameters failed validation."""


class UnknownComponentError(CosmosslError, LookupError):
    """A component name that no plugin registered."""


class DuplicateComponentError(CosmosslError):
    """Two plugins registered a component of the same kind under the same name."""


class PluginLoadError(CosmosslError):
    """A third-party plugin failed to load while ``COSMOSSL_STRICT_PLUGINS=1``."""


class DataError(CosmosslError):
    """A data file is missing, malformed or inconsistent."""


class OutputError(CosmosslError):
    """An output location cannot be written: unwritable, full, the wrong kind of path, or
    occupied by something cosmossl did not write."""


class RunDirectoryBusyError(OutputError):
    """Another process holds the run directory."""


class CosmosslWarning(UserWarning):
    """Something the user should know and may fix; the CLI prints it as one line."""


class PriorWarning(CosmosslWarning):
    """A parameter's prior is not known and was taken from the data (its min–max)."""


class TruncationError(CosmosslError):
    """A truncated prior (sequential inference) accepts too few prior draws to be sampled.

    Raised before sampling, from the acceptance measured on ``prior_draws`` draws, so a round
    never loops on a region of vanishing prior volume.
    """

    def __init__(
        self, *, acceptance: float, prior_draws: int, needed: int, max_draws: int, epsilon: float
    ) -> None:
        self.acceptance, self.prior_draws, self.needed = acceptance, prior_draws, needed
        self.max_draws, self.epsilon = max_draws, epsilon
        accepted = round(acceptance * prior_draws)
        cost = f"~{needed / acceptance:.3g}" if acceptance > 0 else "unboundedly many"
        super().__init__(
            f"the truncated prior (the posterior's {1 - epsilon:.4%} highest-probability region) "
            f"accepted {accepted} of {prior_draws} prior draws (acceptance {acceptance:.2e}): "
            f"{needed} points would need {cost} prior draws, more than the limit of "
            f"{max_draws}. The posterior is too narrow against the prior for rejection "
            "sampling: narrow the prior, or use fewer simulations per round"
        )


#: errno → (what happened, what to do), for failures of the user's environment.
_WRITE_ERRORS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", "free some space, or write elsewhere"),
    errno.EDQUOT: ("disk quota exceeded", "free some space, or write elsewhere"),
    errno.EACCES: ("permission denied", "choose a folder you can write to"),
    errno.EPERM: ("operation not permitted", "choose a folder you can write to"),
    errno.EROFS: ("read-only file system", "choose a folder on a writable file system"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "fix the path"),
    errno.EISDIR: ("it is a folder, not a file", "give a file path"),
    errno.ENAMETOOLONG: ("the file name is too long", "choose a shorter path"),
    errno.EEXIST: ("it exists already", "remove it or choose another path"),
}
_READ_ERRORS: dict[int, tuple[str, str]] = {
    errno.ENOENT: ("it does not exist", "check the path"),
    errno.EACCES: ("permission denied", "make it readable"),
    errno.EISDIR: ("it is a folder, not a file", "give a file path"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "fix the path"),
}
_ANY_ERRORS = {
    **_WRITE_ERRORS,
    errno.ENOENT: _READ_ERRORS[errno.ENOENT],
    errno.EACCES: ("permission denied", "check its permissions, or use another path"),
    errno.EPERM: ("operation not permitted", "check its permissions, or use another path"),
}


#: How libraries that do not raise ``OSError`` report the operating system's error code in
#: their messages: Rust's ``std::io::Error`` (safetensors) and HDF5 (h5py's ``RuntimeError``).
_ERRNO_IN_MESSAGE = re.compile(r"\(os error (\d+)\)|\berrno = (\d+)")


def os_errno(exc: BaseException) -> int | None:
    """The operating system's error code behind ``exc``: an ``OSError``'s own, or the one a
    library quotes in its message (safetensors' ``SafetensorError``, HDF5's errors); ``None``
    when there is none."""
    if isinstance(exc, OSError):
        return exc.errno
    match = _ERRNO_IN_MESSAGE.search(str(exc))
    return int(match[1] or match[2]) if match else None


def tried(path: str | Path, lead: str = "looked for") -> str:
    """`` (looked for '/home/you/runs/data/maps.npy')`` after a relative ``path`` in a message:
    the absolute path that was tried, since a relative path is read from the current folder,
    which may not be the one the user had in mind; ``""`` for an absolute path."""
    path = Path(path)
    return "" if path.is_absolute() else f" ({lead} '{path.absolute()}')"


def os_error_message(exc: BaseException, path: str | Path | None, doing: str) -> str | None:
    """``cannot write 'path': no space left on the device; free some space...``, or ``None``
    when ``exc`` is not a failure the user can fix (then it is a bug). ``doing`` is ``"read"``,
    ``"write"`` or another verb (any of the known failures); ``path`` defaults to the
    ``filename`` of an ``OSError``."""
    table = {"read": _READ_ERRORS, "write": _WRITE_ERRORS}.get(doing, _ANY_ERRORS)
    code = os_errno(exc)
    known = table.get(code) if code is not None else None
    if known is None:
        return None
    where = path if path is not None else getattr(exc, "filename", None)
    what, todo = known
    if where is None:
        return f"{what}; {todo}"
    full = tried(where, "looked for" if code == errno.ENOENT else "that is")
    return f"cannot {doing} '{where}'{full}: {what}; {todo}"


def user_error(exc: BaseException) -> CosmosslError | None:
    """``exc`` itself when it is a :class:`CosmosslError`; the matching subclass for a failure
    the user caused (a full disk, an unwritable or missing path); ``None`` for a bug."""
    if isinstance(exc, CosmosslError):
        return exc
    if isinstance(exc, Exception):
        message = os_error_message(exc, None, "use")
        if message is not None:
            return (DataError if os_errno(exc) == errno.ENOENT else OutputError)(message)
    return None


@contextmanager
def _converting(path: str | Path, doing: str, error: type[CosmosslError]) -> Iterator[None]:
    try:
        yield
    except CosmosslError:
        raise
    except Exception as exc:  # an OSError, or a library's error that quotes one
        message = os_error_message(exc, path, doing)
        if message is None:
            raise
        raise error(message) from exc


def writing(path: str | Path) -> AbstractContextManager[None]:
    """Turn an ``OSError`` the user can fix, raised while writing ``path``, into an
    :class:`OutputError` that names ``path``."""
    return _converting(path, "write", OutputError)


def reading(path: str | Path) -> AbstractContextManager[None]:
    """Turn an ``OSError`` the user can fix, raised while reading ``path``, into a
    :class:`DataError` that names ``path``."""
    return _converting(path, "read", DataError)


def debug_enabled() -> bool:
    """Whether tracebacks are wanted: ``--debug`` on the command line (which sets it) or
    ``COSMOSSL_DEBUG=1`` in the environment."""
    return os.environ.get("COSMOSSL_DEBUG", "").strip().lower() in {"1", "true", "yes"}


#: How to get a traceback: appended to messages that hide one.
DEBUG_HINT = "run with --debug (or COSMOSSL_DEBUG=1) for the traceback"

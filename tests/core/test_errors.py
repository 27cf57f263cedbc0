"""The one place that tells a user's failure from a bug: ``cosmossl.errors.user_error``."""

from __future__ import annotations

import errno

import pytest

from cosmossl.errors import (
    ConfigError,
    DataError,
    OutputError,
    reading,
    user_error,
    writing,
)


@pytest.mark.parametrize(
    ("code", "kind", "message"),
    [
        (
            errno.ENOSPC,
            OutputError,
            "cannot use 'out.h5': no space left on the device; free some space, or write elsewhere",
        ),
        (
            errno.EROFS,
            OutputError,
            "cannot use 'out.h5': read-only file system; choose a folder on a writable file system",
        ),
        (
            errno.EACCES,
            OutputError,
            "cannot use 'out.h5': permission denied; check its permissions, or use another path",
        ),
        (errno.ENOENT, DataError, "cannot use 'out.h5': it does not exist; check the path"),
    ],
)
def test_failures_of_the_users_environment_become_user_errors(code, kind, message):
    error = user_error(OSError(code, "os text", "out.h5"))
    assert type(error) is kind and str(error) == message


def test_bugs_stay_bugs():
    assert user_error(RuntimeError("a bug")) is None
    assert user_error(OSError(errno.EBADF, "bad file descriptor")) is None
    assert user_error(KeyError("x")) is None


def test_cosmossl_errors_are_user_errors_as_they_are():
    error = ConfigError("run.toml: bad")
    assert user_error(error) is error


def test_writing_and_reading_name_the_path():
    quota = r"cannot write 'report\.md': disk quota exceeded"
    with pytest.raises(OutputError, match=quota), writing("report.md"):
        raise OSError(errno.EDQUOT, "Disk quota exceeded")
    denied = r"cannot read 'maps\.npy': permission denied"
    with pytest.raises(DataError, match=denied), reading("maps.npy"):
        raise PermissionError(errno.EACCES, "Permission denied")
    with pytest.raises(OSError, match="bad descriptor"), writing("x"):
        raise OSError(errno.EBADF, "bad descriptor")

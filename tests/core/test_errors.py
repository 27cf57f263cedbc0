"""The one place that tells a user's failure from a bug: ``cosmossl.errors.user_error``."""

from __future__ import annotations

import errno

import pytest

from cosmossl.errors import (
    ConfigError,
    DataError,
    OutputError,
    os_errno,
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
            "cannot use '/data/out.h5': no space left on the device; free some space, or write "
            "elsewhere",
        ),
        (
            errno.EROFS,
            OutputError,
            "cannot use '/data/out.h5': read-only file system; choose a folder on a writable file "
            "system",
        ),
        (
            errno.EACCES,
            OutputError,
            "cannot use '/data/out.h5': permission denied; check its permissions, or use another "
            "path",
        ),
        (errno.ENOENT, DataError, "cannot use '/data/out.h5': it does not exist; check the path"),
    ],
)
def test_failures_of_the_users_environment_become_user_errors(code, kind, message):
    error = user_error(OSError(code, "os text", "/data/out.h5"))
    assert type(error) is kind and str(error) == message


def test_bugs_stay_bugs():
    assert user_error(RuntimeError("a bug")) is None
    assert user_error(OSError(errno.EBADF, "bad file descriptor")) is None
    assert user_error(KeyError("x")) is None


def test_cosmossl_errors_are_user_errors_as_they_are():
    error = ConfigError("run.toml: bad")
    assert user_error(error) is error


def test_writing_and_reading_name_the_path():
    quota = r"cannot write '/runs/x/report\.md': disk quota exceeded"
    with pytest.raises(OutputError, match=quota), writing("/runs/x/report.md"):
        raise OSError(errno.EDQUOT, "Disk quota exceeded")
    denied = r"cannot read '/data/maps\.npy': permission denied"
    with pytest.raises(DataError, match=denied), reading("/data/maps.npy"):
        raise PermissionError(errno.EACCES, "Permission denied")
    with pytest.raises(OSError, match="bad descriptor"), writing("x"):
        raise OSError(errno.EBADF, "bad descriptor")


#: What libraries that do not raise OSError say on a full disk (measured on a 64 KiB tmpfs).
SAFETENSORS_FULL = "Error while serializing: I/O error: No space left on device (os error 28)"
HDF5_FULL = (
    "Can't decrement id ref count (file write failed: time = Sun Dec  6 22:23:12 2026\n, "
    "filename = '/tmp/small/s.h5', file descriptor = 3, errno = 28, error message = 'No space "
    "left on device', buf = 0x5627a5819028, total write size = 2048, bytes this sub-write = "
    "2048, offset = 65536)"
)


@pytest.mark.parametrize("text", [SAFETENSORS_FULL, HDF5_FULL], ids=["safetensors", "hdf5"])
def test_a_full_disk_reported_by_a_library_is_a_user_error(text):
    from safetensors import SafetensorError

    error = SafetensorError(text) if "serializing" in text else RuntimeError(text)
    assert os_errno(error) == errno.ENOSPC
    assert (
        str(user_error(error)) == "no space left on the device; free some space, or write elsewhere"
    )
    with pytest.raises(OutputError) as info, writing("/runs/x/summaries/encoder.h5"):
        raise error
    assert str(info.value) == (
        "cannot write '/runs/x/summaries/encoder.h5': no space left on the device; free some "
        "space, or write elsewhere"
    )


def test_a_library_error_without_an_error_code_stays_a_bug():
    with pytest.raises(RuntimeError, match="unexpected pos"), writing("optimizer.pt"):
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534")
    assert user_error(RuntimeError("errno is fine")) is None


def test_a_relative_path_is_shown_with_the_absolute_path_that_was_tried(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as info, reading("data/maps.npy"):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")
    assert str(info.value) == (
        f"cannot read 'data/maps.npy' (looked for '{tmp_path}/data/maps.npy'): it does not "
        "exist; check the path"
    )
    with pytest.raises(OutputError) as info, writing("out/report.md"):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert str(info.value).startswith(
        f"cannot write 'out/report.md' (that is '{tmp_path}/out/report.md'): no space left"
    )

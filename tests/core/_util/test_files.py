"""Atomic files and folders: permissions, temporaries left by killed writers, full disks, and
the checks of an output location before the work."""

from __future__ import annotations

import errno
import os
import stat
from collections import namedtuple

import pytest

from cosmossl._util import files
from cosmossl._util.files import (
    atomic_folder,
    atomic_path,
    check_writable,
    ensure_free_space,
    previous_folder,
    remove_stale_temporaries,
    write_json,
    write_text,
)
from cosmossl.errors import OutputError

DEAD_PID = 2**22 + 12345  # above Linux's pid_max default: no such process


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_written_files_are_readable_by_group_and_others_under_umask_022(tmp_path, umask_022):
    write_text(tmp_path / "report.md", "hello")
    write_json(tmp_path / "results.json", {"a": 1})
    for name in ("report.md", "results.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644


def test_written_files_follow_a_stricter_umask(tmp_path):
    old = os.umask(0o077)
    try:
        write_text(tmp_path / "private.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "private.txt").stat().st_mode) == 0o600


def test_atomic_folder_is_readable_under_umask_022(tmp_path, umask_022):
    with atomic_folder(tmp_path / "ckpt") as staging:
        (staging / "a.txt").write_text("x")
    assert stat.S_IMODE((tmp_path / "ckpt").stat().st_mode) == 0o755


def test_temporaries_carry_the_writer_pid(tmp_path):
    with atomic_path(tmp_path / "maps.h5") as tmp:
        assert tmp.name.startswith(f".maps.h5.{os.getpid()}.") and tmp.name.endswith(".tmp")
        assert files.TEMPORARY.match(tmp.name)


def test_a_write_removes_temporaries_of_the_same_target_left_by_dead_writers(tmp_path):
    stale = tmp_path / f".maps.h5.{DEAD_PID}.abcdefgh.tmp"
    legacy = tmp_path / ".maps.h5.ijklmnop.tmp"  # older versions wrote no PID
    live = tmp_path / f".maps.h5.{os.getpid()}.qrstuvwx.tmp"  # a writer that is still running
    other = tmp_path / f".other.h5.{DEAD_PID}.abcdefgh.tmp"  # another target's
    for path in (stale, legacy, live, other):
        path.write_text("half")
    write_text(tmp_path / "maps.h5", "done")
    assert not stale.exists() and not legacy.exists()
    assert live.exists() and other.exists()


def test_stale_temporaries_are_removed_recursively_files_and_folders(tmp_path):
    (tmp_path / "train" / "checkpoints").mkdir(parents=True)
    stale_dir = tmp_path / "train" / "checkpoints" / f".last.{DEAD_PID}.abcdefgh.tmp"
    stale_dir.mkdir()
    (stale_dir / "weights.safetensors").write_text("half")
    stale_file = tmp_path / f".report.md.{DEAD_PID}.abcdefgh.tmp"
    stale_file.write_text("half")
    keep = tmp_path / "notes.tmp"  # not our naming pattern
    keep.write_text("mine")
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted([stale_dir, stale_file])
    assert not stale_dir.exists() and not stale_file.exists() and keep.exists()


def test_disk_full_while_writing_is_a_clear_error_and_leaves_nothing(tmp_path):
    target = tmp_path / "metrics.json"
    write_json(target, {"old": 1})
    with pytest.raises(OutputError) as info, atomic_path(target) as tmp:
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert str(info.value) == (
        f"cannot write '{target}': no space left on the device; free some space, or write elsewhere"
    )
    assert target.read_text() == '{\n  "old": 1\n}\n'
    assert list(tmp_path.iterdir()) == [target]


def test_writing_over_a_folder_says_so(tmp_path):
    (tmp_path / "maps.h5").mkdir()
    with pytest.raises(OutputError, match=r"cannot write '.*maps\.h5': it is a folder, not a file"):
        write_text(tmp_path / "maps.h5", "x")


def test_atomic_folder_keeps_the_previous_version_until_the_new_one_is_in_place(
    tmp_path, monkeypatch
):
    target = tmp_path / "last"
    with atomic_folder(target) as staging:
        (staging / "step").write_text("1")
    real_replace = os.replace
    calls = []

    def crash_on_second_rename(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # killed between "last → .last.previous" and "staging → last"
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_second_rename)
    with pytest.raises(KeyboardInterrupt), atomic_folder(target) as staging:
        (staging / "step").write_text("2")
    monkeypatch.setattr(os, "replace", real_replace)
    assert not target.exists()
    assert (previous_folder(target) / "step").read_text() == "1"  # the old one, complete
    with atomic_folder(target) as staging:  # the next save completes and cleans up
        (staging / "step").write_text("3")
    assert (target / "step").read_text() == "3" and not previous_folder(target).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]


def test_atomic_folder_failure_keeps_the_old_folder(tmp_path):
    target = tmp_path / "best"
    with atomic_folder(target) as staging:
        (staging / "step").write_text("1")
    with pytest.raises(RuntimeError), atomic_folder(target) as staging:
        (staging / "step").write_text("2")
        raise RuntimeError("killed while writing")
    assert (target / "step").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best"]


def test_check_writable_refuses_a_file_where_a_folder_is_expected_and_the_reverse(tmp_path):
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "a_folder").mkdir()
    with pytest.raises(
        OutputError,
        match=r"'.*a_file' is a file, but a folder is expected here "
        r"\(choose another path with --run-dir\)",
    ):
        check_writable(tmp_path / "a_file", folder=True, flag="--run-dir")
    with pytest.raises(OutputError, match=r"'.*a_folder' is a folder, but a file is expected"):
        check_writable(tmp_path / "a_folder", folder=False, flag="--out")
    with pytest.raises(
        OutputError,
        match=r"cannot write '.*a_file/sub/out\.h5': '.*a_file' is a "
        r"file, not a folder",
    ):
        check_writable(tmp_path / "a_file" / "sub" / "out.h5", folder=False, flag="--out")
    assert check_writable(tmp_path / "new" / "deeper", folder=True) == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # nothing created


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_writable_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match=r"cannot write '.*ro/out\.h5': permission denied"):
            check_writable(folder / "out.h5", folder=False)
    finally:
        folder.chmod(0o755)


def test_not_enough_free_space_is_refused_before_writing(tmp_path, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(files.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 5 * 2**20))
    with pytest.raises(OutputError) as info:
        ensure_free_space(tmp_path / "maps.h5", 100 * 2**20)
    assert str(info.value) == (
        f"cannot write '{tmp_path / 'maps.h5'}': it needs about 116 MiB but only 5 MiB are free "
        f"on the file system of '{tmp_path}'; free some space, or write elsewhere"
    )

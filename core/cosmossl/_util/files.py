"""Files and folders written so that a reader never sees half of one.

- :func:`atomic_path` (and :func:`write_text`, :func:`write_json`, ...): a file is written under
  a temporary name next to its target, then renamed over it in one step;
- :func:`atomic_folder`: a folder is written under a temporary name, then swapped in; the
  previous one is kept (as :func:`previous_folder`) until the new one is complete;
- temporaries are named ``.NAME.PID.XXXXXXXX.tmp`` (the writer's process id, random letters);
  one left behind by a killed process is removed by the next write of the same target or by
  :func:`remove_stale_temporaries` (a run directory calls it when it is opened);
- files get the permissions the umask allows (``0644`` under ``umask 022``), as ``open()`` would;
- an ``OSError`` the user can fix (disk full, read-only folder) becomes an
  :class:`~cosmossl.errors.OutputError` naming the target; nothing half-written is left.

:func:`check_writable` and :func:`ensure_free_space` check an output location before the work
that would fill it.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cosmossl.errors import OutputError, writing

#: ``.NAME.PID.XXXXXXXX.tmp`` (older versions wrote ``.NAME.XXXXXXXX.tmp``, without the PID).
TEMPORARY = re.compile(r"^\.(?P<name>.+?)\.(?:(?P<pid>\d+)\.)?[a-z0-9_]{8}\.tmp$")


def _umask() -> int:
    """The process umask (read without changing it where the system allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def follow_umask(path: Path) -> None:
    """Give ``path`` the permissions the umask allows, as ``open()`` and ``mkdir()`` would
    (``0644`` and ``0755`` under ``umask 022``), and the same to everything in it when it is a
    folder: some writers (safetensors) create their files ``0600`` whatever the umask."""
    mask = _umask()
    os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~mask)
    if path.is_dir():
        for current, dirs, names in os.walk(path):
            for name in dirs:
                os.chmod(Path(current, name), 0o777 & ~mask)
            for name in names:
                os.chmod(Path(current, name), 0o666 & ~mask)


def _temporary_prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user
        return True
    except OSError:
        return False
    return True


def is_stale_temporary(path: Path, *, target: str | None = None) -> bool:
    """Whether ``path`` is a temporary of ours whose writer is gone (of ``target`` if given)."""
    match = TEMPORARY.match(path.name)
    if match is None or (target is not None and match["name"] != target):
        return False
    return match["pid"] is None or not _alive(int(match["pid"]))


def remove_stale_temporaries(folder: str | Path, *, recursive: bool = True) -> list[Path]:
    """Delete the temporaries (files and folders) left in ``folder`` by killed writers."""
    removed: list[Path] = []
    root = Path(folder)
    if not root.is_dir():
        return removed
    for current, dirs, files in os.walk(root):
        for name in [*files, *dirs]:
            path = Path(current, name)
            if is_stale_temporary(path):
                _remove(path)
                removed.append(path)
                if name in dirs:
                    dirs.remove(name)
        if not recursive:
            break
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _remove_stale_siblings(target: Path) -> None:
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return
    for path in siblings:
        if is_stale_temporary(path, target=target.name):
            _remove(path)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` in one step.

    On an exception the temporary file is removed and ``path`` is left as it was; an
    ``OSError`` the user can fix (no space, no permission) is raised as an
    :class:`~cosmossl.errors.OutputError` naming ``path``.
    """
    target = Path(path)
    with writing(target):
        if target.is_dir():
            raise OutputError(f"cannot write '{target}': it is a folder, not a file")
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_siblings(target)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=_temporary_prefix(target),
                                   suffix=".tmp")  # fmt: skip
        os.close(fd)
        try:
            yield Path(tmp)
            follow_umask(Path(tmp))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def previous_folder(path: str | Path) -> Path:
    """Where :func:`atomic_folder` keeps the previous version of ``path`` during a swap."""
    path = Path(path)
    return path.parent / f".{path.name}.previous"


@contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder next to ``path``; on success it becomes ``path``.

    The swap keeps the previous ``path`` as :func:`previous_folder` until the new folder is in
    place, so at every moment one complete version exists: ``path``, or (after a crash between
    the two renames) the previous one. On an exception the temporary folder is removed.
    """
    target = Path(path)
    previous = previous_folder(target)
    with writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_siblings(target)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=_temporary_prefix(target),
                                        suffix=".tmp"))  # fmt: skip
        try:
            yield staging
            follow_umask(staging)
            if target.exists():
                if previous.exists():
                    shutil.rmtree(previous)
                os.replace(target, previous)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        shutil.rmtree(previous, ignore_errors=True)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically."""
    with atomic_path(path) as tmp:
        write(tmp)


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically (NaN written as null)."""
    write_text(path, json.dumps(_finite(data), indent=2, sort_keys=False) + "\n")


def save_figure(fig: Any, path: str | Path, *, dpi: int = 110, **savefig: Any) -> Path:
    """Save a matplotlib figure as PNG atomically, then close it."""
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi, **savefig)
    finally:
        plt.close(fig)
    return Path(path)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


# ---- checks before the work -------------------------------------------------------------------


def _existing_ancestor(path: Path) -> Path:
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def check_writable(path: str | Path, *, folder: bool, flag: str = "") -> Path:
    """Check that ``path`` can be written as a file (``folder=False``) or a folder: no file
    where a folder is needed or the reverse, and the nearest existing folder accepts new files.
    ``flag`` (e.g. ``"--out"``) is named in the advice. Creates nothing; returns ``path``."""
    path = Path(path)
    other = f" (choose another path with {flag})" if flag else ""
    check_name_lengths(path)
    if folder and path.is_symlink() and not path.exists():
        raise OutputError(
            f"'{path}' is a symbolic link to '{os.readlink(path)}', which does not exist: create "
            f"that folder, remove the link, or choose another path{f' with {flag}' * bool(flag)}"
        )
    if folder and path.exists() and not path.is_dir():
        raise OutputError(f"'{path}' is a file, but a folder is expected here{other}")
    if not folder and path.is_dir():
        raise OutputError(f"'{path}' is a folder, but a file is expected here{other}")
    base = _existing_ancestor(path if folder else path.parent)
    if not base.is_dir():
        raise OutputError(
            f"cannot write '{path}': '{base}' is a file, not a folder{other or '; fix the path'}"
        )
    with writing(path):
        fd, probe = tempfile.mkstemp(dir=base, prefix=".cosmossl-probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    if not folder and path.exists() and not os.access(path, os.W_OK):
        raise OutputError(
            f"cannot write '{path}': {os.strerror(errno.EACCES).lower()}{other or ''}"
        )
    return path


def check_name_lengths(path: str | Path) -> None:
    """An :class:`OutputError` when a name in ``path`` is longer than the file system allows
    (255 bytes on most). Checked before anything looks at ``path``: the system refuses even to
    say whether such a path exists."""
    path = Path(path)
    limit = 255
    for folder in path.parents:
        try:
            if folder.is_dir():
                limit = os.pathconf(folder, "PC_NAME_MAX")
                break
        except (OSError, ValueError, AttributeError):  # a name too long, or no pathconf
            continue
    for name in path.parts:
        if len(os.fsencode(name)) > limit:
            raise OutputError(
                f"cannot write '{path}': the name '{name}' is longer than the {limit} bytes the "
                "file system allows; choose a shorter path"
            )


#: Room kept free beyond the estimate (file system metadata, logs).
_SPARE_BYTES = 16 * 2**20


def ensure_free_space(path: str | Path, nbytes: int) -> None:
    """An :class:`OutputError` when the file system of ``path`` has no room for ``nbytes``."""
    path = Path(path)
    base = _existing_ancestor(path.parent)
    try:
        free = shutil.disk_usage(base).free
    except OSError:
        return
    needed = int(nbytes) + _SPARE_BYTES
    if free < needed:
        raise OutputError(
            f"cannot write '{path}': it needs about {_megabytes(needed)} but only "
            f"{_megabytes(free)} are free on the file system of '{base}'; free some space, "
            "or write elsewhere"
        )


def _megabytes(nbytes: int) -> str:
    return f"{nbytes / 2**20:,.0f} MiB"

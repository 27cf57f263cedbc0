"""Arrays read from user files, checked at the boundary: ``.npy`` files and non-finite values.

:func:`load_npy` is what a dataset plugin uses to open a ``.npy`` file: a missing, empty,
truncated, pickled, object or string file is a :class:`~cosmossl.DataError` naming the file and
what to do, never a NumPy traceback. :func:`first_nonfinite` finds the first row that holds a
NaN or an infinity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cosmossl.errors import DataError, reading, tried

#: dtype kinds of numbers: bool, signed and unsigned integers, floats.
NUMERIC_KINDS = "biuf"


def load_npy(path: str | Path, *, what: str = "array", mmap: bool = True) -> np.ndarray:
    """A numeric array from a ``.npy`` file, memory-mapped (``mmap``) or read whole.

    Never unpickles. Raises :class:`DataError` naming ``path`` (``what`` says which file it is
    in messages, e.g. ``"maps"``) when the file is missing, empty, truncated, not a ``.npy``
    file, or holds objects, strings or complex numbers.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{what} file '{path}' is a folder; give the path of a .npy file")
    if not path.exists():
        raise DataError(f"{what} file '{path}' does not exist{tried(path)}")
    with reading(path):
        if path.stat().st_size == 0:
            raise DataError(f"{what} file '{path}' is empty (0 bytes): write it again")
        with path.open("rb") as f:
            head = f.read(len(_NPY_MAGIC))
        if head != _NPY_MAGIC and not head.startswith(_ZIP_MAGIC):  # .npz: refused below
            raise DataError(f"{what} file '{path}' is not a .npy file ({_looks_like(path, head)}): "
                            "save the array with numpy.save")  # fmt: skip
        try:
            array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except ValueError as exc:
            raise DataError(f"{what} file '{path}' {_why(str(exc))}") from None
        except EOFError:
            raise DataError(f"{what} file '{path}' is truncated: write it again") from None
    if not isinstance(array, np.ndarray):  # an .npz archive
        raise DataError(
            f"{what} file '{path}' is a .npz archive, not a .npy array: save one array with "
            "numpy.save"
        )
    if array.dtype.kind not in NUMERIC_KINDS:
        raise DataError(
            f"{what} file '{path}' holds {array.dtype} values (dtype {array.dtype.str}), not "
            "real numbers: save a float or integer array"
        )
    return array


_NPY_MAGIC, _ZIP_MAGIC = b"\x93NUMPY", b"PK\x03\x04"


def _looks_like(path: Path, head: bytes) -> str:
    """What a file that does not start as a ``.npy`` file seems to be, for the message."""
    if head[:1] == b"\x80":  # the PROTO opcode that starts pickles of protocol 2 and later
        return "it looks like a pickle, which cosmossl never loads"
    with path.open("rb") as f:
        start = f.read(4096)
    try:
        start.decode("utf-8")
        text = b"\0" not in start
    except UnicodeDecodeError as exc:  # a character cut at the end of the block is still text
        text = exc.start >= len(start) - 3 and b"\0" not in start
    if text:
        return "it is text; a .npy file starts with the bytes \\x93NUMPY"
    return "it does not start with the bytes \\x93NUMPY of one"


def _why(message: str) -> str:
    """What NumPy's ``ValueError`` means for the user (its wording differs between versions)."""
    text = message.lower()
    if "python objects" in text or "object arrays" in text:
        return (
            "holds Python objects (dtype object), which cosmossl never unpickles: save a float "
            "or integer array"
        )
    if "pickle" in text:
        return (
            "is not a .npy file (it looks like a pickle, which cosmossl never loads): save the "
            "array with numpy.save"
        )
    if "mmap length" in text or "reshape" in text or "size" in text:
        return "is truncated (shorter than its header says): write it again"
    return f"is not a readable .npy file ({message})"


def first_nonfinite(rows: np.ndarray) -> int | None:
    """Index of the first row (along axis 0) holding a NaN or an infinity, else ``None``."""
    rows = np.asarray(rows)
    if rows.dtype.kind != "f" or rows.size == 0:
        return None
    bad = ~np.isfinite(rows.reshape(rows.shape[0], -1)).all(axis=1)
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None

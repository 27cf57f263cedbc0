"""Digests for stage-cache keys and configuration hashes: of JSON-like data, of the files a
stage reads, and of source code."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cosmossl.errors import reading

#: Files up to this size are fingerprinted by their content, larger ones by size and mtime
#: (unless a content digest is asked for).
CHEAP_BYTES = 16 * 2**20


def digest(data: Any) -> str:
    """SHA-256 (hex) of JSON-serialisable ``data``; key order does not matter."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: str | Path) -> str:
    """SHA-256 (hex) of a file's content, read in blocks."""
    sha = hashlib.sha256()
    with reading(path), open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            sha.update(block)
    return sha.hexdigest()


def file_fingerprint(path: str | Path, *, content: bool = False) -> dict[str, Any]:
    """What identifies a file's version: its absolute path, size and modification time, and
    the SHA-256 of its content when ``content`` or when the file is small (:data:`CHEAP_BYTES`).

    Replacing or editing the file changes the fingerprint (mtime), and so does copying another
    file over it with its mtime preserved, when the content is digested.
    """
    path = Path(path)
    if not path.is_file():
        return {"path": str(path.resolve()), "exists": False}
    with reading(path):
        stat = path.stat()
    fingerprint: dict[str, Any] = {
        "path": str(path.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }
    if content or stat.st_size <= CHEAP_BYTES:
        fingerprint["sha256"] = file_digest(path)
    return fingerprint


def output_fingerprint(path: str | Path) -> dict[str, dict[str, Any]]:
    """What a stage wrote at ``path`` (a file, or a folder and everything in it): for each file,
    by its name relative to ``path`` (``"."`` for ``path`` itself), its size, modification time
    and SHA-256. Names are relative so that a moved folder keeps its fingerprints."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    out = {}
    for file in files:
        with reading(file):
            stat = file.stat()
        name = "." if file == path else file.relative_to(path).as_posix()
        out[name] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                     "sha256": file_digest(file)}  # fmt: skip
    return out


def same_output(recorded: dict[str, dict[str, Any]], path: str | Path) -> bool:
    """Whether ``path`` still holds what :func:`output_fingerprint` recorded: the same files with
    the same content. A file whose size and modification time are unchanged is taken as
    unchanged; the content of the others is digested (a copy with the same bytes is the same)."""
    path = Path(path)
    if not path.exists():
        return False
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    names = {("." if f == path else f.relative_to(path).as_posix()): f for f in files}
    if set(names) != set(recorded):
        return False
    for name, file in names.items():
        expected = recorded[name]
        stat = file.stat()
        if stat.st_size != expected.get("size"):
            return False
        if stat.st_mtime_ns != expected.get("mtime_ns") and file_digest(file) != expected.get(
            "sha256"
        ):
            return False
    return True


def source_digest(paths: Iterable[str | Path]) -> str:
    """SHA-256 (hex) of source files: their names relative to their common folder and their
    content, in a stable order."""
    files = sorted(Path(p).resolve() for p in paths)
    if not files:
        return digest([])
    base = Path(os.path.commonpath([str(f.parent) for f in files]))
    sha = hashlib.sha256()
    for path in files:
        sha.update(str(path.relative_to(base)).encode("utf-8") + b"\0")
        sha.update(bytes.fromhex(file_digest(path)))
    return sha.hexdigest()

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

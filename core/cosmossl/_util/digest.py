"""A stable digest of JSON-like data, for stage-cache keys and configuration hashes."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def digest(data: Any) -> str:
    """SHA-256 (hex) of JSON-serialisable ``data``; key order does not matter."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

"""Close-match suggestions for error messages ("did you mean ...?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to ``word``, best first (case-insensitive, difflib ratio ≥ 0.6)."""
    pool = sorted(set(candidates))
    lowered = {c.lower(): c for c in pool}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``" Did you mean 'x'?"`` or an empty string when nothing is close."""
    hits = close_matches(word, candidates)
    if not hits:
        return ""
    if len(hits) == 1:
        return f" Did you mean '{hits[0]}'?"
    return " Did you mean " + " or ".join(f"'{h}'" for h in hits) + "?"

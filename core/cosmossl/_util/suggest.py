"""Close-match suggestions for error messages ("did you mean ...?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to ``word``, best first (case-insensitive, difflib ratio ≥ 0.6).

    When the best match is clearly better than the next (by 0.1 in ratio), only it is returned.
    """
    lowered = {c.lower(): c for c in sorted(set(candidates))}
    scored = sorted(
        ((difflib.SequenceMatcher(None, word.lower(), c).ratio(), c) for c in lowered),
        key=lambda pair: -pair[0],
    )
    hits = [(score, c) for score, c in scored if score >= 0.6][:n]
    if len(hits) > 1 and hits[0][0] - hits[1][0] >= 0.1:
        hits = hits[:1]
    return [lowered[c] for _, c in hits]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``" Did you mean 'x'?"`` or an empty string when nothing is close."""
    hits = close_matches(word, candidates)
    if not hits:
        return ""
    if len(hits) == 1:
        return f" Did you mean '{hits[0]}'?"
    return " Did you mean " + " or ".join(f"'{h}'" for h in hits) + "?"

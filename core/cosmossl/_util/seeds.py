"""Seeds derived from a run seed: one mixer, so every stream of random numbers is independent."""

from __future__ import annotations

import numpy as np


def derive_seed(*keys: int) -> int:
    """A 63-bit seed mixed from integers (run seed, stream, epoch, step, rank, map index, ...).

    Different key tuples give statistically independent seeds (numpy's ``SeedSequence``), so a
    stage can key its randomness on its position (e.g. ``(seed, stream, epoch, step)``) instead of
    on earlier draws, and a resumed run draws exactly what an uninterrupted one would.
    """
    words = np.random.SeedSequence([int(k) for k in keys]).generate_state(2, np.uint64)
    return int(words[0] >> np.uint64(1))


def derive_seeds(count: int, *keys: int) -> list[int]:
    """``count`` seeds ``derive_seed(*keys, i)`` for ``i = 0 … count − 1``."""
    return [derive_seed(*keys, i) for i in range(count)]

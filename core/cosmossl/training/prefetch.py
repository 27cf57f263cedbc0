"""Reading the next batches in background threads while the current one trains."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

K = TypeVar("K")
T = TypeVar("T")


def read_ahead(read: Callable[[K], T], keys: Iterable[K], workers: int) -> Iterator[T]:
    """``read(k)`` for every key, in order, with up to ``workers`` reads running ahead.

    ``workers = 0`` reads in the calling thread. The results and their order do not depend on
    ``workers``: only when the reading happens does (map stores release the GIL while reading).
    """
    keys = list(keys)
    if workers == 0:
        yield from (read(k) for k in keys)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque(pool.submit(read, k) for k in keys[:workers])
        for k in keys[workers:]:
            yield pending.popleft().result()
            pending.append(pool.submit(read, k))
        while pending:
            yield pending.popleft().result()

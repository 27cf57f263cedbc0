"""Compression: running a trained encoder or a statistic over maps to get summaries.

Example::

    from cosmossl.summaries import compress
    summaries = compress(mapset, "runs/quickstart/train/checkpoints/best")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._util.lazy import lazy_attributes

_LAZY: dict[str, str] = {
    "SummaryFn": "cosmossl.summaries.summarize",
    "compress": "cosmossl.summaries.compress",
    "compress_statistic": "cosmossl.summaries.compress",
    "encoder_summary": "cosmossl.summaries.summarize",
    "numpy_summarizer": "cosmossl.summaries.summarize",
    "summarize": "cosmossl.summaries.summarize",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

if TYPE_CHECKING:
    from cosmossl.summaries.compress import compress, compress_statistic
    from cosmossl.summaries.summarize import (
        SummaryFn,
        encoder_summary,
        numpy_summarizer,
        summarize,
    )

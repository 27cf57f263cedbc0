"""Compression: running a trained encoder or a statistic over maps to get summaries.

Example::

    from cosmossl.summaries import compress
    summaries = compress(mapset, "runs/quickstart/train/checkpoints/best")
"""

from __future__ import annotations

# Imported at once, not lazily: the functions `compress` and `summarize` share their names with
# the submodules that define them, and the import system binds a submodule onto its package when
# it is first imported, which would hide a lazy function of the same name.
from cosmossl._util.lazy import lazy_attributes
from cosmossl.summaries.compress import compress, compress_statistic
from cosmossl.summaries.summarize import SummaryFn, encoder_summary, numpy_summarizer, summarize

__all__ = [
    "SummaryFn",
    "compress",
    "compress_statistic",
    "encoder_summary",
    "numpy_summarizer",
    "summarize",
]

# Only the names that moved away since 0.1.0 are served lazily (with a DeprecationWarning).
__getattr__, __dir__ = lazy_attributes(__name__, {})

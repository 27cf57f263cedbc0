"""Running a summary — a trained encoder or a statistic — over many maps, batch by batch.

This is the one place that does it: compression of a map set (:mod:`.compress`) and the Fisher
check (:func:`numpy_summarizer`, for :mod:`cosmossl.information`) both go through
:func:`summarize`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch
from tqdm.auto import tqdm

from cosmossl._util.devices import resolve_device
from cosmossl.data.mapset import MapSet

if TYPE_CHECKING:
    from cosmossl.data.standardize import Standardizer

#: A summary on tensors: maps ``[B, C, H, W]`` on a device → summaries ``[B, D]``.
SummaryFn = Callable[[torch.Tensor], torch.Tensor]


def encoder_summary(
    encoder: torch.nn.Module, standardizer: Standardizer, device: str | torch.device = "auto"
) -> SummaryFn:
    """The summary of a trained encoder: its output on standardised maps (eval mode, on
    ``device``; give :func:`summarize` the same device).

    The summary is the encoder output, never a projector's: projector outputs are tuned to the
    SSL objective and discard information the encoder keeps (Bordes et al. 2022,
    arXiv:2206.13378). A cosmossl :class:`~cosmossl.Encoder` gives its
    :meth:`~cosmossl.Encoder.summarize` (averaged over D4 when it says so).
    """
    encoder.to(resolve_device(device)).eval()
    forward = getattr(encoder, "summarize", encoder)

    def summary(maps: torch.Tensor) -> torch.Tensor:
        return forward(standardizer(maps))

    return summary


@torch.no_grad()
def summarize(
    summary: SummaryFn,
    maps: MapSet | np.ndarray,
    *,
    batch_size: int = 256,
    device: str | torch.device = "auto",
    progress: bool = False,
) -> np.ndarray:
    """Summaries ``[N, D]`` (float64) of every map of ``maps`` (a map set or ``[N, C, H, W]``).

    Maps are read and summarised ``batch_size`` at a time on ``device``; the result does not
    depend on the batch size beyond floating-point rounding.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
    dev = resolve_device(device)
    read = maps.read if isinstance(maps, MapSet) else (lambda rows: maps[rows])
    n = len(maps)
    parts = []
    for start in tqdm(
        range(0, n, batch_size),
        desc="summarise",
        unit="batch",
        disable=None if progress else True,
        dynamic_ncols=True,
    ):
        rows = np.arange(start, min(n, start + batch_size))
        x = torch.as_tensor(np.asarray(read(rows), dtype=np.float32), device=dev)
        parts.append(summary(x).double().cpu().numpy())
    return np.concatenate(parts) if parts else np.zeros((0, 0))


def numpy_summarizer(
    summary: SummaryFn, *, batch_size: int = 256, device: str | torch.device = "auto"
) -> Callable[[np.ndarray], np.ndarray]:
    """``summary`` as a function of numpy maps ``[B, C, H, W]`` → ``[B, D]`` float64 (what the
    Fisher check of :mod:`cosmossl.information` takes)."""
    return functools.partial(summarize, summary, batch_size=batch_size, device=device)

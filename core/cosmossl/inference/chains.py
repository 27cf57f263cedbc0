"""Posterior samples as GetDist chains: ``<root>.txt`` (weight, −log posterior, parameters),
``<root>.paramnames`` (names and LaTeX labels) and ``<root>.ranges`` (the prior box), the files
``getdist.loadMCSamples(root)`` reads, written by GetDist itself."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from cosmossl._util.files import atomic_folder
from cosmossl.inference.plots import latex_label


def write_chains(
    folder: str | Path,
    chains: Mapping[str, np.ndarray],
    names: Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> Path:
    """Write each of ``chains`` (root name → samples ``[n, P]``, equal weights) into
    ``folder`` as GetDist chains; the folder is replaced as a whole (atomically)."""
    from getdist import MCSamples

    tex = [latex_label(name, labels) for name in names]
    bounds = {n: tuple(ranges[n]) for n in names if ranges and n in ranges}
    with atomic_folder(folder) as staging:
        for root, samples in chains.items():
            # GetDist prints a line per MCSamples ("Removed no burn in"): keep stdout clean.
            with contextlib.redirect_stdout(io.StringIO()):
                chain = MCSamples(
                    samples=np.asarray(samples, dtype=np.float64),
                    names=list(names),
                    labels=tex,
                    ranges=bounds,
                    label=root,
                )
                chain.saveAsText(str(staging / root))
    return Path(folder)

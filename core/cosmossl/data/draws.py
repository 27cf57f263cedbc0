"""Posterior samples of an observation (:class:`Draws`) and the file that keeps them.

``cosmossl posterior`` writes one ``samples.h5`` per observation (documented in
docs/formats.md under "Posterior samples file")::

    /<summary>/samples     float32 [n, N, P] (a posterior per map) or [n, P] (a survey)
    /<summary>/summaries   float32 [N, D]    the maps' summaries
    /<summary> attrs: method, diagnostics (JSON), check (JSON: out-of-distribution check)
    root attrs: format="cosmossl-posterior-samples", version, cosmossl_version, param_names,
                param_labels, priors, labels (one per map), survey, provenance (all JSON)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.files import atomic_path
from cosmossl._version import __version__
from cosmossl.data.hdf5 import open_checked
from cosmossl.errors import DataError

FORMAT = "cosmossl-posterior-samples"
VERSION = 1


@dataclass
class Draws:
    """Posterior samples of new maps under one summary, and how they were obtained.

    Attributes:
        summary: the summary's label (``"encoder"`` or a statistic's name).
        samples: ``[n, N, P]`` — one posterior per map — or, for a survey, ``[n, P]``.
        summaries: ``[N, D]`` the maps' summaries.
        survey: whether the N maps were analysed as one survey.
        method: which posterior gave the samples, in words.
        labels: a label per map (its file, and its index in the file).
        param_names: the P parameter names; ``priors`` the box ``{name: (low, high)}`` every
            sample lies in; ``param_labels`` how figures write them (LaTeX).
        check: the out-of-distribution check of each map's summary (``distance``,
            ``percentile``, ``flagged`` per map, ``threshold_percentile``; see
            :mod:`cosmossl.inference.ood`).
        diagnostics: the sampler's diagnostics (for a product of single-map posteriors: its
            effective sample size, Pareto k̂, whether it converged, the independence assumption).
    """

    summary: str
    samples: np.ndarray
    summaries: np.ndarray
    survey: bool
    method: str
    labels: tuple[str, ...]
    param_names: tuple[str, ...]
    priors: dict[str, tuple[float, float]]
    check: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    param_labels: dict[str, str] = field(default_factory=dict)

    @property
    def observations(self) -> list[tuple[str, np.ndarray]]:
        """``(label, samples [n, P])`` of each observation: each map, or the survey."""
        if self.survey:
            return [(f"survey of {len(self.labels)} maps", self.samples)]
        return [(label, self.samples[:, i]) for i, label in enumerate(self.labels)]


def write_draws(path: str | Path, draws: Sequence[Draws], provenance: dict[str, Any]) -> Path:
    """Write the draws of one observation (one :class:`Draws` per summary, same maps and
    parameters) to ``path`` atomically."""
    import h5py

    path = Path(path)
    first = draws[0]
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs.update({
            "format": FORMAT,
            "version": VERSION,
            "cosmossl_version": __version__,
            "param_names": json.dumps(list(first.param_names)),
            "param_labels": json.dumps(first.param_labels),
            "priors": json.dumps({k: list(v) for k, v in first.priors.items()}),
            "labels": json.dumps(list(first.labels)),
            "survey": bool(first.survey),
            "provenance": json.dumps(provenance, default=str),
        })  # fmt: skip
        for d in draws:
            group = f.create_group(d.summary)
            group.create_dataset("samples", data=np.asarray(d.samples, dtype=np.float32))
            group.create_dataset("summaries", data=np.asarray(d.summaries, dtype=np.float32))
            group.attrs["method"] = d.method
            group.attrs["diagnostics"] = json.dumps(d.diagnostics, default=str)
            group.attrs["check"] = json.dumps(d.check, default=str)
    return path


def read_draws(path: str | Path) -> tuple[list[Draws], dict[str, Any]]:
    """The draws of a samples file (one per summary) and its provenance."""
    path = Path(path)
    with open_checked(path, FORMAT, "version", VERSION, "cosmossl posterior samples file") as f:
        try:
            meta = {k: json.loads(f.attrs[k]) for k in
                    ("param_names", "param_labels", "priors", "labels", "provenance")}  # fmt: skip
            out = [
                Draws(
                    summary=name,
                    samples=group["samples"][()],
                    summaries=group["summaries"][()],
                    survey=bool(f.attrs["survey"]),
                    method=str(group.attrs["method"]),
                    labels=tuple(meta["labels"]),
                    param_names=tuple(meta["param_names"]),
                    priors={k: (float(v[0]), float(v[1])) for k, v in meta["priors"].items()},
                    check=json.loads(group.attrs["check"]),
                    diagnostics=json.loads(group.attrs["diagnostics"]),
                    param_labels=meta["param_labels"],
                )
                for name, group in f.items()
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"'{path}' is not a complete posterior samples file ({exc})") from None
    return out, meta["provenance"]

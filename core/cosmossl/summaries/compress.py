"""Compression: every map of a map set → one summary vector, with its provenance.

The summary of a trained encoder is its output (:func:`encoder_summary`), never a projector's;
a statistic (e.g. the power spectrum) is used as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from cosmossl._version import __version__
from cosmossl.data.mapset import MapSet
from cosmossl.data.standardize import Standardizer
from cosmossl.data.summaries import Summaries
from cosmossl.summaries.summarize import SummaryFn, encoder_summary, summarize
from cosmossl.training.checkpoint import load_encoder


def compress(
    mapset: MapSet,
    checkpoint: str | Path | None = None,
    *,
    encoder: torch.nn.Module | None = None,
    standardizer: Standardizer | None = None,
    batch_size: int = 256,
    device: str = "auto",
    progress: bool = True,
    provenance: dict[str, Any] | None = None,
) -> Summaries:
    """Summaries ``[N, D]`` of every map of ``mapset`` by a trained encoder.

    Give a ``checkpoint`` folder (the encoder is rebuilt from it, with the input standardisation
    it was trained with), or an ``encoder`` module (with an optional ``standardizer``), or both
    (the checkpoint's weights are loaded into ``encoder``).
    """
    info: dict[str, Any] = {}
    if checkpoint is not None:
        encoder, standardizer, ckpt = load_encoder(checkpoint, encoder=encoder)
        info = {
            "checkpoint": str(Path(checkpoint).resolve()),
            "encoder": ckpt.state["encoder"],
            "step": ckpt.state["step"],
            "epoch": ckpt.state["epoch"],
            "config_hash": ckpt.state.get("config_hash"),
        }
    if encoder is None:
        raise ValueError("compress needs a checkpoint or an encoder")
    standardizer = standardizer or Standardizer()
    info.update({"kind": "encoder", "input_standardization": standardizer.to_dict()})
    summary = encoder_summary(encoder, standardizer, device)
    return _compress(mapset, summary, batch_size, device, progress, {**info, **(provenance or {})})


def compress_statistic(
    mapset: MapSet,
    statistic: SummaryFn,
    *,
    name: str | None = None,
    batch_size: int = 256,
    device: str = "auto",
    progress: bool = True,
    provenance: dict[str, Any] | None = None,
) -> Summaries:
    """Summaries of every map by a hand-crafted ``statistic`` (e.g. the power spectrum)."""
    params = getattr(statistic, "params", None)
    info = {
        "kind": "statistic",
        "statistic": name or type(statistic).__name__,
        "params": params.model_dump(mode="json") if hasattr(params, "model_dump") else {},
    }
    return _compress(
        mapset, statistic, batch_size, device, progress, {**info, **(provenance or {})}
    )


def _compress(
    mapset: MapSet,
    summary: SummaryFn,
    batch_size: int,
    device: str,
    progress: bool,
    provenance: dict[str, Any],
) -> Summaries:
    values = summarize(summary, mapset, batch_size=batch_size, device=device, progress=progress)
    return Summaries(
        summaries=values,
        params=mapset.params,
        param_names=mapset.param_names,
        cosmology_id=mapset.cosmology_id,
        simulation_id=mapset.simulation_id,
        seed_id=mapset.seed_id,
        split=mapset.split,
        nuisance=mapset.nuisance,
        nuisance_names=mapset.nuisance_names,
        priors=mapset.priors,
        provenance={"cosmossl": __version__, **provenance},
    )

"""Compression: every map of a map set → one summary vector, with its provenance.

The summary of a trained encoder is its output (:func:`encoder_summary`), never a projector's;
a statistic (e.g. the power spectrum) is used as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from cosmossl._version import __version__
from cosmossl.data.arrays import first_nonfinite
from cosmossl.data.mapset import MapSet
from cosmossl.data.standardize import Standardizer
from cosmossl.data.summaries import Summaries
from cosmossl.errors import DataError
from cosmossl.plugin.host import registry as default_registry
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
        trained_on = (ckpt.state.get("encoder") or {}).get("input_shape")
        if trained_on is not None:
            where = mapset.where() if mapset.source else "the map set"
            check_maps_fit(mapset.meta.shape, trained_on, f"checkpoint '{ckpt.path}'", where)
        info = {
            "checkpoint": str(Path(checkpoint).resolve()),
            **trained_with(ckpt.state),
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


def check_maps_fit(
    shape: Sequence[int], trained_on: Sequence[int], checkpoint: str, maps: str
) -> None:
    """A :class:`DataError` unless maps of ``shape`` (channels first) are the maps the encoder
    of ``checkpoint`` was trained on (``trained_on``, recorded in the checkpoint): an encoder that
    accepts any size would otherwise summarise other maps without a word. ``maps`` says where
    the maps come from, for the message."""
    shape, trained_on = tuple(int(n) for n in shape), tuple(int(n) for n in trained_on)
    if shape != trained_on:
        raise DataError(
            f"{checkpoint} holds an encoder trained on maps of {_described(trained_on)} (shape "
            f"{list(trained_on)}), but the maps of {maps} have {_described(shape)} "
            f"(shape {list(shape)}): give it maps like those it was trained on, or train an "
            "encoder on these"
        )


def _described(shape: tuple[int, ...]) -> str:
    if len(shape) < 2:
        return f"{shape[0] if shape else 0} numbers"
    channels = f"{shape[0]} channel{'s' if shape[0] != 1 else ''}"
    return f"{channels} of {'×'.join(str(n) for n in shape[1:])} pixels"


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
    name = name or type(statistic).__name__
    info = {
        "kind": "statistic",
        "statistic": name,
        "params": params.model_dump(mode="json") if hasattr(params, "model_dump") else {},
        "provider": default_registry().provenance("statistic", {"type": name})["provider"],
    }
    return _compress(
        mapset, statistic, batch_size, device, progress, {**info, **(provenance or {})}
    )


def trained_with(state: dict[str, Any]) -> dict[str, Any]:
    """The encoder, loss and augmentations a checkpoint was trained with, each with its
    parameters and the plugin, distribution and version that provides it (as installed now)."""
    registry = default_registry()
    record = (state.get("identity") or {}).get("record") or {}
    augmentations = [
        {"type": table.get("type"), "params": {k: v for k, v in table.items() if k != "type"}}
        for table in record.get("augmentations", [])
    ]
    out = {"encoder": registry.provenance("encoder", state.get("encoder") or {})}
    if state.get("loss"):
        out["loss"] = registry.provenance("loss", state["loss"])
    if "augmentations" in record:
        out["augmentations"] = [registry.provenance("augmentation", a) for a in augmentations]
    return out


def _compress(
    mapset: MapSet,
    summary: SummaryFn,
    batch_size: int,
    device: str,
    progress: bool,
    provenance: dict[str, Any],
) -> Summaries:
    values = summarize(summary, mapset, batch_size=batch_size, device=device, progress=progress)
    row = first_nonfinite(values)
    if row is not None:
        made_by = provenance.get("statistic") or "the encoder"
        raise DataError(
            f"{made_by} gave NaN or inf summaries for map {row} ({mapset.split_of(row)} split) of "
            f"{mapset.where()}, although the map is finite: for a trained encoder the training "
            "may have diverged (check its loss in metrics.jsonl; lower the learning rate)"
        )
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
        prior_sources=mapset.prior_sources,
        param_labels=mapset.param_labels,
        # The geometry and content of the maps: what new maps must match to be compressed alike.
        provenance={"cosmossl": __version__, "maps": mapset.meta.to_dict(), **provenance},
    )

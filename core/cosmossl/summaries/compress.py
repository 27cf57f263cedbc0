"""Compression: every map → one summary vector (a trained encoder's output, or a statistic).

The summary is the ENCODER output. A checkpoint also holds the loss heads (projector/expander,
predictor), but only the ``encoder.*`` weights are loaded here: projector outputs are tuned to the
SSL objective and discard information the encoder keeps (Bordes et al. 2022, arXiv:2206.13378).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from cosmossl._util.devices import resolve_device
from cosmossl._version import __version__
from cosmossl.data.mapset import MapSet
from cosmossl.data.standardize import Standardizer
from cosmossl.data.summaries import Summaries
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
    dev = resolve_device(device)
    encoder = encoder.to(dev).eval()

    def summarize(maps: torch.Tensor) -> torch.Tensor:
        return encoder(standardizer(maps))

    info.update({"kind": "encoder", "input_mean": standardizer.mean, "input_std": standardizer.std})
    return _summaries(mapset, summarize, dev, batch_size, progress, {**info, **(provenance or {})})


def compress_statistic(
    mapset: MapSet,
    statistic: Callable[[torch.Tensor], torch.Tensor],
    *,
    name: str | None = None,
    batch_size: int = 256,
    device: str = "auto",
    progress: bool = True,
    provenance: dict[str, Any] | None = None,
) -> Summaries:
    """Summaries of every map by a hand-crafted ``statistic`` (e.g. the power spectrum)."""
    dev = resolve_device(device)
    params = getattr(statistic, "params", None)
    info = {
        "kind": "statistic",
        "statistic": name or type(statistic).__name__,
        "params": params.model_dump(mode="json") if hasattr(params, "model_dump") else {},
    }
    return _summaries(mapset, statistic, dev, batch_size, progress, {**info, **(provenance or {})})


@torch.no_grad()
def _summaries(
    mapset: MapSet,
    summarize: Callable[[torch.Tensor], torch.Tensor],
    dev: torch.device,
    batch_size: int,
    progress: bool,
    provenance: dict[str, Any],
) -> Summaries:
    n = len(mapset)
    parts = []
    for start in tqdm(
        range(0, n, batch_size),
        desc="compress",
        unit="batch",
        disable=None if progress else True,
        dynamic_ncols=True,
    ):
        rows = np.arange(start, min(n, start + batch_size))
        maps = torch.from_numpy(mapset.read(rows)).to(dev)
        parts.append(summarize(maps).float().cpu().numpy())
    summaries = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
    return Summaries(
        summaries=summaries,
        params=mapset.params,
        param_names=mapset.param_names,
        cosmology_id=mapset.cosmology_id,
        simulation_id=mapset.simulation_id,
        split=mapset.split,
        nuisance=mapset.nuisance,
        nuisance_names=mapset.nuisance_names,
        priors=mapset.priors,
        provenance={"cosmossl": __version__, **provenance},
    )


def fisher_of_encoder(
    checkpoint: str | Path,
    simulator: Any,
    theta_fid: np.ndarray,
    deltas: np.ndarray,
    *,
    n_fiducial: int = 500,
    n_derivative: int = 250,
    seed: int = 0,
    device: str = "auto",
    batch_size: int = 256,
) -> np.ndarray:
    """Fisher matrix ``[P, P]`` of a trained encoder's summaries at ``theta_fid``.

    ``simulator`` is a dataset with ``simulate(theta [B, P], seeds)`` (e.g. ``lognormal``); the
    maps go through the checkpoint's standardisation and encoder (not the projector); the
    matrix comes from :func:`cosmossl.information.fisher.fisher_from_simulator` (seed-matched derivatives,
    Hartlap-debiased covariance).
    """
    from cosmossl.information.check import encoder_summarizer
    from cosmossl.information.fisher import fisher_from_simulator

    encoder, standardizer, _ = load_encoder(checkpoint)
    summarize = encoder_summarizer(encoder, standardizer, device=device, batch_size=batch_size)
    return fisher_from_simulator(
        simulator.simulate,
        summarize,
        theta_fid,
        deltas,
        n_fiducial=n_fiducial,
        n_derivative=n_derivative,
        seed=seed,
    )

"""``train(config)``: build the run file's components and train the encoder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from cosmossl.config.run_file import ComponentSpec, RunConfig, load_run_config
from cosmossl.data.mapset import MapSet
from cosmossl.errors import ConfigError
from cosmossl.job.run_dir import TRAIN, run_directory
from cosmossl.plugin.factory import build_component
from cosmossl.training.loop import TrainResult, train_components

#: Run-file parts that define what is trained (a resume must match them).
_IDENTITY_KEYS = ("seed", "pairing", "dataset", "encoder", "loss", "augmentations")


def train(
    config: RunConfig | str | Path,
    run_dir: str | Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    stop_after_steps: int | None = None,
    mapset: MapSet | None = None,
    record: dict[str, Any] | None = None,
) -> TrainResult:
    """Train the encoder of a run file with its loss, augmentations and ``[train]`` settings.

    Loads the dataset, builds the encoder (seeded by the run seed), the loss with its heads and
    the augmentations, then runs :func:`cosmossl.training.train_components`. Checkpoints,
    ``metrics.jsonl`` and TensorBoard scalars go to ``<run_dir>/train`` (``run_dir`` defaults to
    the run file's; see :mod:`cosmossl.job.run_dir`). ``resume=True`` continues from
    ``<run_dir>/train/checkpoints/last``.

    Under ``torchrun`` every process calls this; each trains on its share of each batch and
    only rank 0 writes.

    ``mapset`` replaces loading the run file's dataset (the main job passes the maps it
    simulated once); ``record`` replaces the run-file parts that identify the run for ``resume``.
    """
    if not isinstance(config, RunConfig):
        config = load_run_config(config)
    settings = config.settings
    dataset_spec = _required(config, "dataset")
    encoder_spec = _required(config, "encoder")
    loss_spec = _required(config, "loss")
    if mapset is None:
        mapset = build_component(dataset_spec).load(seed=settings.seed, progress=progress)
    torch.manual_seed(settings.seed)
    encoder = build_component(encoder_spec, input_shape=tuple(mapset.meta.shape))
    loss = build_component(
        loss_spec, summary_dim=encoder.summary_dim, param_dim=len(mapset.param_names)
    )
    augmentations = [build_component(spec, meta=mapset.meta) for spec in config.augmentations]
    if record is None:
        record = {k: config.raw[k] for k in _IDENTITY_KEYS if k in config.raw}
    run_dir = run_directory(config, run_dir) / TRAIN
    return train_components(
        mapset,
        encoder,
        loss,
        run_dir=run_dir,
        augmentations=augmentations,
        settings=settings.train,
        views=settings.pairing.views,
        level=settings.pairing.level,
        small_groups=settings.pairing.small_groups,
        seed=settings.seed,
        device=settings.device,
        resume=resume,
        progress=progress,
        stop_after_steps=stop_after_steps,
        record=record,
    )


def _required(config: RunConfig, slot: str) -> ComponentSpec:
    spec = config.component(slot)
    if spec is None:
        raise ConfigError(f"{config.source}: training needs a [{slot}] table")
    return spec

"""``train(config)``: build the run file's components and train its encoder."""

from __future__ import annotations

import os
from contextlib import nullcontext
from pathlib import Path

import torch

from cosmossl.config.run_file import RunConfig, load_run_config
from cosmossl.data.mapset import MapSet
from cosmossl.job.plan import build_dataset, check_config, check_dataset
from cosmossl.job.run_dir import TRAIN, RunDirectory, run_directory
from cosmossl.plugin.factory import create
from cosmossl.training.fresh import fresh_simulator
from cosmossl.training.loop import TrainResult, train_components


def train(
    config: RunConfig | str | Path,
    run_dir: str | Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    stop_after_steps: int | None = None,
    mapset: MapSet | None = None,
) -> TrainResult:
    """Train the encoder of a run file with its loss, augmentations and ``[train]`` settings.

    Loads the dataset, builds the encoder (seeded by the run seed), the loss with its heads and
    the augmentations, then runs :func:`cosmossl.training.train_components`. Checkpoints,
    ``metrics.jsonl`` and TensorBoard scalars go to ``<run_dir>/train`` (``run_dir`` defaults to
    the run file's; see :mod:`cosmossl.job.run_dir`). ``resume=True`` continues from the last
    checkpoint there.

    Under ``torchrun`` every process calls this; each trains on its share of each batch and
    only rank 0 writes (and claims and locks the run directory). ``mapset`` replaces loading
    the run file's dataset (the main job passes the maps it simulated once).
    """
    if not isinstance(config, RunConfig):
        config = load_run_config(config)
    check_config(config, "train")
    if mapset is None:  # the main job checked the maps it passes
        check_dataset(config, "`cosmossl train`", command="train")
    root = run_directory(config, run_dir)
    writer = int(os.environ.get("RANK", "0")) == 0
    with RunDirectory(root) if writer else nullcontext() as directory:
        if directory is not None:
            directory.claim(TRAIN)
            directory.check_writable()
        return _train(config, root, resume, progress, stop_after_steps, mapset)


def _train(
    config: RunConfig,
    root: Path,
    resume: bool,
    progress: bool,
    stop_after_steps: int | None,
    mapset: MapSet | None,
) -> TrainResult:
    settings = config.settings
    encoder_spec = config.require("encoder", "training")
    loss_spec = config.require("loss", "training")
    dataset = build_dataset(config, "`cosmossl train`")
    if mapset is None:
        mapset = dataset.load(seed=settings.dataset_seed, progress=progress)
    torch.manual_seed(settings.seed)
    encoder = create("encoder", encoder_spec.type, encoder_spec.params,
                     input_shape=tuple(mapset.meta.shape))  # fmt: skip
    loss = create("loss", loss_spec.type, loss_spec.params,
                  summary_dim=encoder.summary_dim, param_dim=len(mapset.param_names))  # fmt: skip
    augmentations = [
        create(s.kind, s.type, s.params, meta=mapset.meta) for s in config.augmentations
    ]
    return train_components(
        mapset,
        encoder,
        loss,
        run_dir=root / TRAIN,
        augmentations=augmentations,
        settings=settings.train,
        pairing=settings.pairing,
        seed=settings.seed,
        device=settings.device,
        resume=resume,
        progress=progress,
        stop_after_steps=stop_after_steps,
        record=config.training_record(),
        simulator=fresh_simulator(settings.train.fresh, dataset),
    )

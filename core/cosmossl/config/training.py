"""``[train]`` table of the run file: optimiser, schedule, stopping, precision, data loading.

This module imports no torch so that reading a run file stays fast.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TrainSettings(BaseModel):
    """How an encoder is trained (``[train]`` in the run file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int = Field(50, ge=1, description="Passes over the training groups.")
    batch_size: int = Field(
        64,
        ge=2,
        description="Groups per optimiser step (the GLOBAL batch: under DDP each of the W "
        "processes takes batch_size / W groups). Each group contributes `pairing.views` maps.",
    )
    steps_per_epoch: int | None = Field(
        None,
        ge=1,
        description="Optimiser steps per epoch; default: training groups // batch_size (every "
        "group once per epoch).",
    )
    lr: float = Field(2e-4, gt=0, description="Peak learning rate of AdamW.")
    weight_decay: float = Field(1e-4, ge=0, description="AdamW decoupled weight decay.")
    schedule: Literal["cosine", "plateau", "constant"] = Field(
        "plateau",
        description="'cosine': linear warm-up then cosine decay to 0 per step; 'plateau': "
        "multiply the lr by plateau_factor when the validation loss has not improved for "
        "plateau_patience epochs (the reference paper's choice); 'constant'.",
    )
    warmup_epochs: float = Field(
        0.0, ge=0, description="Linear warm-up length in epochs (all schedules)."
    )
    plateau_factor: float = Field(0.3, gt=0, lt=1, description="lr factor of 'plateau'.")
    plateau_patience: int = Field(5, ge=0, description="Epochs without improvement of 'plateau'.")
    grad_clip: float | None = Field(
        None, gt=0, description="Clip the global gradient norm to this value (none: no clipping)."
    )
    early_stopping: int | None = Field(
        None,
        ge=1,
        description="Stop when the validation loss has not improved for this many epochs "
        "(none: train all epochs).",
    )
    standardize: bool = Field(
        True,
        description="Divide inputs by one global mean/std measured on the training split "
        "(stored with the checkpoint and reused by compression).",
    )
    workers: int = Field(
        0,
        ge=0,
        description="Background threads reading the next batches from the map store while the "
        "current one trains (0: read in the training thread).",
    )
    bf16: bool = Field(True, description="bf16 autocast on CUDA (ignored on CPU).")
    sync_batchnorm: bool = Field(
        True,
        description="Under DDP on GPUs, convert BatchNorm layers to SyncBatchNorm so statistics "
        "cover the global batch (as in one process); on CPU each process normalises its share.",
    )
    log_every: int = Field(
        10, ge=1, description="Steps between metric lines in metrics.jsonl and TensorBoard."
    )
    tensorboard: bool = Field(True, description="Also write TensorBoard scalars.")
    collapse_std: float = Field(
        0.1,
        gt=0,
        description="Warn of collapse when the std of L2-normalised embeddings falls below "
        "collapse_std / sqrt(D) (a healthy representation has about 1 / sqrt(D)).",
    )
    collapse_rank: float = Field(
        1.5, gt=0, description="Warn of collapse when RankMe (effective rank) falls below this."
    )

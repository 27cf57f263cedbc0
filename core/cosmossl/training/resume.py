"""Saving a training run to its checkpoints and restoring it for an exact resume.

A run's checkpoint holds everything that the next step depends on: the encoder and loss weights
(heads, EMA targets), the AdamW state, the input standardiser, the torch RNG state (CPU and
CUDA) and the run state (counters, trackers, history). Batches and augmentation draws are keyed
by (seed, epoch, step, rank) and need no state, so a resumed run continues with exactly the
numbers of an uninterrupted one. The configuration hash of :func:`identity` guards against
resuming with another configuration.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cosmossl.config.training import TrainSettings
from cosmossl.data.standardize import Standardizer
from cosmossl.errors import ConfigError
from cosmossl.training import state as run_state
from cosmossl.training.checkpoint import load_checkpoint, save_checkpoint

log = logging.getLogger("cosmossl.training")

#: Settings that may change between a run and its resume (epochs may grow, logging may change).
_FREE_SETTINGS = {"epochs", "early_stopping", "log_every", "tensorboard", "workers"}


def identity(
    *,
    record: dict[str, Any],
    settings: TrainSettings,
    seed: int,
    views: int,
    world: int,
    n_maps: int,
    encoder: nn.Module,
    loss: nn.Module,
) -> dict[str, Any]:
    """What must match for a resume to continue the same run."""
    return {
        "record": record,
        "settings": settings.model_dump(mode="json", exclude=_FREE_SETTINGS),
        "seed": seed,
        "views": views,
        "world": world,
        "n_maps": n_maps,
        "encoder": run_state.module_spec(encoder),
        "loss": run_state.module_spec(loss),
    }


@dataclass
class RunCheckpoints:
    """Writes and reads ``run_dir/checkpoints/{last,best}`` for one trainer.

    Attributes:
        run_dir: the run folder.
        encoder, loss: the trained modules (unwrapped from DDP).
        optimizer: their AdamW optimiser.
        device: the training device (its CUDA RNG state is saved too).
        identity: :func:`identity` of the run; its hash is stored and checked on resume.
        is_main: only rank 0 writes.
    """

    run_dir: Path
    encoder: nn.Module
    loss: nn.Module
    optimizer: torch.optim.Optimizer
    device: torch.device
    identity: dict[str, Any]
    is_main: bool = True

    def __post_init__(self) -> None:
        self.config_hash = run_state.config_hash(self.identity)

    @property
    def last(self) -> Path:
        return self.run_dir / "checkpoints" / "last"

    @property
    def best(self) -> Path:
        return self.run_dir / "checkpoints" / "best"

    def exists(self) -> bool:
        return (self.last / "state.json").is_file()

    def save(
        self, folder: Path, state: dict[str, Any], standardizer: Standardizer, *, optimizer: bool
    ) -> None:
        """Write the checkpoint (rank 0 only); ``optimizer=False`` for ``best``."""
        if not self.is_main:
            return
        tensors = {f"encoder.{k}": v for k, v in self.encoder.state_dict().items()}
        tensors.update({f"loss.{k}": v for k, v in self.loss.state_dict().items()})
        tensors.update(standardizer.tensors())
        tensors["rng.torch"] = torch.get_rng_state()
        if self.device.type == "cuda":
            tensors["rng.cuda"] = torch.cuda.get_rng_state(self.device)
        save_checkpoint(
            folder,
            tensors=tensors,
            state=run_state.to_json(state, self.identity, self.config_hash),
            optimizer={"optimizer": self.optimizer.state_dict()} if optimizer else None,
        )

    def restore(self) -> tuple[dict[str, Any], Standardizer]:
        """Load ``last`` into the modules, optimiser and RNGs; the run state and standardiser."""
        ckpt = load_checkpoint(self.last, with_optimizer=True)
        if ckpt.state.get("config_hash") != self.config_hash:
            raise ConfigError(
                f"cannot resume '{self.run_dir}': its checkpoint was made with another "
                "configuration (run file, components, seed or number of processes differ); "
                "start a new run directory instead"
            )
        self.encoder.load_state_dict(ckpt.part("encoder"))
        self.loss.load_state_dict(ckpt.part("loss"))
        self.optimizer.load_state_dict(ckpt.optimizer["optimizer"])
        torch.set_rng_state(ckpt.tensors["rng.torch"])
        if self.device.type == "cuda" and "rng.cuda" in ckpt.tensors:
            torch.cuda.set_rng_state(ckpt.tensors["rng.cuda"], self.device)
        state = run_state.from_json(ckpt.state)
        log.info("resuming %s at epoch %d, step %d", self.run_dir, state["epoch"], state["step"])
        return state, ckpt.standardizer

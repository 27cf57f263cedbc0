"""Saving a training run to its checkpoints and restoring it for an exact resume.

A run's checkpoint holds everything that the next step depends on: the encoder and loss weights
(heads, EMA targets), the AdamW state, the input standardiser, the torch RNG state (CPU and
CUDA) and the run state (:class:`~cosmossl.training.state.TrainState`). Batches and
augmentation draws are keyed by (seed, epoch, step, rank) and need no state, so a resumed run
continues with exactly the numbers of an uninterrupted one. The configuration hash of
:func:`identity` guards against resuming with another configuration.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cosmossl._util.digest import digest
from cosmossl.config.settings import TrainSettings
from cosmossl.data.standardize import Standardizer
from cosmossl.errors import ConfigError, DataError
from cosmossl.training.checkpoint import (
    INPUT_PREFIX,
    find_checkpoint,
    load_checkpoint,
    load_state,
    save_checkpoint,
)
from cosmossl.training.folder import TrainingFolder
from cosmossl.training.state import TrainState

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
        "encoder": module_spec(encoder),
        "loss": module_spec(loss),
    }


def module_spec(module: nn.Module) -> dict[str, Any]:
    """Name (if registered), class and parameters of a component, to rebuild it later."""
    cls = type(module)
    target = f"{cls.__module__}:{cls.__qualname__}"
    params = getattr(module, "params", None)
    spec: dict[str, Any] = {
        "type": _registered_name(getattr(cls, "kind", ""), target),
        "class": target,
        "params": params.model_dump(mode="json") if hasattr(params, "model_dump") else {},
    }
    if hasattr(module, "input_shape"):
        spec["input_shape"] = list(module.input_shape)
    return spec


def _registered_name(kind: str, target: str) -> str | None:
    from cosmossl.plugin.host import registry

    try:
        entries = registry().entries(kind)
    except Exception:  # an unknown kind (a bare nn.Module) is simply not registered
        return None
    return next((e.name for e in entries if e.target_path == target), None)


@dataclass
class RunCheckpoints:
    """Writes and reads the ``last`` and ``best`` checkpoints of one trainer.

    Attributes:
        folder: the training folder.
        encoder, loss: the trained modules (unwrapped from DDP).
        optimizer: their AdamW optimiser.
        device: the training device (its CUDA RNG state is saved too).
        identity: :func:`identity` of the run; its hash is stored and checked on resume.
        is_main: only rank 0 writes.
    """

    folder: TrainingFolder
    encoder: nn.Module
    loss: nn.Module
    optimizer: torch.optim.Optimizer
    device: torch.device
    identity: dict[str, Any]
    is_main: bool = True

    def __post_init__(self) -> None:
        self.config_hash = digest(self.identity)[:16]

    def exists(self) -> bool:
        """Whether there is a checkpoint to resume (``last``, or its previous version when a
        crash interrupted the swap)."""
        return find_checkpoint(self.folder.last) is not None

    def save(
        self, checkpoint: Path, state: TrainState, standardizer: Standardizer, *, optimizer: bool
    ) -> None:
        """Write the checkpoint (rank 0 only); ``optimizer=False`` for ``best``."""
        if not self.is_main:
            return
        tensors = {f"encoder.{k}": v for k, v in self.encoder.state_dict().items()}
        tensors.update({f"loss.{k}": v for k, v in self.loss.state_dict().items()})
        tensors.update(standardizer.tensors(INPUT_PREFIX))
        tensors["rng.torch"] = torch.get_rng_state()
        if self.device.type == "cuda":
            tensors["rng.cuda"] = torch.cuda.get_rng_state(self.device)
        saved = {
            **state.to_json(),
            "config_hash": self.config_hash,
            "encoder": self.identity["encoder"],
            "loss": self.identity["loss"],
            "identity": self.identity,
        }
        save_checkpoint(
            checkpoint,
            tensors=tensors,
            state=saved,
            optimizer={"optimizer": self.optimizer.state_dict()} if optimizer else None,
        )

    def restore(self) -> tuple[TrainState, Standardizer]:
        """Load ``last`` into the modules, optimiser and RNGs; the run state and standardiser."""
        ckpt = load_checkpoint(self.folder.last, with_optimizer=True)
        if ckpt.state.get("config_hash") != self.config_hash:
            raise ConfigError(
                f"cannot resume '{self.folder.root}': its checkpoint was made with another "
                "configuration (run file, components or their code, seed or number of processes "
                "differ); start a new run directory instead"
            )
        what = f"checkpoint '{ckpt.path}'"
        load_state(self.encoder, ckpt.part("encoder"), what, "encoder")
        load_state(self.loss, ckpt.part("loss"), what, "loss")
        load_state(self.optimizer, ckpt.optimizer["optimizer"], what, "optimiser")
        try:
            torch.set_rng_state(ckpt.tensors["rng.torch"])
            if self.device.type == "cuda" and "rng.cuda" in ckpt.tensors:
                torch.cuda.set_rng_state(ckpt.tensors["rng.cuda"], self.device)
            state = TrainState.from_json(ckpt.state)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise DataError(f"{what}: its run state cannot be restored ({type(exc).__name__}: "
                            f"{exc}); the checkpoint is damaged") from None  # fmt: skip
        log.info("resuming %s at epoch %d, step %d", self.folder.root, state.epoch, state.step)
        return state, ckpt.standardizer

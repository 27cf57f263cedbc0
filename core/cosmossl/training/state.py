"""The run state kept in ``state.json``: counters, best validation loss, schedule trackers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from torch import nn

from cosmossl.config.training import TrainSettings

#: Relative improvement that counts as better (torch's ReduceLROnPlateau default threshold).
IMPROVEMENT = 1e-4


def fresh(settings: TrainSettings) -> dict[str, Any]:
    """The state of a run before its first step."""
    return {
        "epoch": 0,  # completed epochs
        "step": 0,  # optimiser steps taken
        "step_in_epoch": 0,
        "train_loss_sum": 0.0,
        "best_val_loss": None,
        "best_epoch": None,
        "epochs_without_improvement": 0,
        "stopped_early": False,
        "finished": False,
        "plateau": {"best": None, "bad_epochs": 0, "scale": 1.0},
        "history": [],
    }


def update_trackers(state: dict[str, Any], metric: float, settings: TrainSettings) -> bool:
    """Best loss, early stopping and reduce-on-plateau after an epoch; ``True`` if improved.

    Reduce-on-plateau follows torch's ``ReduceLROnPlateau`` (mode min, relative threshold 1e-4,
    no cooldown): after more than ``plateau_patience`` epochs without improvement the learning
    rate is multiplied by ``plateau_factor``.
    """
    plateau = state["plateau"]
    if _better(metric, plateau["best"]):
        plateau["best"], plateau["bad_epochs"] = metric, 0
    else:
        plateau["bad_epochs"] += 1
        if plateau["bad_epochs"] > settings.plateau_patience:
            plateau["scale"] *= settings.plateau_factor
            plateau["bad_epochs"] = 0
    improved = _better(metric, state["best_val_loss"])
    if improved:
        state["best_val_loss"], state["best_epoch"] = metric, state["epoch"]
        state["epochs_without_improvement"] = 0
    else:
        state["epochs_without_improvement"] += 1
        patience = settings.early_stopping
        if patience is not None and state["epochs_without_improvement"] >= patience:
            state["stopped_early"] = True
    return improved


def _better(metric: float, best: float | None) -> bool:
    return best is None or metric < best - abs(best) * IMPROVEMENT


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


def config_hash(identity: dict[str, Any]) -> str:
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def to_json(state: dict[str, Any], identity: dict[str, Any], digest: str) -> dict[str, Any]:
    return {
        **state,
        "config_hash": digest,
        **{k: identity[k] for k in ("encoder", "loss")},
        "identity": identity,
    }


def from_json(data: dict[str, Any]) -> dict[str, Any]:
    keys = fresh(TrainSettings()).keys()
    return {k: data[k] for k in keys} | {"warned_epoch": None}

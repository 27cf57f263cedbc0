"""Base class of ``loss`` components."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from cosmossl.components.base import Component
from cosmossl.components.params import Params
from cosmossl.components.training_data import FiducialBatch, TrainingData


@dataclass
class LossOutput:
    """What a loss returns for one batch.

    Attributes:
        loss: the scalar to minimise.
        terms: named parts of the loss and monitors (detached scalars), logged every
            ``log_every`` steps.
        embeddings: the summaries of every view, ``[B·V, D]``, detached: the collapse monitors
            (RankMe, embedding spread) watch the summary that is kept, not a projector's
            output. ``None`` skips them.
    """

    loss: torch.Tensor
    terms: dict[str, torch.Tensor] = field(default_factory=dict)
    embeddings: torch.Tensor | None = None


class Loss(Component, nn.Module, ABC):
    """A training objective that owns its heads (expander/projector, predictor, EMA target).

    ``forward(encoder, views, theta=None)`` receives the encoder and the batch of views
    ``[B, V, C, H, W]`` (B groups, V views of each) and returns a :class:`LossOutput`. Supervised
    losses (``supervised = True``) also get the parameters ``theta`` ``[B, P]``, standardised
    with the training split's mean and standard deviation of each parameter.
    ``summary_dim`` (the encoder's D) and ``param_dim`` (P) are supplied by the engine; create
    every trainable head in ``__init__`` (the optimiser is built before the first step). Under
    DDP, statistics over the batch must cover the global batch (``cosmossl.nn.gather_with_grad``,
    ``batch_norm="sync"`` heads). ``cosmossl.testing.check_loss`` checks the contract.

    The training loop keeps as ``checkpoints/best`` the epoch of lowest validation loss. A loss
    whose value is not comparable from one epoch to the next (BYOL: it measures the distance to
    an EMA target that keeps moving) sets ``select_by_validation = False``: ``best`` is then the
    last epoch's weights, as its paper evaluates the encoder at the end of training.

    A loss that trains on something besides views declares it in the classmethod
    :meth:`training_data` (see :mod:`cosmossl.components.training_data`): e.g. simulations at
    a fiducial point, which the loop then passes as ``forward(..., fiducial=FiducialBatch)``
    (and ``views=None`` when it asked for no views).
    """

    kind: ClassVar[str] = "loss"
    supervised: ClassVar[bool] = False
    select_by_validation: ClassVar[bool] = True
    context_keys: ClassVar[tuple[str, ...]] = ("summary_dim", "param_dim")

    def __init__(
        self, params: Params | None = None, *, summary_dim: int, param_dim: int | None = None
    ) -> None:
        nn.Module.__init__(self)
        Component.__init__(self, params)
        self.summary_dim = int(summary_dim)
        self.param_dim = param_dim

    @classmethod
    def training_data(cls, params: Params) -> TrainingData:
        """What the loss trains on, for its validated ``params``: views only (the default), or
        also/instead simulations at a fiducial point. Checked before any work (the dataset must
        provide it) and provided by the training loop at every step."""
        return TrainingData()

    @abstractmethod
    def forward(
        self,
        encoder: nn.Module,
        views: torch.Tensor | None,
        theta: torch.Tensor | None = None,
        *,
        fiducial: FiducialBatch | None = None,
    ) -> LossOutput:
        """The loss on a batch of views ``[B, V, C, H, W]`` (``None`` when
        :meth:`training_data` asked for none); ``fiducial`` only when it asked for it."""

    def after_step(self, encoder: nn.Module, step: int, total_steps: int) -> None:
        """Called after each optimiser step (e.g. to update an EMA target). Default: nothing."""

"""Base class of ``backend`` components (simulation-based inference on summaries).

The framework owns everything that must be identical across backends: the train/validation
split (by group), the standardisation of the summaries (fitted on training rows only), the prior
and the seed; :func:`cosmossl.inference.fit` does that part and then calls the backend. A
backend only turns a :class:`~cosmossl.inference.FitData` into a
:class:`~cosmossl.inference.Posterior`, and rebuilds one from a saved folder
(:func:`cosmossl.inference.load_posterior` calls it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from cosmossl.components.base import Component

if TYPE_CHECKING:
    from cosmossl.inference import FitData, Posterior, SavedPosterior


class Backend(Component, ABC):
    """Fits an amortised posterior q(θ | x) on (parameters θ, summaries x).

    Subclasses implement :meth:`fit_posterior` and :meth:`posterior_from_saved`; callers use
    :func:`cosmossl.inference.fit` and :func:`cosmossl.inference.load_posterior`.
    """

    kind: ClassVar[str] = "backend"
    #: The registry name; posteriors record it so :func:`cosmossl.inference.load_posterior`
    #: finds the backend again.
    name: ClassVar[str] = ""

    @abstractmethod
    def fit_posterior(self, data: FitData) -> Posterior:
        """Train on ``data`` (framework split, standardised x, prior, seed) → posterior."""

    @classmethod
    @abstractmethod
    def posterior_from_saved(cls, saved: SavedPosterior, device: str = "cpu") -> Posterior:
        """Rebuild the posterior from its saved weights and config (``device`` is resolved)."""

"""Base class of ``backend`` components (simulation-based inference on summaries).

The framework owns everything that must be identical across backends: the train/validation
split (by group), the standardisation of the summaries (fitted on training rows only), the prior
and the seed. A backend only turns a :class:`~cosmossl.inference.posterior.FitData` into a
:class:`~cosmossl.inference.posterior.Posterior`, and rebuilds one from a saved folder.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from cosmossl.components.base import Component
from cosmossl.errors import DataError

if TYPE_CHECKING:
    import torch

    from cosmossl.inference.posterior import FitData, Posterior, SavedPosterior
    from cosmossl.inference.prior import BoxPrior


class Backend(Component, ABC):
    """Fits an amortised posterior q(θ | x) on (parameters θ, summaries x).

    Subclasses implement :meth:`fit_posterior` and :meth:`posterior_from_saved`; callers use
    :meth:`fit` and :meth:`load_posterior`.
    """

    kind: ClassVar[str] = "backend"
    #: The registry name; posteriors record it so :func:`cosmossl.inference.load_posterior`
    #: finds the backend again.
    name: ClassVar[str] = ""

    def fit(
        self,
        train: tuple[torch.Tensor, torch.Tensor],
        val: tuple[torch.Tensor, torch.Tensor],
        prior: BoxPrior,
        *,
        seed: int = 0,
        progress: bool = True,
        device: str = "cpu",
    ) -> Posterior:
        """Fit on ``train = (θ [N, P], x [N, D])``, early-stop on ``val``; returns the posterior.

        The summaries are standardised with statistics of ``train`` only; all torch RNGs are
        seeded with ``seed``. Training history and fit time land in ``posterior.info``.
        """
        import torch

        from cosmossl.inference.posterior import FitData
        from cosmossl.inference.standardize import Standardizer

        device = resolve_device(device)
        tensors = []
        for name, (theta, x) in (("train", train), ("val", val)):
            theta = torch.as_tensor(theta, dtype=torch.float32)
            x = torch.as_tensor(x, dtype=torch.float32)
            if theta.ndim != 2 or x.ndim != 2 or theta.shape[0] != x.shape[0]:
                raise DataError(
                    f"{name}: expected θ [N, P] and x [N, D] with equal N, got "
                    f"{tuple(theta.shape)} and {tuple(x.shape)}"
                )
            if theta.shape[1] != prior.dim:
                raise DataError(
                    f"{name}: θ has {theta.shape[1]} columns, the prior has "
                    f"{prior.dim} parameters {prior.names}"
                )
            if not (torch.isfinite(theta).all() and torch.isfinite(x).all()):
                raise DataError(f"{name}: θ or x contain NaN or inf values")
            if theta.shape[0] < 2:
                raise DataError(f"{name}: need at least 2 rows, got {theta.shape[0]}")
            tensors += [theta, x]
        theta_train, x_train, theta_val, x_val = tensors
        if x_val.shape[1] != x_train.shape[1]:
            raise DataError(
                f"val summaries have {x_val.shape[1]} dimensions, train {x_train.shape[1]}"
            )
        outside = int((~prior.to("cpu").contains(torch.cat([theta_train, theta_val]))).sum())
        if outside:
            raise DataError(f"{outside} parameter rows lie outside the prior box {prior.to_dict()}")
        standardizer = Standardizer.fit(x_train)
        prior = prior.to(device)
        data = FitData(
            theta_train=theta_train.to(device),
            x_train=standardizer(x_train).to(device),
            theta_val=theta_val.to(device),
            x_val=standardizer(x_val).to(device),
            prior=prior,
            x_standardizer=standardizer,
            seed=seed,
            device=device,
            progress=progress,
        )
        torch.manual_seed(seed)
        start = time.perf_counter()
        posterior = self.fit_posterior(data)
        posterior.info.setdefault("fit_seconds", time.perf_counter() - start)
        posterior.info.setdefault("n_train", int(theta_train.shape[0]))
        posterior.info.setdefault("n_val", int(theta_val.shape[0]))
        return posterior

    @abstractmethod
    def fit_posterior(self, data: FitData) -> Posterior:
        """Train on ``data`` (framework split, standardised x, prior, seed) → posterior."""

    @classmethod
    def load_posterior(cls, path: str | Path, device: str = "cpu") -> Posterior:
        """Rebuild a posterior this backend saved with :meth:`Posterior.save`."""
        from cosmossl.inference.posterior import read_posterior

        saved = read_posterior(path, resolve_device(device))
        if cls.name and saved.backend != cls.name:
            raise DataError(f"'{path}' holds a '{saved.backend}' posterior, not '{cls.name}'")
        return cls.posterior_from_saved(saved, device=resolve_device(device))

    @classmethod
    @abstractmethod
    def posterior_from_saved(cls, saved: SavedPosterior, device: str = "cpu") -> Posterior:
        """Rebuild the posterior from its saved weights and config."""


def resolve_device(device: str) -> str:
    """:func:`cosmossl._util.devices.resolve_device` as a string (what sbi and lampe take)."""
    from cosmossl._util.devices import resolve_device as resolve

    return str(resolve(device))

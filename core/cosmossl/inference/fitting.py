"""``fit``: the framework-owned part of fitting a backend, identical for every backend.

Validation of θ and x, the prior-box check, the standardisation of x fitted on training rows
only, the seed and the timing live here, so a backend only implements
:meth:`~cosmossl.Backend.fit_posterior` on the prepared :class:`FitData`.

(The module is not called ``fit.py``: the package facade resolves ``fit`` lazily, and a
submodule of the same name would replace the function by the module once imported.)
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import torch

from cosmossl._util.devices import resolve_device
from cosmossl.data.standardize import Standardizer
from cosmossl.errors import DataError
from cosmossl.inference.posterior import FitData, Posterior
from cosmossl.inference.prior import BoxPrior

if TYPE_CHECKING:
    import numpy as np

    from cosmossl.components.backend import Backend

    Rows = tuple[torch.Tensor | np.ndarray, torch.Tensor | np.ndarray]


def fit(
    backend: Backend,
    train: Rows,
    val: Rows,
    prior: BoxPrior,
    *,
    seed: int = 0,
    progress: bool = True,
    device: str | torch.device = "cpu",
) -> Posterior:
    """Fit ``backend`` on ``train = (θ [N, P], x [N, D])``, early-stop on ``val``.

    θ is in physical units and must lie inside ``prior``; x are raw summaries, standardised
    here with statistics of ``train`` only. All torch RNGs are seeded with ``seed``; ``device``
    may be ``"auto"``. The posterior's ``info`` gets ``fit_seconds``, ``n_train`` and ``n_val``
    (unless the backend set them). Raises :class:`~cosmossl.DataError` on malformed inputs.
    """
    device = str(resolve_device(device))
    theta_train, x_train = _checked("train", train, prior)
    theta_val, x_val = _checked("val", val, prior)
    if x_val.shape[1] != x_train.shape[1]:
        raise DataError(f"val summaries have {x_val.shape[1]} dimensions, train {x_train.shape[1]}")
    outside = int((~prior.to("cpu").contains(torch.cat([theta_train, theta_val]))).sum())
    if outside:
        raise DataError(f"{outside} parameter rows lie outside the prior box {prior.to_dict()}")
    standardizer = Standardizer.fit(x_train)
    data = FitData(
        theta_train=theta_train.to(device),
        x_train=standardizer(x_train).to(device),
        theta_val=theta_val.to(device),
        x_val=standardizer(x_val).to(device),
        prior=prior.to(device),
        x_standardizer=standardizer,
        seed=seed,
        device=device,
        progress=progress,
    )
    torch.manual_seed(seed)
    start = time.perf_counter()
    posterior = backend.fit_posterior(data)
    posterior.info.setdefault("fit_seconds", time.perf_counter() - start)
    posterior.info.setdefault("n_train", int(theta_train.shape[0]))
    posterior.info.setdefault("n_val", int(theta_val.shape[0]))
    return posterior


def _checked(name: str, rows: Rows, prior: BoxPrior) -> tuple[torch.Tensor, torch.Tensor]:
    """``(θ [N, P], x [N, D])`` as float32 tensors, or a :class:`DataError` naming ``name``."""
    theta, x = rows
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
    return theta, x

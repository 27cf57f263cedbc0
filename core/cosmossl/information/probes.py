"""Probes: how much of a quantity can still be read off a set of summaries.

A probe is a small regressor trained to predict a target (e.g. the log of a feedback amplitude)
from summary vectors; its R² on held-out rows measures how much of that target the summaries
keep. A linear probe (ridge regression) sees what is linearly available; a small MLP probe also
sees what is there non-linearly (Alain & Bengio 2016, "Understanding intermediate layers using
linear classifier probes", arXiv:1610.01644). Both report one R² per target column,
R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² over the test rows (ȳ: the test mean), so 0 means "no better
than the mean" and a probe that learnt nothing can score slightly below 0.

Example::

    from cosmossl.information.probes import linear_probe_r2, mlp_probe_r2

    r2 = linear_probe_r2(s_train, np.log(a_train), s_test, np.log(a_test))   # [T]
"""

from __future__ import annotations

import numpy as np

from cosmossl.errors import DataError


def _check(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Arrays as float64, targets as ``[N, T]``; DataError naming what does not fit."""
    arrays = []
    for name, x in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                    ("y_test", y_test)):  # fmt: skip
        a = np.asarray(x, dtype=np.float64)
        if name.startswith("y") and a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise DataError(f"probe: {name} must be a 2D array [N, columns], got shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise DataError(f"probe: {name} contains NaN or inf values")
        arrays.append(a)
    xtr, ytr, xte, yte = arrays
    if len(xtr) != len(ytr) or len(xte) != len(yte):
        raise DataError(
            f"probe: {len(xtr)} training summaries but {len(ytr)} targets, "
            f"{len(xte)} test summaries but {len(yte)} targets"
        )
    if xtr.shape[1] != xte.shape[1] or ytr.shape[1] != yte.shape[1]:
        raise DataError(
            f"probe: train and test columns differ (summaries {xtr.shape[1]} vs {xte.shape[1]}, "
            f"targets {ytr.shape[1]} vs {yte.shape[1]})"
        )
    if len(xtr) < 2 or len(xte) < 2:
        raise DataError(f"probe: needs at least 2 training and 2 test rows, got {len(xtr)}, "
                        f"{len(xte)}")  # fmt: skip
    return xtr, ytr, xte, yte


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """R² ``[T]`` per column of ``[N, T]`` arrays (NaN for a constant target)."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    residual = np.square(y_true - y_pred).sum(axis=0)
    total = np.square(y_true - y_true.mean(axis=0)).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1.0 - residual / total, np.nan)


def _standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Scale by the training mean and std (constant columns keep std 1)."""
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return [(a - mean) / std for a in (train, *others)]


def linear_probe_r2(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    ridge: float = 1e-3,
) -> np.ndarray:
    """Test R² ``[T]`` of a ridge regression from summaries ``[N, D]`` to targets ``[N, T]``.

    Summaries are standardised with the training rows' mean and std, an intercept is fitted
    unpenalised, and ``ridge`` is the L2 penalty per training row (so it does not grow with N).
    ``ridge = 0`` is ordinary least squares (a pseudo-inverse if the summaries are collinear).
    """
    if ridge < 0:
        raise DataError(f"probe: ridge must be ≥ 0, got {ridge}")
    xtr, ytr, xte, yte = _check(x_train, y_train, x_test, y_test)
    xtr, xte = _standardize(xtr, xte)
    y_mean = ytr.mean(axis=0)
    gram = xtr.T @ xtr + ridge * len(xtr) * np.eye(xtr.shape[1])
    weights = np.linalg.pinv(gram) @ xtr.T @ (ytr - y_mean)
    return r2_score(yte, xte @ weights + y_mean)


def mlp_probe_r2(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    hidden: int = 64,
    layers: int = 2,
    val_fraction: float = 0.2,
    groups: np.ndarray | None = None,
    lr: float = 3e-3,
    weight_decay: float = 1e-4,
    batch_size: int = 256,
    max_epochs: int = 300,
    patience: int = 20,
    seed: int = 0,
) -> np.ndarray:
    """Test R² ``[T]`` of a small MLP from summaries ``[N, D]`` to targets ``[N, T]``.

    ``layers`` hidden layers of ``hidden`` SiLU units, trained with AdamW on the mean squared
    error of standardised targets. ``val_fraction`` of the training rows are held out for early
    stopping (stop after ``patience`` epochs without a better validation loss; the best weights
    are kept). Give ``groups`` ``[N_train]`` (e.g. simulation ids) to hold out whole groups,
    so that maps sharing a target value are never on both sides. Deterministic for a ``seed``
    (CPU, float32).
    """
    import torch
    from torch import nn

    if not 0 < val_fraction < 1:
        raise DataError(f"probe: val_fraction must be in (0, 1), got {val_fraction}")
    xtr, ytr, xte, yte = _check(x_train, y_train, x_test, y_test)
    rng = np.random.default_rng(seed)
    fit, val = _validation_split(len(xtr), val_fraction, groups, rng)
    xfit, xval, xte_s = _standardize(xtr[fit], xtr[val], xte)
    yfit, yval = _standardize(ytr[fit], ytr[val])
    y_mean, y_std = ytr[fit].mean(axis=0), np.where(ytr[fit].std(axis=0) > 0,
                                                    ytr[fit].std(axis=0), 1.0)  # fmt: skip

    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        blocks: list[nn.Module] = []
        width = xtr.shape[1]
        for _ in range(layers):
            blocks += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        model = nn.Sequential(*blocks, nn.Linear(width, ytr.shape[1]))
    tensor = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    xf, yf, xv, yv = tensor(xfit), tensor(yfit), tensor(xval), tensor(yval)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    best, best_state, waited = np.inf, None, 0
    for _ in range(max_epochs):
        model.train()
        order = torch.randperm(len(xf), generator=generator)
        for start in range(0, len(xf), batch_size):
            rows = order[start : start + batch_size]
            loss = torch.mean(torch.square(model(xf[rows]) - yf[rows]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = float(torch.mean(torch.square(model(xv) - yv)))
        if val_loss < best:
            best, waited = val_loss, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        prediction = model(tensor(xte_s)).double().numpy() * y_std + y_mean
    return r2_score(yte, prediction)


def _validation_split(
    n: int, fraction: float, groups: np.ndarray | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``(fit, val)`` row indices, holding out whole groups when ``groups`` is given."""
    if groups is None:
        groups = np.arange(n)
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise DataError(f"probe: groups has shape {groups.shape}, expected ({n},)")
    unique = rng.permutation(np.unique(groups))
    n_val = min(max(1, round(fraction * len(unique))), len(unique) - 1)
    if n_val < 1:
        raise DataError("probe: the training rows form a single group; nothing to validate on")
    val = np.isin(groups, unique[:n_val])
    return np.flatnonzero(~val), np.flatnonzero(val)

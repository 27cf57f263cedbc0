"""Posteriors: the common interface every backend returns, and how they are saved.

A saved posterior is a folder with two files, neither of them a pickle:

- ``posterior.json``: format, backend name and parameters, the prior, parameter names,
  training history, and whatever the backend needs to rebuild its network;
- ``weights.safetensors``: the network's ``state_dict`` (keys ``net.*``) and the
  standardisation statistics (``x.mean``, ``x.std``, ...).
"""

from __future__ import annotations

import contextlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from cosmossl._util.files import atomic_path
from cosmossl._util.weights import read_safetensors
from cosmossl.data.standardize import Standardizer
from cosmossl.errors import DataError
from cosmossl.inference.prior import BoxPrior
from cosmossl.inference.truncation import EPSILON, THRESHOLD_SAMPLES, TruncatedPrior, hpd_threshold

FORMAT = "cosmossl-posterior"
VERSION = 1
CONFIG_FILE = "posterior.json"
WEIGHTS_FILE = "weights.safetensors"


@dataclass
class FitData:
    """What a backend receives to fit: the framework's split, standardisation, prior and seed.

    ``x_train`` and ``x_val`` are already standardised with ``x_standardizer`` (fitted on the
    training rows only); ``theta_*`` are in physical units, inside ``prior``.
    """

    theta_train: torch.Tensor
    x_train: torch.Tensor
    theta_val: torch.Tensor
    x_val: torch.Tensor
    prior: BoxPrior
    x_standardizer: Standardizer
    seed: int = 0
    device: str = "cpu"
    progress: bool = True


class Posterior(ABC):
    """An amortised posterior q(θ | x) over the parameters of a :class:`BoxPrior`.

    Inputs ``x`` are raw summaries; the posterior standardises them itself. Names follow sbi:

    - :meth:`sample` draws for ONE observation (``[n, P]``), :meth:`sample_batched` for each
      of ``B`` observations (``[n, B, P]``), like sbi's ``sample`` / ``sample_batched``;
    - :meth:`log_prob_batched` evaluates ``n`` points per observation (``[n, B]``), like sbi's
      ``log_prob_batched``; :meth:`log_prob` evaluates one point per observation, pairwise
      (``theta [B, P]``, ``x [B, D]`` → ``[B]``), unlike sbi's ``log_prob`` (many θ, one x).

    Subclasses implement :meth:`sample_standardized`, :meth:`log_prob_standardized` (and
    :meth:`log_prob_standardized_batched` where cheaper) and :meth:`state`.
    """

    #: Rows per forward pass in :meth:`log_prob` (bounds memory on large test sets).
    chunk: int = 65536

    def __init__(
        self,
        *,
        backend: str,
        params: dict[str, Any],
        prior: BoxPrior,
        x_standardizer: Standardizer,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.backend = backend
        self.params = params
        self.prior = prior
        self.x_standardizer = x_standardizer
        self.info = dict(info or {})

    @property
    def device(self) -> torch.device:
        return self.prior.low.device

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.prior.names

    @abstractmethod
    def sample_standardized(self, x: torch.Tensor, n: int) -> torch.Tensor:
        """``[n, B, P]`` samples in physical units for standardised ``x [B, D]``.

        Uses the global torch RNG; :meth:`sample_batched` seeds it in a forked RNG state.
        """

    @abstractmethod
    def log_prob_standardized(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``[B]`` log q(θ | x) (density in physical θ units) for standardised ``x``."""

    @abstractmethod
    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """``(tensors, config)``: network weights and what is needed to rebuild the network."""

    @torch.no_grad()
    def sample(self, x: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
        """``[n, P]`` posterior samples for one observation ``x [D]`` (or ``[1, D]``).

        Deterministic for a given ``seed``; for several observations use
        :meth:`sample_batched` (the same draws as column 0 of it for ``x[None]``).
        """
        x = torch.as_tensor(x)
        if x.ndim == 1:
            x = x[None]
        if x.ndim == 2 and x.shape[0] != 1:
            raise DataError(
                f"sample takes one observation x [D] or [1, D], got {x.shape[0]} rows "
                f"{tuple(x.shape)}: use sample_batched(x, n) for [n, B, P] samples of each"
            )
        return self.sample_batched(x, n, seed=seed)[:, 0]

    @torch.no_grad()
    def sample_batched(self, x: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
        """``[n, B, P]`` posterior samples for each of the ``B`` observations ``x [B, D]``.

        Deterministic for a given ``seed`` (the global RNG state is restored afterwards).
        """
        x = self._check_x(x)
        with self._seeded(seed):
            return self.sample_standardized(self.x_standardizer(x), int(n))

    def _seeded(self, seed: int) -> contextlib.AbstractContextManager:
        """Seed the global torch RNG inside a forked state (restored on exit)."""

        @contextlib.contextmanager
        def seeded():
            devices = [self.device] if self.device.type == "cuda" else []
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(seed)
                yield

        return seeded()

    @torch.no_grad()
    def log_prob(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``[B]`` log q(θ_b | x_b) for ``theta [B, P]``, ``x [B, D]`` (-inf outside the prior)."""
        x = self._check_x(x)
        theta = torch.as_tensor(theta, dtype=torch.float32, device=self.device)
        if theta.shape != (x.shape[0], self.prior.dim):
            raise DataError(
                f"log_prob: theta has shape {tuple(theta.shape)}, expected "
                f"({x.shape[0]}, {self.prior.dim})"
            )
        xs = self.x_standardizer(x)
        out = []
        # Seeded: some estimators use Monte Carlo inside log_prob (e.g. leakage correction).
        with self._seeded(0):
            for start in range(0, x.shape[0], self.chunk):
                sl = slice(start, start + self.chunk)
                lp = self.log_prob_standardized(theta[sl], xs[sl])
                out.append(torch.where(self.prior.contains(theta[sl]), lp, -torch.inf))
        return torch.cat(out) if out else torch.zeros(0, device=self.device)

    def log_prob_standardized_batched(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``[n, B]`` log q(θ[i, b] | x[b]) for ``theta [n, B, P]``; override when cheaper."""
        n, b = theta.shape[:2]
        flat = self.log_prob_standardized(theta.reshape(n * b, -1), x.repeat(n, 1))
        return flat.reshape(n, b)

    @torch.no_grad()
    def log_prob_batched(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``[n, B]`` log q(θ[i, b] | x[b]) for ``theta [n, B, P]``, ``x [B, D]``.

        sbi's ``log_prob_batched`` (``(*sample_shape, B, P)`` with ``x (B, D)`` → ``(n, B)``,
        normalised, -inf outside the prior); here ``theta`` always has the leading ``n``.
        """
        x = self._check_x(x)
        theta = torch.as_tensor(theta, dtype=torch.float32, device=self.device)
        xs = self.x_standardizer(x)
        rows = max(1, self.chunk // max(theta.shape[0], 1))
        out = []
        with self._seeded(0):
            for start in range(0, x.shape[0], rows):
                sl = slice(start, start + rows)
                lp = self.log_prob_standardized_batched(theta[:, sl], xs[sl])
                out.append(torch.where(self.prior.contains(theta[:, sl]), lp, -torch.inf))
        return torch.cat(out, dim=1)

    @torch.no_grad()
    def truncated_prior(
        self,
        x: torch.Tensor,
        epsilon: float = EPSILON,
        *,
        samples: int = THRESHOLD_SAMPLES,
        seed: int = 0,
    ) -> TruncatedPrior:
        """The prior truncated to this posterior's 1 − ``epsilon`` highest-probability region
        for one observation ``x [D]`` (or ``[1, D]``): TSNPE's proposal (Deistler et al. 2022,
        arXiv:2210.04815; see :mod:`cosmossl.inference.truncation`).

        The threshold τ is the ``epsilon``-quantile of log q(θ | x) over ``samples`` of the
        posterior's own samples; a point is in the region where log q(θ | x) > τ. Deterministic
        for a ``seed``.
        """
        if not 0.0 < epsilon < 1.0:
            raise DataError(f"truncation: epsilon must be in (0, 1), got {epsilon}")
        x = self._one_observation(x, "truncated_prior")
        return self.truncate(x, float(epsilon), int(samples), int(seed))

    def truncate(self, x: torch.Tensor, epsilon: float, samples: int, seed: int) -> TruncatedPrior:
        """:meth:`truncated_prior` for a checked ``x [1, D]`` (raw summaries); backends whose
        library has this machinery override it (the ``sbi`` backend does)."""
        theta = self.sample_batched(x, samples, seed=seed)  # [n, 1, P]
        threshold = hpd_threshold(self.log_prob_batched(theta, x)[:, 0], epsilon)

        def accept(points: torch.Tensor) -> torch.Tensor:
            # log_prob_batched seeds any Monte Carlo inside it: one normalisation for every call.
            return self.log_prob_batched(points[:, None], x)[:, 0] > threshold

        return TruncatedPrior(self.prior, accept, epsilon=epsilon, threshold=threshold)

    def _one_observation(self, x: torch.Tensor, what: str) -> torch.Tensor:
        """``x [D]`` or ``[1, D]`` as ``[1, D]`` on the device, or a :class:`DataError`."""
        x = torch.as_tensor(x)
        x = self._check_x(x[None] if x.ndim == 1 else x)
        if x.shape[0] != 1:
            raise DataError(
                f"{what} takes one observation x [D] or [1, D], got {x.shape[0]} rows "
                f"{tuple(x.shape)}"
            )
        return x

    def _check_x(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(x, dtype=torch.float32, device=self.device)
        if x.ndim != 2 or x.shape[1] != self.x_standardizer.dim:
            raise DataError(
                f"expected summaries x of shape [B, {self.x_standardizer.dim}], got "
                f"{tuple(x.shape)}"
            )
        return x

    def save(self, path: str | Path) -> Path:
        """Write ``posterior.json`` and ``weights.safetensors`` into the folder ``path``."""
        from safetensors.torch import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors, config = self.state()
        all_tensors = {f"net.{k}": v.detach().cpu().contiguous() for k, v in tensors.items()}
        all_tensors.update(self.x_standardizer.tensors("x."))
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "backend": self.backend,
            "params": self.params,
            "prior": self.prior.to_dict(),
            "x_dim": self.x_standardizer.dim,
            "config": config,
            "info": self.info,
        }
        text = json.dumps(meta, indent=2, default=_jsonable)
        # Both files are written in full before either replaces its old version: a failure
        # (a full disk) leaves the previous pair, never new weights with an old description.
        with atomic_path(path / CONFIG_FILE) as cfg:
            cfg.write_text(text, encoding="utf-8")
            with atomic_path(path / WEIGHTS_FILE) as weights:
                save_file(all_tensors, str(weights))
        return path


@dataclass
class SavedPosterior:
    """The parts of a saved posterior, read back (see :func:`read_posterior`)."""

    backend: str
    params: dict[str, Any]
    prior: BoxPrior
    x_standardizer: Standardizer
    tensors: dict[str, torch.Tensor]
    config: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)


def read_posterior(path: str | Path, device: str = "cpu") -> SavedPosterior:
    """Read a folder written by :meth:`Posterior.save` (weights stay on ``device``); a damaged
    or foreign file is a :class:`~cosmossl.DataError` naming it."""
    path = Path(path)
    config_file, weights_file = path / CONFIG_FILE, path / WEIGHTS_FILE
    if not config_file.is_file() or not weights_file.is_file():
        raise DataError(
            f"'{path}' is not a saved posterior: expected {CONFIG_FILE} and {WEIGHTS_FILE} in it"
        )
    try:
        meta = json.loads(config_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataError(f"'{config_file}': not valid JSON: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        meta = meta if isinstance(meta, dict) else {}
        raise DataError(
            f"'{config_file}': not a cosmossl posterior (format {meta.get('format')!r})"
        )
    if int(meta.get("version", -1)) > VERSION:
        raise DataError(
            f"'{config_file}': posterior format version {meta['version']} is newer "
            f"than this cosmossl reads ({VERSION}): upgrade cosmossl"
        )
    tensors, _ = read_safetensors(weights_file, f"saved posterior '{path}'")
    net = {k[4:]: v.to(device) for k, v in tensors.items() if k.startswith("net.")}
    try:
        return SavedPosterior(
            backend=meta["backend"],
            params=meta["params"],
            prior=BoxPrior.from_dict(meta["prior"], device),
            x_standardizer=Standardizer.from_tensors(tensors, "x."),
            tensors=net,
            config=meta["config"],
            info=meta.get("info", {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(
            f"'{config_file}' is not a complete saved posterior ({type(exc).__name__}: {exc}); "
            "it is damaged or was not written by cosmossl"
        ) from None


def load_posterior(
    path: str | Path,
    device: str = "cpu",
    registry: Any = None,
    *,
    backend: str | None = None,
) -> Posterior:
    """Load a folder written by :meth:`Posterior.save`; its backend (found in ``registry``,
    default the global one) rebuilds it on ``device`` (``"auto"`` allowed).

    With ``backend``, a posterior saved by another backend is refused with a
    :class:`~cosmossl.DataError`.
    """
    from cosmossl._util.devices import resolve_device
    from cosmossl.plugin.host import registry as default_registry

    device = str(resolve_device(device))
    saved = read_posterior(path, device)
    if backend is not None and saved.backend != backend:
        raise DataError(f"'{path}' holds a '{saved.backend}' posterior, not '{backend}'")
    cls = (registry or default_registry()).load("backend", saved.backend)
    return cls.posterior_from_saved(saved, device=device)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)

"""Nuisance hardening: a summary made insensitive to nuisance parameters at first order.

Alsing & Wandelt (2019, MNRAS, arXiv:1903.01473), "Nuisance hardened data compression
for fast likelihood-free inference". Any summary s ``[D]`` (a statistic, a learned summary) is
first compressed to the score of a Gaussian model of itself at the fiducial point (θ_fid, η_fid),
for the parameters θ ``[P]`` and the nuisance parameters η ``[Q]`` together,

    t = μ'ᵀ C⁻¹ (s − μ),      F = μ'ᵀ C⁻¹ μ'        (μ' = ∂μ/∂(θ, η), C the covariance of s),

and the score of θ is then projected off the nuisance directions:

    t̃_θ = t_θ − F_θη F_ηη⁻¹ t_η.

The mean of t̃_θ does not move when η moves (∂t̃_θ/∂η = F_θη − F_θη F_ηη⁻¹ F_ηη = 0) and its
Fisher matrix is F_θθ − F_θη F_ηη⁻¹ F_ηθ, the marginal one (:func:`~cosmossl.information.fisher.
marginal_fisher`): hardening costs no information beyond what marginalising η costs at first
order. :class:`NuisanceHardening` returns t̃ in parameter units, the hardened quasi-maximum-
likelihood estimate θ̂ = θ_fid + F_marg⁻¹ t̃_θ, which equals the θ block of the full estimate
(θ, η)_fid + F⁻¹ t (block inversion); a posterior fitted on θ̂ is as good as one on t̃.

μ, C and μ' come from simulations at the fiducial point (:func:`simulate_with_nuisance`: the
project's Fisher simulations of :mod:`cosmossl.information.fisher`, with derivatives in η too).
The projection uses the plug-in F of those same mean derivatives, so the fitted summary's
estimated response to η is exactly zero; its true response is zero up to the noise of the
derivatives. The first-order guarantee holds near the fiducial point; far from it (a strongly
shifted nuisance) a second-order response remains, which is why robustness is measured, not
assumed (``benchmarks/baryons.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cosmossl._util.suggest import did_you_mean
from cosmossl.components.dataset import NuisanceSimulator
from cosmossl.errors import ConfigError, DataError
from cosmossl.information import fisher

#: Separates the hardening simulations' seeds from every other stream of the run seed.
HARDENING_STREAM = 0x4A2D


#: Nuisance directions whose whitened length (square root of a Fisher eigenvalue) is below this
#: fraction of the longest are taken as absent: proportional nuisance effects are removed once.
RANK_TOLERANCE = 1e-5


@dataclass(frozen=True)
class NuisanceHardening:
    """A fitted hardening: ``θ̂ = fiducial + weights (s − mean)``, insensitive to the nuisance.

    Attributes:
        param_names: the P parameters of the output.
        nuisance_names: the Q nuisance parameters it is hardened against.
        fiducial: θ_fid ``[P]``; the output is an estimate of θ in its units.
        mean: μ ``[D]``, the mean summary at the fiducial point.
        weights: ``[P, D]`` = F_marg⁻¹ (μ'_θ − F_θη F_ηη⁻¹ μ'_η) C⁻¹ (with anchors: μ'_θ
            projected off every nuisance direction, see :meth:`from_moments`).
        fisher: the Gaussian-model Fisher matrix ``[P + Q, P + Q]`` of the summary at the
            fiducial point (plug-in: biased high by the noise of the derivatives), θ first.
        marginal: ``[P, P]``, the Fisher matrix of the hardened summary (of the same model):
            F_θθ − F_θη F_ηη⁻¹ F_ηθ without anchors.
        rank: the number of nuisance directions projected out.
    """

    param_names: tuple[str, ...]
    nuisance_names: tuple[str, ...]
    fiducial: np.ndarray
    mean: np.ndarray
    weights: np.ndarray
    fisher: np.ndarray
    marginal: np.ndarray
    rank: int

    @classmethod
    def from_moments(
        cls,
        mean: np.ndarray,
        precision: np.ndarray,
        derivatives: np.ndarray,
        fiducial: np.ndarray,
        param_names: Sequence[str],
        nuisance_names: Sequence[str],
    ) -> NuisanceHardening:
        """The hardening of a summary with mean ``mean`` ``[D]``, inverse covariance
        ``precision`` ``[D, D]`` and mean derivatives ``derivatives`` ``[P + Q + K, D]``: θ
        first, then the Q nuisance parameters at the fiducial point, then any K further
        nuisance directions (derivatives at other points of the nuisance prior, "anchors").

        In the whitened space of the summary (C⁻¹ = L Lᵀ; a ↦ a L) the θ score directions are
        projected off the span of the nuisance directions (an SVD; directions shorter than
        :data:`RANK_TOLERANCE` of the longest are dropped). With the Q fiducial directions
        alone this is Alsing & Wandelt's t̃_θ = t_θ − F_θη F_ηη⁻¹ t_η exactly.
        """
        mu = np.asarray(mean, dtype=np.float64)
        prec = np.asarray(precision, dtype=np.float64)
        dmu = np.atleast_2d(np.asarray(derivatives, dtype=np.float64))
        p, q = len(param_names), len(nuisance_names)
        if dmu.shape[0] < p + q or dmu.shape[1] != mu.size or prec.shape != (mu.size, mu.size):
            raise DataError(
                f"nuisance hardening: shapes mean {mu.shape}, precision {prec.shape}, "
                f"derivatives {dmu.shape} do not match P = {p} parameters, Q = {q} nuisance "
                "parameters ([D], [D, D], [P + Q (+ K), D])"
            )
        f = dmu[: p + q] @ prec @ dmu[: p + q].T
        root = np.linalg.cholesky(0.5 * (prec + prec.T))
        scores, nuisance = dmu[:p] @ root, dmu[p:] @ root
        rank = 0
        if len(nuisance):
            _, lengths, directions = np.linalg.svd(nuisance, full_matrices=False)
            basis = directions[lengths > RANK_TOLERANCE * lengths[0]]
            rank = len(basis)
            scores = scores - (scores @ basis.T) @ basis
        marginal = scores @ scores.T
        scale = np.linalg.eigvalsh(f[:p, :p])[-1]
        if np.linalg.eigvalsh(marginal)[0] <= fisher.DEGENERATE * scale:
            raise DataError(
                f"nuisance hardening: projecting the summary off {', '.join(nuisance_names)} "
                f"({rank} directions) leaves no information on {', '.join(param_names)}: the "
                "summary responds to them only as the nuisance does"
            )
        weights = np.linalg.solve(marginal, scores @ root.T)
        return cls(tuple(param_names), tuple(nuisance_names),
                   np.asarray(fiducial, dtype=np.float64), mu, weights, 0.5 * (f + f.T),
                   0.5 * (marginal + marginal.T), rank)  # fmt: skip

    @property
    def marginal_fisher(self) -> np.ndarray:
        """``[P, P]``: the Fisher matrix of the hardened summary (Gaussian model, plug-in)."""
        return self.marginal

    @property
    def summary_dim(self) -> int:
        """D, the dimension of the summary it takes."""
        return int(self.mean.size)

    def __call__(self, summaries: np.ndarray) -> np.ndarray:
        """Hardened summaries ``[N, P]`` (estimates of θ) of summaries ``[N, D]``."""
        s = np.asarray(summaries, dtype=np.float64)
        if s.ndim != 2 or s.shape[1] != self.summary_dim:
            raise DataError(
                f"nuisance hardening: it was fitted on {self.summary_dim}-dimensional summaries, "
                f"got an array of shape {s.shape}"
            )
        return self.fiducial + (s - self.mean) @ self.weights.T

    def derivatives(self, derivatives: np.ndarray) -> np.ndarray:
        """Derivatives ``[K, m, D]`` of the summary → those of the hardened one ``[K, m, P]``
        (the map is linear)."""
        return np.asarray(derivatives, dtype=np.float64) @ self.weights.T

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (:meth:`from_dict` reads it back)."""
        return {
            "method": "nuisance hardening (Alsing & Wandelt 2019, arXiv:1903.01473)",
            "param_names": list(self.param_names),
            "nuisance_names": list(self.nuisance_names),
            "fiducial": self.fiducial.tolist(),
            "mean": self.mean.tolist(),
            "weights": self.weights.tolist(),
            "fisher": self.fisher.tolist(),
            "marginal": self.marginal.tolist(),
            "rank": self.rank,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NuisanceHardening:
        try:
            return cls(
                tuple(data["param_names"]),
                tuple(data["nuisance_names"]),
                np.asarray(data["fiducial"], dtype=np.float64),
                np.asarray(data["mean"], dtype=np.float64),
                np.asarray(data["weights"], dtype=np.float64),
                np.asarray(data["fisher"], dtype=np.float64),
                # Files written before anchors existed: the plain hardening's marginal matrix.
                np.asarray(data["marginal"], dtype=np.float64)
                if "marginal" in data
                else fisher.marginal_fisher(data["fisher"], len(data["param_names"])),
                int(data.get("rank", len(data["nuisance_names"]))),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"nuisance hardening: not a saved hardening ({exc!r})") from None


def fit_hardening(
    summaries_fid: np.ndarray,
    derivatives: np.ndarray,
    fiducial: np.ndarray,
    param_names: Sequence[str],
    nuisance_names: Sequence[str],
) -> NuisanceHardening:
    """The hardening of a summary from simulations: ``summaries_fid`` ``[n, D]`` at the
    fiducial point and per-simulation derivatives ``[P + Q (+ K), m, D]`` in θ, then η, then
    η at any anchors (:func:`simulate_with_nuisance`). C⁻¹ carries the Hartlap factor (which
    cancels in the weights)."""
    fid, derivs = fisher.checked_simulations(summaries_fid, derivatives, "nuisance hardening")
    precision = fisher.hartlap_precision(fid)
    return NuisanceHardening.from_moments(
        fid.mean(axis=0), precision, derivs.mean(axis=1), fiducial, param_names, nuisance_names
    )


def nuisance_indices(simulator: Any, nuisance: Sequence[str]) -> list[int]:
    """Positions of ``nuisance`` among the simulator's nuisance parameters; a clear error for a
    simulator without them or for an unknown name."""
    names = tuple(getattr(simulator, "nuisance_names", ()) or ())
    if not isinstance(simulator, NuisanceSimulator) or not names:
        raise ConfigError(
            f"nuisance hardening needs a simulator with nuisance parameters that can be set; "
            f"'{type(simulator).__name__}' has none (for the built-in lognormal simulator: "
            "feedback = true)"
        )
    out = []
    for name in nuisance:
        if name not in names:
            raise ConfigError(
                f"nuisance hardening: '{name}' is not a nuisance parameter of the simulator."
                f"{did_you_mean(name, names)} Its nuisance parameters: {', '.join(names)}."
            )
        out.append(names.index(name))
    if len(set(out)) != len(out):
        raise ConfigError(f"nuisance hardening: a nuisance parameter is named twice: {nuisance}")
    return out


def simulate_with_nuisance(
    simulator: Any,
    summarize: Callable[[np.ndarray], np.ndarray],
    nuisance: Sequence[str],
    *,
    n_fiducial: int = 1000,
    n_derivative: int = 500,
    step: float = 0.005,
    nuisance_step: float = 0.05,
    seed: int = 0,
    stencil: int = 5,
    anchors: Sequence[Sequence[float]] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fiducial summaries ``[n, D]``, derivatives ``[P + Q, m, D]`` in θ and in the named
    nuisance parameters, and the steps ``[P + Q]``, from seed-matched simulations at the
    simulator's fiducial point (:func:`cosmossl.information.fisher.simulate_summaries`).

    Steps are relative to the fiducial values: ``step`` for θ, ``nuisance_step`` for η (a
    nuisance parameter whose fiducial value is 0 is refused: give it another parametrisation).
    Feed the result to :func:`fit_hardening` or, for the Fisher matrix of (θ, η), to
    :func:`cosmossl.information.fisher.estimate_fisher`.

    ``anchors`` ``[J, Q]``: other values of the named nuisance parameters (θ at its fiducial);
    the derivatives in η there follow, ``[P + Q + J·Q, m, D]`` in all. Hardening against them
    too removes the nuisance directions of a summary that responds to η non-linearly.
    """
    free = nuisance_indices(simulator, nuisance)
    theta = np.asarray(simulator.fiducial, dtype=np.float64)
    eta = np.asarray(simulator.nuisance_fiducial, dtype=np.float64)
    if np.any(eta[free] == 0):
        zero = [n for n, i in zip(nuisance, free, strict=True) if eta[i] == 0]
        raise ConfigError(
            f"nuisance hardening: the fiducial value of {', '.join(zero)} is 0, so a step "
            "relative to it is 0"
        )
    point = np.concatenate([theta, eta[free]])
    delta = np.concatenate([step * np.abs(theta), nuisance_step * np.abs(eta[free])])
    simulate = fisher.with_nuisance(simulator.simulate, len(theta), eta, free)
    fid, derivatives = fisher.simulate_summaries(
        simulate, summarize, point, delta, n_fiducial=n_fiducial, n_derivative=n_derivative,
        seed=seed, stencil=stencil,
    )  # fmt: skip
    parts = [derivatives]
    nuisance_rows = range(len(theta), len(point))
    for anchor in np.atleast_2d(np.asarray(anchors, dtype=np.float64)) if len(anchors) else []:
        if anchor.shape != (len(free),) or np.any(anchor == 0):
            raise ConfigError(
                f"nuisance hardening: an anchor gives a non-zero value to each of "
                f"{', '.join(nuisance)}; got {anchor.tolist()}"
            )
        at = np.concatenate([theta, anchor])
        steps = np.concatenate([delta[: len(theta)], nuisance_step * np.abs(anchor)])
        parts.append(fisher.simulate_derivatives(
            simulate, summarize, at, steps, n_derivative=n_derivative, seed=seed,
            stencil=stencil, which=nuisance_rows,
        ))  # fmt: skip
    return fid, np.concatenate(parts), delta

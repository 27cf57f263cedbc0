"""The Gaussian Fisher information of a summary from simulations, differentiable (torch).

The one implementation of the estimator's maths: the information check of trained summaries
(:func:`cosmossl.information.fisher.estimate_fisher`, numpy in and out) and the losses that
maximise a summary's information (``imnn``) both call :func:`gaussian_fisher`.

With fiducial summaries t⁽ʲ⁾ ``[n, D]`` and per-simulation derivative estimates d_a⁽ⁱ⁾
``[P, m, D]`` (seed-matched finite differences, see :data:`STENCILS`):

- Ĉ the sample covariance of the t⁽ʲ⁾, m̂_a the mean of the d_a⁽ⁱ⁾;
- F̂_ab = m̂_aᵀ (s Ĉ⁻¹) m̂_b, with s a scale of the precision (the Hartlap factor makes Ĉ⁻¹
  unbiased; a loss that only needs gradients of log det F leaves it at 1);
- the noise bias B̂_ab = tr(s Ĉ⁻¹ Ĉov(d_a, d_b))/m that F̂ carries from the scatter of the
  derivatives (Coulton & Wandelt 2023, arXiv:2305.08994).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

#: Finite-difference stencils: {points: ((multiple k of δ, weight w), ...)}; the derivative of a
#: summary t is Σ w t(θ + k δ e_a) / δ. 3 points: central difference, error O(δ²); 5 points:
#: error O(δ⁴).
STENCILS: dict[int, tuple[tuple[int, float], ...]] = {
    3: ((1, 0.5), (-1, -0.5)),
    5: ((1, 8 / 12), (-1, -8 / 12), (2, -1 / 12), (-2, 1 / 12)),
}


class FisherTerms(NamedTuple):
    """What :func:`gaussian_fisher` computes, each a tensor with its graph.

    Attributes:
        fisher: F̂ ``[P, P]``, the plug-in estimate m̂ᵀ (s Ĉ⁻¹) m̂.
        noise_bias: B̂ ``[P, P]``; ``fisher − noise_bias`` is the debiased estimate.
        covariance: Ĉ ``[D, D]`` of the fiducial summaries (unbiased, n − 1).
        precision: s Ĉ⁻¹ ``[D, D]``.
        mean_derivative: m̂ ``[P, D]``, ∂μ/∂θ_a of the summaries' mean.
    """

    fisher: torch.Tensor
    noise_bias: torch.Tensor
    covariance: torch.Tensor
    precision: torch.Tensor
    mean_derivative: torch.Tensor


def gaussian_fisher(
    summaries_fid: torch.Tensor, derivatives: torch.Tensor, *, precision_scale: float = 1.0
) -> FisherTerms:
    """Fisher matrix of a summary with a parameter-independent Gaussian likelihood.

    ``summaries_fid`` ``[n, D]`` at the fiducial point (n ≥ 2); ``derivatives`` ``[P, m, D]``,
    the per-simulation derivative estimates (m ≥ 2), independent of the fiducial simulations.
    ``precision_scale`` multiplies Ĉ⁻¹ (the Hartlap factor (n − D − 2)/(n − 1) for an
    unbiased precision). Differentiable in both inputs; the caller chooses the dtype (float64
    for a check, the training precision for a loss).
    """
    if summaries_fid.ndim != 2 or derivatives.ndim != 3:
        raise ValueError(
            f"Fisher: summaries_fid must be [n, D] and derivatives [P, m, D], got "
            f"{tuple(summaries_fid.shape)} and {tuple(derivatives.shape)}"
        )
    n, dim = summaries_fid.shape
    m = derivatives.shape[1]
    if derivatives.shape[2] != dim or n < 2 or m < 2:
        raise ValueError(
            f"Fisher: need n ≥ 2 fiducial and m ≥ 2 derivative simulations of one summary size, "
            f"got summaries_fid {tuple(summaries_fid.shape)}, derivatives "
            f"{tuple(derivatives.shape)}"
        )
    centred = summaries_fid - summaries_fid.mean(dim=0)
    covariance = centred.T @ centred / (n - 1)
    precision = precision_scale * torch.linalg.inv(covariance)
    mean_derivative = derivatives.mean(dim=1)  # [P, D]
    fisher = mean_derivative @ precision @ mean_derivative.T
    residuals = derivatives - mean_derivative[:, None, :]
    # tr(C⁻¹ Ĉov(d_a, d_b)) = Σ_i r_a⁽ⁱ⁾ᵀ C⁻¹ r_b⁽ⁱ⁾/(m − 1), residuals r.
    bias = torch.einsum("aid,de,bie->ab", residuals, precision, residuals) / ((m - 1) * m)
    bias = 0.5 * (bias + bias.T)
    return FisherTerms(fisher, bias, covariance, precision, mean_derivative)


def stencil_derivatives(
    summaries: torch.Tensor, delta: torch.Tensor, stencil: int = 3
) -> torch.Tensor:
    """Per-simulation derivatives ``[P, m, D]`` from seed-matched summaries at shifted points.

    ``summaries`` ``[P, S, m, D]``: parameter a, stencil point s (in the order of
    ``STENCILS[stencil]``), simulation i (its seed shared over a and s); ``delta`` ``[P]`` the
    steps δ_a. d_a⁽ⁱ⁾ = Σ_s w_s t_{a,s}⁽ⁱ⁾ / δ_a.
    """
    points = STENCILS.get(stencil)
    if points is None:
        raise ValueError(f"stencil must be one of {sorted(STENCILS)}, got {stencil}")
    if summaries.ndim != 4 or summaries.shape[1] != len(points):
        raise ValueError(
            f"a {stencil}-point stencil needs summaries [P, {len(points)}, m, D], got "
            f"{tuple(summaries.shape)}"
        )
    weights = torch.tensor([w for _, w in points], dtype=summaries.dtype, device=summaries.device)
    combined = torch.einsum("s,asid->aid", weights, summaries)
    return combined / delta.to(summaries.dtype)[:, None, None]

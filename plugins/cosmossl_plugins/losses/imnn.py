"""IMNN: information-maximising neural networks (Charnock, Lavaux & Wandelt 2018,
arXiv:1802.03537); see :class:`IMNN`."""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import Field, model_validator
from torch import nn

from cosmossl import FiducialBatch, FiducialSimulations, Loss, LossOutput, Params, TrainingData
from cosmossl.nn import full_precision, gather_with_grad, gaussian_fisher


def coupling_rate(coupling: float, closeness: float) -> float:
    """α of the coupling r(Λ₂) from λ (``coupling``) and ε (``closeness``):
    α = −ln(ε(λ − 1) + ε²/(1 + ε)) / ε."""
    inner = closeness * (coupling - 1.0) + closeness**2 / (1.0 + closeness)
    if not 0.0 < inner < 1.0:
        raise ValueError(
            f"IMNN coupling λ = {coupling:g} and closeness ε = {closeness:g} give no positive "
            f"rate α (ε(λ − 1) + ε²/(1 + ε) = {inner:.3g} must lie in (0, 1)): lower λ or ε"
        )
    return -math.log(inner) / closeness


def covariance_regulariser(covariance: torch.Tensor, precision: torch.Tensor) -> torch.Tensor:
    """Λ₂ = ‖C − I‖_F + ‖C⁻¹ − I‖_F."""
    identity = torch.eye(covariance.shape[0], dtype=covariance.dtype, device=covariance.device)
    return torch.linalg.matrix_norm(covariance - identity) + torch.linalg.matrix_norm(
        precision - identity
    )


@full_precision
def imnn_loss(
    summaries_fid: torch.Tensor,
    derivatives: torch.Tensor,
    coupling: float = 10.0,
    closeness: float = 0.1,
    fixed_dim: int = 0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Λ = −ln det F + r(Λ₂) Λ₂ of fiducial summaries ``[n, D]`` and derivatives ``[P, m, D]``.

    ``fixed_dim``: the summary's first numbers that no parameter changes (a hybrid's
    statistic); Λ₂ is taken over the others. Returns the loss and its terms ``log_det_fisher``,
    ``covariance_distance`` (Λ₂) and ``coupling`` (r).
    """
    terms = gaussian_fisher(summaries_fid, derivatives)
    log_det = torch.linalg.slogdet(terms.fisher).logabsdet
    if fixed_dim:
        learned = summaries_fid[:, fixed_dim:]
        centred = learned - learned.mean(dim=0)
        covariance = centred.T @ centred / (learned.shape[0] - 1)
        regulariser = covariance_regulariser(covariance, torch.linalg.inv(covariance))
    else:
        regulariser = covariance_regulariser(terms.covariance, terms.precision)
    alpha = coupling_rate(coupling, closeness)
    strength = coupling * regulariser / (regulariser + torch.exp(-alpha * regulariser))
    loss = -log_det + strength * regulariser
    out = {"log_det_fisher": log_det, "covariance_distance": regulariser, "coupling": strength}
    return loss, {name: value.detach() for name, value in out.items()}


class IMNN(Loss):
    """IMNN: maximises the Fisher information of the summary at the simulator's fiducial point.

    Charnock, Lavaux & Wandelt (2018), "Automatic physical inference with information maximising
    neural networks", Phys. Rev. D 97, 083004, arXiv:1802.03537. At every step the network
    summarises n fiducial simulations at θ_fid and, for m seeds, seed-matched simulations at
    θ_fid ± δ_a (one pair per parameter a); with the covariance C of the fiducial summaries and the
    mean derivative ∂μ/∂θ_a of the summaries from the finite differences, the Gaussian Fisher matrix
    F = (∂μ/∂θ)ᵀ C⁻¹ (∂μ/∂θ) of the summary is maximised through

        Λ = −ln det F + r(Λ₂) Λ₂,   Λ₂ = ‖C − I‖_F + ‖C⁻¹ − I‖_F,
        r(Λ₂) = λ Λ₂ / (Λ₂ + exp(−α Λ₂)),   α = −ln(ε(λ − 1) + ε²/(1 + ε)) / ε.

    Any invertible linear map of a summary keeps its Fisher information, so −ln det F alone does not
    fix the summary's scale; Λ₂ pulls the covariance (and its inverse) to the identity, which also
    keeps it close to parameter-independent, as the Gaussian Fisher matrix assumes. The coupling
    r(Λ₂) switches the regulariser off smoothly once the covariance is close to the identity
    (r → 0 as Λ₂ → 0, r → λ when far), so the optimisation is not a compromise between the two
    terms; ε says how close counts as close. These are the paper's regulariser and coupling in the
    form of its authors' reference code (the ``imnn`` package: Frobenius norms, not squared;
    defaults λ = 10, ε = 0.1 as in its examples).

    Conventions where implementations differ:

    - the raw plug-in Fisher matrix (no Hartlap factor, which only shifts ln det F by a constant,
      and no noise-bias subtraction), as the paper;
    - θ and δ in the units the loss sees θ: standardised per parameter with the training split's
      mean and standard deviation, so ln det F is on a scale that does not depend on the parameters'
      units (again only a constant);
    - the derivative from a 3-point stencil (θ ± δ, δ = ``step``·|θ_fid|) by default, or 5 points;
    - the IMNN's summaries are the encoder's D outputs (``compression = "none"``, the default:
      the paper's n_summaries is the network's output size). ``compression = "linear"`` instead
      maximises the Fisher matrix of a learned linear map of them to P numbers (n_summaries =
      n_params, the usual IMNN choice; for a Gaussian summary the best such map, the score
      compression W = (∂μ/∂θ)ᵀ C⁻¹, keeps all of its information, and a P×P covariance is
      estimated far better from n maps than a D×D one, whose sampling noise alone keeps Λ₂ near
      3 at D = 16, n = 128, where the coupling does not switch off). Measured on the quickstart
      (32², 16-number summary, 128 + 4·32 maps per step): 150 steps kept 0.59 of the Fisher limit
      with ``"none"``, 0.42 with ``"linear"``; on 16² maps 0.57 against 0.35. With ``"none"`` the
      regulariser, always on, also decorrelates the D numbers and keeps them from collapsing onto
      a few directions, which the P projections of ``"linear"`` do not ask of them;
    - with a hybrid encoder (a statistic followed by learned numbers, ``encoder.statistic_dim`` > 0)
      and ``compression = "none"``, the regulariser acts on the learned numbers' covariance only:
      the statistic's cannot move. Either way F is the whole summary's, so the learned numbers
      are trained to add information to the statistic (the information update of Makinen et al.
      2024, arXiv:2407.18909).

    The simulations come from the dataset at every step (``training_data`` declares them; fresh
    seeds each step, so the network cannot overfit a training set, the IMNN's known weakness); the
    views of the training maps are not used, and a dataset that cannot simulate (stored maps) is
    refused before any work. The information is maximised at θ_fid only: the information check
    measures it there, the posterior's test NLL and coverage over the whole prior.

    Under DDP every process simulates its share of the n and m simulations and the covariance
    and mean derivative are taken over all of them (``gather_with_grad``), so the loss and
    gradients equal one process's.
    """

    class Params(Params):
        n_fiducial: int = Field(
            128,
            ge=4,
            description="Simulations at θ_fid per step (all processes), for the covariance of "
            "the IMNN's summaries (the summary's D numbers, or P with compression = 'linear'): "
            "well above D.",
        )
        n_derivative: int = Field(
            32, ge=2, description="Seeds per step for the derivatives (each: 2·P or 4·P maps)."
        )
        step: float = Field(
            0.02,
            gt=0,
            lt=0.5,
            description="Finite-difference step δ relative to |θ_fid| (in training; the "
            "information check has its own [fisher] step).",
        )
        stencil: Literal[3, 5] = Field(3, description="3: θ ± δ; 5: θ ± δ and θ ± 2δ.")
        coupling: float = Field(10.0, gt=1, description="λ: strength of the regulariser.")
        closeness: float = Field(
            0.1, gt=0, lt=1, description="ε: how close to the identity the covariance must be."
        )
        compression: Literal["none", "linear"] = Field(
            "none",
            description="The IMNN's summaries: 'none', the summary itself (as the paper, whose "
            "summaries are the network's outputs); 'linear', a learned linear map of it to P "
            "numbers (n_summaries = n_params; the best such map keeps all the Fisher "
            "information of a Gaussian summary, and its P×P covariance is better estimated).",
        )

        @model_validator(mode="after")
        def _rate(self):
            coupling_rate(self.coupling, self.closeness)
            return self

    @classmethod
    def training_data(cls, params: Params) -> TrainingData:
        return TrainingData(
            views=False,
            fiducial=FiducialSimulations(
                params.n_fiducial, params.n_derivative, params.step, params.stencil
            ),
        )

    def __init__(self, params=None, *, summary_dim: int, param_dim: int | None = None) -> None:
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        self.compression: nn.Module | None = None
        if self.params.compression == "linear":
            if not param_dim:
                raise ValueError("the imnn loss with compression = 'linear' needs param_dim")
            # No bias: neither the covariance nor the derivative of the mean depends on it.
            self.compression = nn.Linear(self.summary_dim, int(param_dim), bias=False)

    def forward(
        self,
        encoder: nn.Module,
        views: torch.Tensor | None,
        theta: torch.Tensor | None = None,
        *,
        fiducial: FiducialBatch | None = None,
    ) -> LossOutput:
        if fiducial is None:
            raise ValueError(
                "the imnn loss trains on simulations at the fiducial point (fiducial=...), which "
                "the training loop makes from a simulator dataset"
            )
        summaries, derivatives = fiducial.encode(encoder)
        compressed, compressed_derivatives = summaries, derivatives
        fixed = int(getattr(encoder, "statistic_dim", 0))
        if self.compression is not None:
            # Linear: the derivative of W t is W times the derivative of t. In full precision,
            # as the derivatives themselves (FiducialBatch.encode).
            with torch.autocast(device_type=summaries.device.type, enabled=False):
                compressed = self.compression(summaries)
                compressed_derivatives = self.compression(derivatives)
            fixed = 0
        # Covariance and mean derivative over every process's simulations (the seed axis).
        every = gather_with_grad(compressed)
        every_derivative = gather_with_grad(compressed_derivatives.transpose(0, 1)).transpose(0, 1)
        p = self.params
        loss, terms = imnn_loss(every, every_derivative, p.coupling, p.closeness, fixed)
        # Centred for the collapse monitors: the IMNN fixes no mean, and an offset common to
        # every map (no information) would read as collapse on L2-normalised embeddings.
        embeddings = (summaries - summaries.mean(dim=0)).detach()
        return LossOutput(loss=loss, terms=terms, embeddings=embeddings)

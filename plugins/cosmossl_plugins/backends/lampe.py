"""Neural posterior (NPE) or ratio (NRE) estimation with lampe 0.9 and zuko flows.

lampe provides the estimators and losses only; cosmossl supplies the rest (our own training
loop): standardised θ and x, the framework's validation split, early stopping, best-weights
restore, and non-finite steps that are skipped *with a warning* (lampe's ``GDStep`` skips them
silently).

- NPE (Papamakarios & Murray 2016, arXiv:1605.06376; Greenberg et al. 2019, arXiv:1905.07488):
  ``lampe.inference.NPE`` with a zuko flow on u = standardise(logit((θ - low)/(high - low))), so
  samples never leave the box prior; log q(θ | x) includes the Jacobian of that map.
- NRE (Hermans, Begy & Louppe 2020, arXiv:1903.04057): ``lampe.inference.NRE`` +
  ``NRELoss``; q(θ | x) ∝ p(θ) r(θ, x). Sampling: SIR from the prior followed by random-walk
  Metropolis chains (:func:`cosmossl.inference.sample_prior_ratio`). ``log_prob`` is
  log p(θ) + log r(θ, x) − log Z(x), with Z(x) = E_p(θ)[r(θ, x)] estimated from
  ``sir_candidates`` prior draws, so it is a normalised density.
"""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any, ClassVar, Literal

import torch
import zuko
from lampe.inference import NPE, NRE, NPELoss, NRELoss
from pydantic import Field, PositiveInt

from cosmossl import Backend, Params
from cosmossl.inference import (
    FitData,
    FitProgress,
    Posterior,
    SamplerStats,
    SavedPosterior,
    ThetaTransform,
    sample_prior_ratio,
)

FLOWS = {"nsf": zuko.flows.NSF, "maf": zuko.flows.MAF}


class Lampe(Backend):
    """NPE (Papamakarios & Murray 2016, arXiv:1605.06376) or NRE (Hermans, Begy & Louppe 2020,
    arXiv:1903.04057) with lampe 0.9 and zuko flows, trained by cosmossl's own loop."""

    name: ClassVar[str] = "lampe"

    class Params(Params):
        method: Literal["npe", "nre"] = Field(
            "npe", description="'npe' (flow posterior) or 'nre' (likelihood-to-evidence ratio)."
        )
        flow: Literal["nsf", "maf"] = Field(
            "nsf",
            description="zuko flow for NPE: 'nsf' "
            "(neural spline) or 'maf' (masked autoregressive).",
        )
        transforms: int = Field(3, ge=1, description="Flow transforms (NPE).")
        hidden: list[PositiveInt] = Field(
            default_factory=lambda: [64, 64],
            description="Hidden widths of the flow conditioners / NRE MLP.",
        )
        bins: int = Field(8, ge=2, description="Spline bins (NPE with flow 'nsf').")
        batch_size: int = Field(128, ge=2, description="Training batch size.")
        learning_rate: float = Field(1e-3, gt=0, description="Adam learning rate.")
        weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
        max_epochs: int = Field(300, ge=1, description="Upper bound on training epochs.")
        patience: int = Field(
            20,
            ge=1,
            description="Stop after this many epochs without a "
            "better validation loss; the best weights are restored.",
        )
        clip_norm: float = Field(5.0, gt=0, description="Gradient-norm clipping.")
        bounded: bool = Field(
            True,
            description="NPE: fit the flow in logit space of the box "
            "prior so samples cannot leave it.",
        )
        mcmc_steps: int = Field(60, ge=0, description="NRE sampling: Metropolis steps per chain.")
        sir_candidates: int = Field(
            4096, ge=1, description="NRE sampling: prior draws per observation for the SIR start."
        )

    def fit_posterior(self, data: FitData) -> Posterior:
        p = self.params
        bounded = p.bounded and p.method == "npe"
        transform = ThetaTransform.fit(data.prior, data.theta_train, bounded=bounded)
        net = _build(p, data.prior.dim, data.x_train.shape[1]).to(data.device)
        loss = NPELoss(net) if p.method == "npe" else NRELoss(net)
        history = train(
            loss,
            net,
            transform(data.theta_train),
            data.x_train,
            transform(data.theta_val),
            data.x_val,
            p,
            data.seed,
            data.progress,
        )
        return LampePosterior(
            net, transform, self.params.model_dump(), data.prior, data.x_standardizer, info=history
        )

    @classmethod
    def posterior_from_saved(cls, saved: SavedPosterior, device: str = "cpu") -> Posterior:
        p = cls.Params.model_validate(saved.params)
        theta = {k: v for k, v in saved.tensors.items() if k.startswith("theta.")}
        weights = {k[4:]: v for k, v in saved.tensors.items() if k.startswith("est.")}
        net = _build(p, saved.prior.dim, saved.x_standardizer.dim).to(device)
        net.load_state_dict(weights)
        transform = ThetaTransform.from_tensors(saved.prior, theta, saved.config["bounded"])
        return LampePosterior(
            net, transform, saved.params, saved.prior, saved.x_standardizer, info=saved.info
        )


class LampePosterior(Posterior):
    def __init__(
        self,
        net: torch.nn.Module,
        transform: ThetaTransform,
        params: dict[str, Any],
        prior,
        x_standardizer,
        info=None,
    ) -> None:
        super().__init__(
            backend="lampe", params=params, prior=prior, x_standardizer=x_standardizer, info=info
        )
        self.net, self.transform = net.eval(), transform
        self.sampler_stats = SamplerStats()

    def sample_standardized(self, x: torch.Tensor, n: int) -> torch.Tensor:
        if self.params["method"] == "npe":
            return self.transform.inverse(self.net.flow(x).sample((n,)))

        def log_ratio(theta: torch.Tensor) -> torch.Tensor:
            return self.net(self.transform(theta), x)

        return sample_prior_ratio(
            log_ratio,
            self.prior,
            x.shape[0],
            n,
            candidates=self.params["sir_candidates"],
            steps=self.params["mcmc_steps"],
            stats=self.sampler_stats,
        )

    def log_prob_standardized(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.log_prob_standardized_batched(theta[None], x)[0]

    def log_prob_standardized_batched(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        u = self.transform(theta)  # [n, B, P]
        if self.params["method"] == "npe":
            return self.net(u, x) + self.transform.log_abs_det(theta)
        return self.prior.log_prob(theta) + self.net(u, x) - self._log_evidence(x)

    def _log_evidence(self, x: torch.Tensor) -> torch.Tensor:
        """``[B]`` log ∫ p(θ) r(θ, x) dθ by Monte Carlo over prior draws.

        An exact ratio gives 0; dividing by the estimate makes q(θ | x) a normalised density, so
        the test NLL of NRE is comparable with NPE's.
        """
        draws = self.prior.sample((self.params["sir_candidates"], x.shape[0]))
        log_r = self.net(self.transform(draws), x)
        return torch.logsumexp(log_r, 0) - math.log(draws.shape[0])

    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        tensors = {f"est.{k}": v for k, v in self.net.state_dict().items()}
        tensors.update(self.transform.tensors())
        return tensors, {"bounded": self.transform.bounded}


def _build(p: Lampe.Params, theta_dim: int, x_dim: int) -> torch.nn.Module:
    if p.method == "npe":
        kwargs: dict[str, Any] = {"transforms": p.transforms, "hidden_features": p.hidden}
        if p.flow == "nsf":
            kwargs["bins"] = p.bins
        return NPE(theta_dim, x_dim, build=FLOWS[p.flow], **kwargs)
    return NRE(theta_dim, x_dim, hidden_features=p.hidden, activation=torch.nn.ELU)


def train(
    loss_fn: torch.nn.Module,
    net: torch.nn.Module,
    theta: torch.Tensor,
    x: torch.Tensor,
    theta_val: torch.Tensor,
    x_val: torch.Tensor,
    p: Lampe.Params,
    seed: int,
    progress: bool,
) -> dict[str, Any]:
    """Adam training with early stopping on the validation loss; restores the best weights."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(net.parameters(), lr=p.learning_rate, weight_decay=p.weight_decay)
    n = theta.shape[0]
    batch = min(p.batch_size, n)
    best, best_epoch, best_state = math.inf, -1, copy.deepcopy(net.state_dict())
    history: dict[str, Any] = {"train_loss": [], "val_loss": [], "skipped_steps": 0}
    with FitProgress(p.max_epochs, desc=f"lampe {p.method}", enabled=progress) as bar:
        for epoch in range(p.max_epochs):
            train_loss, skipped = _train_epoch(
                loss_fn, net, optimizer, theta, x, batch, p.clip_norm, generator
            )
            if skipped:
                history["skipped_steps"] += skipped
                warnings.warn(
                    f"lampe: epoch {epoch}: skipped {skipped} optimisation step(s) with a "
                    "non-finite loss or gradient",
                    RuntimeWarning,
                    stacklevel=2,
                )
            val = _evaluate(loss_fn, net, theta_val, x_val, batch)
            history["train_loss"].append(train_loss)
            history["val_loss"].append(val)
            bar.epoch(val)
            if val < best:
                best, best_epoch, best_state = val, epoch, copy.deepcopy(net.state_dict())
            elif epoch - best_epoch >= p.patience:
                break
    net.load_state_dict(best_state)
    net.eval()
    history.update(best_val_loss=best, best_epoch=best_epoch, epochs=len(history["val_loss"]))
    return history


def _train_epoch(
    loss_fn: torch.nn.Module,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    theta: torch.Tensor,
    x: torch.Tensor,
    batch: int,
    clip_norm: float,
    generator: torch.Generator,
) -> tuple[float, int]:
    """One pass over shuffled batches: the mean loss of the steps taken, and how many steps
    were skipped for a non-finite loss or gradient."""
    net.train()
    n = theta.shape[0]
    order = torch.randperm(n, generator=generator).to(theta.device)
    total, steps, skipped = 0.0, 0, 0
    for start in range(0, n - batch + 1, batch):
        idx = order[start : start + batch]
        loss = loss_fn(theta[idx], x[idx])
        if not torch.isfinite(loss):
            skipped += 1
            continue
        optimizer.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(net.parameters(), clip_norm)
        if not torch.isfinite(norm):
            skipped += 1
            optimizer.zero_grad()
            continue
        optimizer.step()
        total, steps = total + float(loss.detach()), steps + 1
    return total / max(steps, 1), skipped


@torch.no_grad()
def _evaluate(
    loss_fn: torch.nn.Module, net: torch.nn.Module, theta: torch.Tensor, x: torch.Tensor, batch: int
) -> float:
    net.eval()
    # NRELoss pairs each θ with its neighbour's x: a fixed shuffle makes the value comparable
    # between epochs.
    order = torch.randperm(theta.shape[0], generator=torch.Generator().manual_seed(0))
    order = order.to(theta.device)
    total, count = 0.0, 0
    for start in range(0, theta.shape[0], batch):
        idx = order[start : start + batch]
        if idx.numel() < 2:
            continue
        loss = loss_fn(theta[idx], x[idx])
        total, count = total + float(loss) * idx.numel(), count + idx.numel()
    return total / max(count, 1) if count else math.inf

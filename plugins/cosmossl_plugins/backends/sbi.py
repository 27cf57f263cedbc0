"""Neural posterior estimation with sbi 0.27 (``sbi.inference.NPE``, flows from ``posterior_nn``).

NPE: Papamakarios & Murray 2016 (arXiv:1605.06376), Greenberg, Nonnenmacher & Macke 2019
(arXiv:1905.07488); sbi: Tejero-Cantero et al. 2020 (JOSS 5, 2505) and Boelts et al. 2024
(arXiv:2411.17337).

What cosmossl controls, so sbi is judged like every other backend:

- **Split.** sbi draws its validation rows with ``torch.randperm``. We append the framework's
  training rows followed by its validation rows and fix sbi's ``train_indices`` /
  ``val_indices`` to exactly those two blocks (``get_dataloaders`` is told to reuse them), so
  early stopping sees our validation set and nothing else. sbi keeps the best-validation weights.
- **Standardisation.** x arrives standardised with the framework's statistics
  (``z_score_x="none"``).
- **Prior, no leakage.** zuko flows (``zuko_*``) are fitted in unconstrained space with
  ``z_score_theta="transform_to_unconstrained"`` and ``x_dist=prior``: samples cannot leave the
  box. Other flows (``maf``, ``nsf``, ...) sample by rejection outside the box; the acceptance
  rate is measured and ``log_prob`` is renormalised by it (``posterior.info`` records it).
- **No log folder.** A small in-memory tracker replaces sbi's default TensorBoard writer, so no
  ``sbi-logs/`` appears in the working directory; the curves land in ``posterior.info``.
- **No prints.** sbi 0.27 prints to stdout: "Training neural network. Epochs trained: N" after
  every epoch (``show_progress_bars=True``), a round summary (``show_train_summary=True``) and,
  whatever the flags, "Neural network successfully converged after N epochs". The first two are
  off; the last is sbi's ``_report_convergence_at_end``, which our subclass replaces by nothing
  (keeping sbi's warning when ``max_epochs`` is reached). cosmossl's own progress bar
  (:class:`~cosmossl.inference.FitProgress`: epochs, best validation loss, elapsed time) is fed
  by each epoch's summary (sbi's ``_summarize_epoch``), as for every backend.
- **Seeds.** The framework seeds torch before building and training; sampling is seeded per call.
- **Truncation (sequential rounds, TSNPE).** :meth:`SBIPosterior.truncated_prior` uses sbi's own
  machinery: ``get_density_thresholder`` on sbi's ``DirectPosterior`` of the fitted estimator
  sets the 1 − ε highest-probability region, and ``RestrictedPrior`` draws from the prior
  restricted to it, after cosmossl has measured its acceptance (``RestrictedPrior`` itself has no
  bound on its rejection loop). sbi 0.27's ``NPE.append_simulations`` treats a
  ``RestrictedPrior`` of the trainer's prior as the prior itself (round 0: the plain
  maximum-likelihood loss, no proposal correction), which is TSNPE's point: every round's
  simulations are fitted together like prior simulations, as :func:`cosmossl.inference.fit` does.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field
from sbi.inference import NPE, DirectPosterior
from sbi.neural_nets import posterior_nn
from sbi.utils import RestrictedPrior, get_density_thresholder

from cosmossl import Backend, DataError, Params
from cosmossl.inference import (
    BoxPrior,
    FitData,
    FitProgress,
    Posterior,
    SavedPosterior,
    TruncatedPrior,
)

#: Draws per observation used to estimate the in-prior mass of a non-zuko flow.
LEAKAGE_DRAWS = 1000


class SBI(Backend):
    """NPE (Greenberg, Nonnenmacher & Macke 2019, arXiv:1905.07488) with sbi 0.27 and a flow of
    your choice; zuko flows respect the box prior exactly."""

    name: ClassVar[str] = "sbi"

    class Params(Params):
        model: Literal[
            "zuko_nsf", "zuko_maf", "zuko_naf", "zuko_unaf", "nsf", "maf", "maf_rqs", "mdn"
        ] = Field(
            "zuko_maf",
            description="Density estimator for posterior_nn; zuko_* flows are fitted "
            "in the prior's unconstrained space (no leakage). Default zuko_maf: better "
            "calibrated and faster than zuko_nsf in benchmarks/backends.py and the quickstart.",
        )
        hidden_features: int = Field(50, ge=1, description="Hidden units of the flow.")
        num_transforms: int = Field(5, ge=1, description="Flow transforms.")
        num_bins: int = Field(10, ge=2, description="Spline bins (nsf variants).")
        batch_size: int = Field(200, ge=2, description="training_batch_size.")
        learning_rate: float = Field(5e-4, gt=0, description="Adam learning rate.")
        patience: int = Field(
            20,
            ge=1,
            description="stop_after_epochs: epochs without a "
            "better validation loss before stopping.",
        )
        max_epochs: int = Field(1000, ge=1, description="max_num_epochs.")
        clip_norm: float = Field(5.0, gt=0, description="clip_max_norm.")

    def fit_posterior(self, data: FitData) -> Posterior:
        p = self.params
        tracker = MemoryTracker()
        inference = _FixedSplitNPE(
            prior=data.prior,
            density_estimator=_builder(p, data.prior),
            device=data.device,
            tracker=tracker,
            show_progress_bars=False,  # its progress is a print per epoch: ours replaces it
        )
        theta = torch.cat([data.theta_train, data.theta_val])
        x = torch.cat([data.x_train, data.x_val])
        n_train = data.theta_train.shape[0]
        inference.train_indices = torch.arange(n_train)
        inference.val_indices = torch.arange(n_train, theta.shape[0])
        inference.append_simulations(theta, x, exclude_invalid_x=False)
        # sbi's loop runs while epoch <= max_num_epochs: up to max_epochs + 1 epochs.
        bar = FitProgress(p.max_epochs + 1, desc=f"sbi {p.model}", enabled=data.progress)
        with bar:
            inference.progress = bar
            estimator = inference.train(
                training_batch_size=p.batch_size,
                learning_rate=p.learning_rate,
                validation_fraction=data.theta_val.shape[0] / theta.shape[0],
                stop_after_epochs=p.patience,
                max_num_epochs=p.max_epochs,
                clip_max_norm=p.clip_norm,
                show_train_summary=False,
            )
        summary = inference.summary
        info = {
            "train_loss": [float(v) for v in summary["training_loss"]],
            "val_loss": [float(v) for v in summary["validation_loss"]],
            "best_val_loss": float(summary["best_validation_loss"][-1]),
            "epochs": int(summary["epochs_trained"][-1]),
        }
        return SBIPosterior(estimator, p.model_dump(), data.prior, data.x_standardizer, info)

    @classmethod
    def posterior_from_saved(cls, saved: SavedPosterior, device: str = "cpu") -> Posterior:
        p = cls.Params.model_validate(saved.params)
        # The builder only needs batches of the right shape; every statistic it computes from
        # them is a buffer that load_state_dict overwrites.
        theta = saved.prior.sample((256,))
        x = torch.randn(256, saved.x_standardizer.dim, device=device)
        estimator = _builder(p, saved.prior)(theta, x).to(device)
        estimator.load_state_dict(saved.tensors)
        return SBIPosterior(estimator, saved.params, saved.prior, saved.x_standardizer, saved.info)


class SBIPosterior(Posterior):
    def __init__(
        self,
        estimator: torch.nn.Module,
        params: dict[str, Any],
        prior: BoxPrior,
        x_standardizer,
        info: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            backend="sbi", params=params, prior=prior, x_standardizer=x_standardizer, info=info
        )
        self.estimator = estimator.eval()
        self.rejection = not params["model"].startswith("zuko")

    def sample_standardized(self, x: torch.Tensor, n: int) -> torch.Tensor:
        if not self.rejection:
            return self.estimator.sample(torch.Size((n,)), condition=x)
        out = torch.empty(n, x.shape[0], self.prior.dim, device=x.device)
        filled = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        drawn = accepted = 0
        for _ in range(100):
            need = int((n - filled).max())
            if need == 0:
                break
            draws = self.estimator.sample(torch.Size((max(need, 64),)), condition=x)
            inside = self.prior.contains(draws)  # [m, B]
            drawn, accepted = drawn + inside.numel(), accepted + int(inside.sum())
            for b in torch.nonzero(filled < n).flatten().tolist():
                good = draws[inside[:, b], b][: n - int(filled[b])]
                out[filled[b] : filled[b] + good.shape[0], b] = good
                filled[b] += good.shape[0]
        if int(filled.min()) < n:
            raise DataError(
                f"sbi: rejection sampling accepted too few samples inside the prior "
                f"(acceptance {accepted / max(drawn, 1):.2e}); use a zuko_* model"
            )
        self.info["rejection_acceptance"] = accepted / max(drawn, 1)
        return out

    def log_prob_standardized(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.log_prob_standardized_batched(theta[None], x)[0]

    def log_prob_standardized_batched(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        lp = self.estimator.log_prob(theta, condition=x)  # [n, B]
        if self.rejection:
            # Truncating the flow to the box renormalises it by its in-box mass (one estimate
            # per observation, shared by its n points).
            draws = self.estimator.sample(torch.Size((LEAKAGE_DRAWS,)), condition=x)
            mass = self.prior.contains(draws).float().mean(0).clamp_min(1.0 / LEAKAGE_DRAWS)
            lp = lp - torch.log(mass)
        return lp

    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        return dict(self.estimator.state_dict()), {}

    @torch.no_grad()
    def truncate(self, x: torch.Tensor, epsilon: float, samples: int, seed: int) -> TruncatedPrior:
        """The prior truncated to the 1 − ``epsilon`` highest-probability region for ``x``
        ``[1, D]``, with sbi's ``get_density_thresholder`` and ``RestrictedPrior`` (see the
        module docstring)."""
        xs = self.x_standardizer(x)
        posterior = DirectPosterior(self.estimator, self.prior, device=str(self.device))
        posterior.set_default_x(xs)
        with self._seeded(seed):
            accept = get_density_thresholder(
                _Quiet(posterior), quantile=epsilon, num_samples_to_estimate_support=samples
            )
        restricted = RestrictedPrior(
            self.prior, accept, sample_with="rejection", device=str(self.device)
        )

        def draw(n: int) -> torch.Tensor:
            return restricted.sample((n,), print_rejected_frac=False)

        return TruncatedPrior(self.prior, accept, epsilon=epsilon, draw=draw)


class _Quiet:
    """An sbi posterior for ``get_density_thresholder``, sampling without progress bars."""

    def __init__(self, posterior: DirectPosterior) -> None:
        self.posterior = posterior

    def sample(self, sample_shape: tuple[int, ...]) -> torch.Tensor:
        return self.posterior.sample(sample_shape, show_progress_bars=False)

    def log_prob(self, theta: torch.Tensor) -> torch.Tensor:
        return self.posterior.log_prob(theta)


class _FixedSplitNPE(NPE):
    """NPE whose train/validation rows are the ones we set, not a random permutation, that
    reports each epoch to ``progress`` and prints nothing."""

    progress: FitProgress | None = None

    def _summarize_epoch(self, train_loss, val_loss, epoch_start_time, summarization_kwargs):
        super()._summarize_epoch(train_loss, val_loss, epoch_start_time, summarization_kwargs)
        if self.progress is not None:
            self.progress.epoch(float(val_loss))

    def _report_convergence_at_end(self, epoch: int, max_num_epochs: int) -> None:
        # sbi prints "successfully converged" unconditionally; only its warning is kept.
        if epoch > max_num_epochs:
            warnings.warn(
                f"Maximum number of epochs `max_num_epochs={max_num_epochs}` reached, but "
                "network has not yet fully converged (sbi); consider raising [backend] "
                "max_epochs",
                stacklevel=2,
            )

    def get_dataloaders(
        self,
        starting_round: int = 0,
        training_batch_size: int = 200,
        validation_fraction: float = 0.1,
        resume_training: bool = False,
        dataloader_kwargs: dict | None = None,
    ):
        # resume_training=True makes sbi reuse self.train_indices / self.val_indices.
        return super().get_dataloaders(
            starting_round, training_batch_size, validation_fraction, True, dataloader_kwargs
        )


class MemoryTracker:
    """sbi ``Tracker`` that keeps metrics in memory (no TensorBoard folder on disk)."""

    log_dir = None

    def __init__(self) -> None:
        self.metrics: dict[str, list[tuple[int | None, float]]] = {}

    def log_metric(self, name: str, value: float, step: int | None = None) -> None:
        self.metrics.setdefault(name, []).append((step, float(value)))

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        for name, value in metrics.items():
            self.log_metric(name, value, step)

    def log_params(self, params: dict[str, Any]) -> None:
        pass

    def add_figure(self, name: str, figure: Any, step: int | None = None) -> None:
        pass

    def flush(self) -> None:
        pass


def _builder(p: SBI.Params, prior: BoxPrior):
    zuko = p.model.startswith("zuko")
    kwargs: dict[str, Any] = {}
    if zuko:
        kwargs["x_dist"] = prior
    return posterior_nn(
        model=p.model,
        z_score_theta="transform_to_unconstrained" if zuko else "independent",
        z_score_x="none",
        hidden_features=p.hidden_features,
        num_transforms=p.num_transforms,
        num_bins=p.num_bins,
        **kwargs,
    )

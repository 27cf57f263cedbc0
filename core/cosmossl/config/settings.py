"""The run file's settings: every table that is not a component slot, as typed models.

``[train]`` (:class:`TrainSettings`), ``[inference]`` (:class:`InferenceSettings`),
``[pairing]``, ``[fisher]``, ``[hardening]``, ``[robustness]``, ``[compare]`` and the top-level keys
(:class:`RunSettings`). Each
model rejects unknown keys; ``docs/configuration.md`` is generated from their descriptions.
This module imports no torch so that reading a run file stays fast.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Seeds are unsigned 64-bit integers (what torch and numpy generators accept).
SEED_LIMIT = 2**64
Seed = Annotated[int, Field(ge=0, lt=SEED_LIMIT)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrainSettings(_Section):
    """How an encoder is trained (``[train]`` in the run file)."""

    epochs: int = Field(50, ge=1, description="Passes over the training groups.")
    fresh: bool | Literal["auto"] = Field(
        "auto",
        description="Train on new realisations of the training cosmologies at every step, "
        "simulated on the training device, so the encoder never sees the same map twice "
        "(true; needs a simulator dataset), on the stored maps (false), or 'auto': fresh when "
        "the dataset is a simulator cheap enough (the built-in lognormal). Validation and test "
        "always use the stored maps.",
    )
    batch_size: int = Field(
        64,
        ge=2,
        description="Groups per optimiser step (the GLOBAL batch: under DDP each of the W "
        "processes takes batch_size / W groups). Each group contributes `pairing.views` maps.",
    )
    steps_per_epoch: int | None = Field(
        None,
        ge=1,
        description="Optimiser steps per epoch; default: training groups // batch_size (every "
        "group once per epoch).",
    )
    lr: float = Field(2e-4, gt=0, description="Peak learning rate of AdamW.")
    weight_decay: float = Field(1e-4, ge=0, description="AdamW decoupled weight decay.")
    schedule: Literal["cosine", "plateau", "constant"] = Field(
        "plateau",
        description="'cosine': linear warm-up then cosine decay to 0 per step; 'plateau': "
        "multiply the lr by plateau_factor when the validation loss has not improved for "
        "plateau_patience epochs (the reference paper's choice); 'constant'.",
    )
    warmup_epochs: float = Field(
        0.0, ge=0, description="Linear warm-up length in epochs (all schedules)."
    )
    plateau_factor: float = Field(0.3, gt=0, lt=1, description="lr factor of 'plateau'.")
    plateau_patience: int = Field(5, ge=0, description="Epochs without improvement of 'plateau'.")
    grad_clip: float | None = Field(
        None, gt=0, description="Clip the global gradient norm to this value (none: no clipping)."
    )
    early_stopping: int | None = Field(
        None,
        ge=1,
        description="Stop when the validation loss has not improved for this many epochs "
        "(none: train all epochs).",
    )
    standardize: bool = Field(
        True,
        description="Divide inputs by one global mean/std measured on the training split "
        "(stored with the checkpoint and reused by compression).",
    )
    workers: int = Field(
        0,
        ge=0,
        description="Background threads reading the next batches from the map store while the "
        "current one trains (0: read in the training thread).",
    )
    bf16: bool = Field(True, description="bf16 autocast on CUDA (ignored on CPU).")
    sync_batchnorm: bool = Field(
        True,
        description="Under DDP on GPUs, convert BatchNorm layers to SyncBatchNorm so statistics "
        "cover the global batch (as in one process); on CPU each process normalises its share.",
    )
    log_every: int = Field(
        10, ge=1, description="Steps between metric lines in metrics.jsonl and TensorBoard."
    )
    tensorboard: bool = Field(True, description="Also write TensorBoard scalars.")
    collapse_std: float = Field(
        0.1,
        gt=0,
        description="Warn of collapse when the std of L2-normalised embeddings falls below "
        "collapse_std / sqrt(D) (a healthy representation has about 1 / sqrt(D)).",
    )
    collapse_rank: float = Field(
        1.5, gt=0, description="Warn of collapse when RankMe (effective rank) falls below this."
    )


class InferenceSettings(_Section):
    """How ``cosmossl infer`` splits, evaluates and plots (the backend: the ``[backend]`` slot)."""

    summaries: str = Field(
        "{run_dir}/summaries/encoder.h5",
        description="Summaries file to fit on ({run_dir} is replaced); --summaries overrides it.",
    )
    fit_on: Literal["train", "train+val"] = Field(
        "train",
        description="Rows the backend trains and validates on: the file's train split, "
        "or its train and val splits pooled. Test rows are always the file's test split.",
    )
    val_fraction: float = Field(
        0.1,
        gt=0,
        lt=1,
        description="Fraction of cosmology groups of "
        "the fit rows held out for the backend's early stopping.",
    )
    n_samples: int = Field(
        1000, ge=10, description="Posterior samples per test point for the diagnostics."
    )
    max_test: int = Field(
        0,
        ge=0,
        description="Evaluate at most this many test points "
        "(0: all), chosen at random with the run seed.",
    )
    n_bootstrap: int = Field(200, ge=1, description="Bootstrap resamples for the TARP bands.")
    survey_size: int = Field(
        1,
        ge=1,
        description="Maps per survey: the posterior is fitted and judged on surveys of this "
        "many maps of one cosmology (distinct seeds), summarised by the mean of their summaries "
        "(1: every map on its own). Each cosmology's maps are cut into disjoint surveys.",
    )
    surveys_per_cosmology: int | None = Field(
        None,
        ge=1,
        description="Surveys drawn from each cosmology of the fit rows as random subsets of "
        "survey_size maps (more training surveys from few maps); none: disjoint surveys, as for "
        "the test rows.",
    )
    n_corner: int = Field(3, ge=0, description="Test points shown in corner plots.")
    plots: bool = Field(True, description="Write PNG plots next to the metrics.")


class PairingSettings(_Section):
    """How positive pairs are drawn (see docs/concepts.md)."""

    level: Literal["same-simulation", "same-cosmology", "across-simulations", "paired"] = Field(
        "same-cosmology",
        description="Which maps are positives: 'same-simulation' (maps of one simulation), "
        "'same-cosmology' (any maps with the same cosmology: other seeds, other feedback, or the "
        "same simulation), 'across-simulations' (same cosmology, every view from a different "
        "simulation: positives never share seed or feedback), or 'paired' (same cosmology AND "
        "seed, each view its own nuisance draw: paired simulations, which differ only in the "
        "nuisance; stored maps need them, e.g. lognormal paired_draws ≥ 2).",
    )
    views: int = Field(2, ge=2, description="Views drawn per group in each batch.")
    paired_fraction: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="At level 'paired', training on fresh maps: the share of a batch's rows "
        "whose views are paired simulations (one seed, each view its own nuisance draw); the "
        "other rows' views are other simulations of the cosmology (other seeds and nuisance, as "
        "at 'across-simulations'). The invariance term is then that mixture. Below 1 it needs "
        "fresh training maps.",
    )
    small_groups: Literal["replace", "skip", "error"] = Field(
        "replace",
        description="A group with fewer maps than `views`: 'replace' repeats its maps (after "
        "using each once), 'skip' leaves it out, 'error' stops with the groups named.",
    )

    @model_validator(mode="after")
    def _mixture_needs_paired(self) -> PairingSettings:
        if self.paired_fraction < 1.0 and self.level != "paired":
            raise ValueError(
                f"paired_fraction = {self.paired_fraction} mixes paired and across-simulation "
                f"positives: it needs level = 'paired' (got '{self.level}')"
            )
        return self


class FisherSettings(_Section):
    """The information check of the main job (simulators with an analytic Fisher limit only)."""

    enabled: bool = Field(True, description="Compute the Fisher information of the summaries.")
    n_fiducial: int = Field(
        500, ge=10, description="Maps at the fiducial point for the summaries' covariance."
    )
    n_derivative: int = Field(
        250, ge=2, description="Seed-matched maps at each θ ± δ for the mean derivatives."
    )
    step: float = Field(
        0.005,
        gt=0,
        lt=0.5,
        description="Finite-difference step δ relative to θ (5-point stencil θ ± δ, θ ± 2δ; "
        "larger steps bias a network's derivatives, docs/formats.md).",
    )


class HardeningSettings(_Section):
    """Nuisance hardening of every summary (Alsing & Wandelt 2019, arXiv:1903.01473).

    See docs/inference.md, "Nuisance hardening".
    """

    nuisance: list[str] = Field(
        default_factory=list,
        description="Nuisance parameters of the simulator to harden every summary against (e.g. "
        '["A_AGN1", "A_AGN2"]): each summary X gains a twin X-hardened, its score projected off '
        "these directions at the fiducial point, which goes through inference and robustness "
        "like the others. Needs a simulator whose nuisance can be set (lognormal with feedback "
        "= true). Empty: no hardening.",
    )
    n_fiducial: int = Field(
        1000, ge=10, description="Maps at the fiducial point for the summary's mean and covariance."
    )
    n_derivative: int = Field(
        500, ge=2, description="Seed-matched maps at each offset of each derivative."
    )
    step: float = Field(
        0.005, gt=0, lt=0.5, description="Finite-difference step of θ, relative to its fiducial."
    )
    nuisance_step: float = Field(
        0.05,
        gt=0,
        lt=0.5,
        description="Finite-difference step of the nuisance parameters, relative to their "
        "fiducial values.",
    )

    anchors: list[dict[str, float]] = Field(
        default_factory=list,
        description="Further points of the nuisance prior, a table each with a value for every "
        "name of `nuisance` (e.g. {A_AGN1 = 4.0, A_AGN2 = 2.0}): the summary's derivatives in "
        "the nuisance there are projected out too. This removes more of the response of a "
        "summary to a nuisance that acts non-linearly, at the cost of more information. Empty: "
        "the classic first-order hardening at the fiducial point.",
    )

    @model_validator(mode="after")
    def _distinct(self) -> HardeningSettings:
        if len(set(self.nuisance)) != len(self.nuisance):
            raise ValueError(f"nuisance names must differ: {self.nuisance}")
        for number, anchor in enumerate(self.anchors, 1):
            if set(anchor) != set(self.nuisance):
                raise ValueError(
                    f"anchor #{number} must give a value to each of {self.nuisance} and nothing "
                    f"else, got {sorted(anchor)}"
                )
        return self


class Contamination(_Section):
    """A systematic put into the test maps (one ``[[robustness.contaminations]]`` table)."""

    name: str | None = Field(
        None,
        description="Label in reports; default: the augmentation's type, or 'dataset' followed "
        "by the replaced parameters.",
    )
    augmentation: dict[str, Any] | None = Field(
        None,
        description="A registered augmentation, as a table with its type and parameters (e.g. "
        '{type = "gaussian-noise", sigma_min = 0.1, sigma_max = 0.1}), applied once to every '
        "test map.",
    )
    dataset: dict[str, Any] | None = Field(
        None,
        description="Parameters of [dataset] to replace for the test maps (e.g. {feedback_shift "
        "= {A_AGN1 = 1.0}}): the data set is made again with the run seed, so its test split "
        "holds the same cosmologies and seeds with the changed nuisance.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Contamination:
        if (self.augmentation is None) == (self.dataset is None):
            raise ValueError("give exactly one of 'augmentation' or 'dataset'")
        return self

    @property
    def label(self) -> str:
        """The name shown in reports."""
        if self.name:
            return self.name
        if self.augmentation is not None:
            return str(self.augmentation.get("type", "augmentation"))
        return "dataset " + ", ".join(f"{k}={v}" for k, v in self.dataset.items())


class RobustnessSettings(_Section):
    """Every summary judged on contaminated test maps by its posterior fitted on clean maps.

    See docs/inference.md, "Robustness".
    """

    contaminations: list[Contamination] = Field(
        default_factory=list,
        description="The systematics, one [[robustness.contaminations]] table each (none: no "
        "robustness stage).",
    )
    survey_size: int | None = Field(
        None,
        ge=1,
        description="Maps per test survey (biases grow with it as the posterior narrows); "
        "default: [inference] survey_size. Another size fits its own posterior on clean surveys.",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> RobustnessSettings:
        labels = [c.label for c in self.contaminations]
        twice = sorted({name for name in labels if labels.count(name) > 1})
        if twice:
            raise ValueError(f"contamination names must differ: {', '.join(twice)} appear twice")
        return self


class CompareSettings(_Section):
    """What ``cosmossl compare`` runs head-to-head on the same data, encoder and budget."""

    losses: list[str] = Field(
        default_factory=lambda: ["vicreg", "simclr", "byol", "barlow"],
        description="SSL losses to compare (any registered loss, built-in or third-party).",
    )
    baselines: list[str] = Field(
        default_factory=lambda: ["supervised", "power-spectrum"],
        description="Baselines: loss names trained the same way (e.g. 'supervised') and "
        "statistic names used directly as summaries (e.g. 'power-spectrum').",
    )
    seeds: list[Seed] = Field(
        default_factory=lambda: [0, 1, 2],
        min_length=1,
        description="Run seeds (0 ≤ seed < 2⁶⁴); every entry runs with each. They vary the "
        "training (initialisation, batches, fresh realisations, the backend's fit), not the "
        "data: every entry and seed has the maps, split and test surveys of the run file's data "
        "seed (data_seed, default: seed), so two entries at one seed differ only in the entry.",
    )
    loss_params: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per-loss parameters, e.g. [compare.loss_params.vicreg] sim_weight = 5.",
    )


class RunSettings(_Section):
    """The top-level keys and core tables of a run file."""

    name: str = Field("run", description="A label for the run, used in reports.")
    seed: int = Field(
        0,
        ge=0,
        lt=SEED_LIMIT,
        description="The one run seed (0 ≤ seed < 2⁶⁴); every stage derives its own.",
    )
    data_seed: Seed | None = Field(
        None,
        description="Seed of the data alone: the simulated maps, the split by group, the "
        "backend's validation groups, the test surveys and contaminations; default: seed. "
        "Runs that differ only in seed then share their data and split (what `cosmossl "
        "compare` does across its seeds).",
    )
    device: str = Field("auto", description="'auto' (CUDA when present, else CPU), 'cpu', 'cuda'.")
    run_dir: str = Field("runs/{name}", description="Output folder ({name} is replaced).")
    digest_data: bool = Field(
        False,
        description="Fingerprint every file a dataset reads by its content (SHA-256) in the "
        "stage cache. Files up to 16 MiB always are; larger ones, by default, by size and "
        "modification time only (a file replaced by one of the same size and time goes "
        "unnoticed).",
    )
    pairing: PairingSettings = Field(
        default_factory=PairingSettings, description="[pairing] table: positive pairs."
    )
    train: TrainSettings = Field(default_factory=TrainSettings)
    inference: InferenceSettings = Field(default_factory=InferenceSettings)
    fisher: FisherSettings = Field(default_factory=FisherSettings)
    hardening: HardeningSettings = Field(default_factory=HardeningSettings)
    robustness: RobustnessSettings = Field(default_factory=RobustnessSettings)
    compare: CompareSettings = Field(default_factory=CompareSettings)

    @property
    def dataset_seed(self) -> int:
        """The seed of the data (``data_seed``, else ``seed``)."""
        return self.seed if self.data_seed is None else self.data_seed

    @property
    def robustness_survey_size(self) -> int:
        """Maps per test survey of the robustness evaluation (``[robustness] survey_size``,
        else ``[inference] survey_size``)."""
        return self.robustness.survey_size or self.inference.survey_size

"""The ``[inference]`` table of a run file (imports no torch)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class InferenceSettings(BaseModel):
    """How ``cosmossl infer`` splits, evaluates and plots (the backend: the ``[backend]`` slot)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
    n_corner: int = Field(3, ge=0, description="Test points shown in corner plots.")
    plots: bool = Field(True, description="Write PNG plots next to the metrics.")

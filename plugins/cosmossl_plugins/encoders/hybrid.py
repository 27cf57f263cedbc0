"""A hybrid summary: a statistic followed by learned numbers; see :class:`Hybrid`."""

from __future__ import annotations

from typing import Any

import torch
from pydantic import Field, field_validator

import cosmossl
from cosmossl import Encoder, EncoderParams, MapMeta
from cosmossl.nn import all_reduce_mean

#: Keys of the learned encoder's table that the hybrid sets itself.
OWN_KEYS = ("summary_dim", "symmetrize")


def _component_table(kind: str, value: Any) -> dict[str, Any]:
    """``value`` as a component table {type = ..., parameters...}, validated by the component's
    own parameter model."""
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise ValueError(f'must be a table with the {kind}\'s type, e.g. {{type = "..."}}')
    params = {k: v for k, v in value.items() if k != "type"}
    try:
        component = cosmossl.registry().load(kind, value["type"])
    except cosmossl.UnknownComponentError as exc:
        raise ValueError(str(exc)) from None
    component.Params.model_validate(params)
    return dict(value)


class Hybrid(Encoder):
    """A statistic followed by ``summary_dim`` learned numbers: ``[s(x), f(x)]``.

    The summary of a map x is ``[s(x), f(x)]``: the statistic s (e.g. the binned power spectrum,
    fixed, no parameters) standardised per feature, then the ``summary_dim`` outputs of a learned
    encoder f. Trained with an information-maximising loss (``imnn``, ``vmim``) the loss sees the
    whole summary, so f learns what s misses — the "information update" of Makinen et al. 2024
    (arXiv:2407.18909), who train an IMNN on the power spectrum together with a network's outputs.
    With any other loss f is simply trained alongside s. Compression, the Fisher check, robustness
    and the export all see the concatenation, because the hybrid is the encoder.

    The statistic's features are standardised with a mean and standard deviation taken from the
    first training batch the encoder sees (over all processes), then kept fixed (buffers in the
    checkpoint): the data-dependent initialisation of Glow's ActNorm (Kingma & Dhariwal 2018,
    arXiv:1807.03039), without training the affine map afterwards. A fixed affine map of s changes
    neither its information nor its posterior; it keeps the summary's parts on one scale for the
    heads and the flow of the loss. The statistic is computed on the maps the encoder sees
    (after the run's map standardisation, which multiplies a power spectrum by a constant).
    """

    class Params(EncoderParams):
        summary_dim: int = Field(
            8,
            gt=0,
            description="Learned numbers f(x); the summary holds the statistic's numbers before "
            "them (encoder.summary_dim counts both).",
        )
        statistic: dict[str, Any] = Field(
            default_factory=lambda: {"type": "power-spectrum"},
            description="The statistic, as a table with its type and parameters (e.g. {type = "
            '"power-spectrum", n_bins = 12}).',
        )
        learned: dict[str, Any] = Field(
            default_factory=lambda: {"type": "cnn"},
            description="The learned encoder, as a table with its type and parameters (e.g. "
            '{type = "cnn", width = 8}); its summary_dim is this table\'s summary_dim and its '
            "symmetrize this table's.",
        )
        box_size: float | None = Field(
            None,
            gt=0,
            description="Side of the maps in Mpc/h, for a statistic with physical scales "
            "(k_min, k_max in h/Mpc); default: the side in pixels.",
        )

        @field_validator("statistic")
        @classmethod
        def _statistic(cls, value: Any) -> dict[str, Any]:
            return _component_table("statistic", value)

        @field_validator("learned")
        @classmethod
        def _learned(cls, value: Any) -> dict[str, Any]:
            given = [key for key in OWN_KEYS if isinstance(value, dict) and key in value]
            if given:
                raise ValueError(
                    f"'{given[0]}' of the learned encoder is the hybrid's own (set "
                    f"{given[0]} in the [encoder] table itself)"
                )
            return _component_table("encoder", value)

    def __init__(self, params: Params | None = None, *, input_shape: tuple[int, ...]) -> None:
        super().__init__(params, input_shape=input_shape)
        p = self.params
        meta = MapMeta(shape=self.input_shape, box_size=p.box_size)
        statistic = dict(p.statistic)
        self.statistic = cosmossl.create("statistic", statistic.pop("type"), statistic, meta=meta)
        learned = dict(p.learned)
        self.learned = cosmossl.create(
            "encoder", learned.pop("type"), learned,
            summary_dim=p.summary_dim, input_shape=self.input_shape,
        )  # fmt: skip
        features = self.statistic(torch.zeros(1, *self.input_shape)).shape[1]
        self.register_buffer("statistic_mean", torch.zeros(features))
        self.register_buffer("statistic_std", torch.ones(features))
        self.register_buffer("initialised", torch.zeros((), dtype=torch.bool))

    @property
    def summary_dim(self) -> int:
        """The statistic's F numbers plus the learned ``params.summary_dim``."""
        return self.statistic_mean.shape[0] + self.params.summary_dim

    @property
    def statistic_dim(self) -> int:
        """F, the statistic's numbers (the summary's first F entries)."""
        return self.statistic_mean.shape[0]

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            fixed = self.statistic(maps).to(maps.dtype)
            if self.training and not bool(self.initialised):
                self._initialise(fixed)
            fixed = (fixed - self.statistic_mean) / self.statistic_std
        return torch.cat([fixed, self.learned(maps)], dim=1)

    @torch.no_grad()
    def _initialise(self, fixed: torch.Tensor) -> None:
        mean = all_reduce_mean(fixed.double().mean(dim=0))
        square = all_reduce_mean(fixed.double().pow(2).mean(dim=0))
        std = (square - mean.pow(2)).clamp_min(0).sqrt()
        self.statistic_mean.copy_(mean)
        self.statistic_std.copy_(torch.where(std > 1e-8, std, torch.ones_like(std)))
        self.initialised.fill_(True)

"""The run file: one TOML document describing a whole run.

Component slots are tables with ``type = "<name>"`` plus that component's parameters, validated
by the component's own ``Params`` model after plugins have loaded, so third-party components
validate exactly like built-ins::

    seed = 0

    [dataset]
    type = "lognormal"
    n_cosmologies = 200

    [[augmentations]]
    type = "d4"

    [encoder]
    type = "cnn"
    summary_dim = 16

Errors name the file, the table and key, what was expected, and close matches.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cosmossl._util.suggest import did_you_mean
from cosmossl._util.validation import validate_model
from cosmossl.components.params import Params
from cosmossl.config.inference import InferenceSettings
from cosmossl.config.training import TrainSettings
from cosmossl.errors import ConfigError
from cosmossl.plugin.host import registry as default_registry
from cosmossl.plugin.registry import Registry

#: Slots holding exactly one component: table name → component kind.
SINGLE_SLOTS: dict[str, str] = {
    "dataset": "dataset",
    "encoder": "encoder",
    "loss": "loss",
    "backend": "backend",
    "statistic": "statistic",
}
#: Slots holding a list of components (``[[augmentations]]``): array name → component kind.
LIST_SLOTS: dict[str, str] = {"augmentations": "augmentation"}


@dataclass(frozen=True)
class ComponentSpec:
    """A validated component slot: which component, and its parameters."""

    kind: str
    type: str
    params: Params

    def to_table(self) -> dict[str, Any]:
        """The slot as a TOML table again (``type`` plus every parameter, defaults filled in)."""
        return {"type": self.type, **self.params.model_dump(mode="json")}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PairingSettings(_Section):
    """How positive pairs are drawn (see docs/concepts.md)."""

    level: Literal["same-simulation", "same-cosmology", "across-simulations"] = Field(
        "same-cosmology",
        description="Which maps are positives: 'same-simulation' (maps of one simulation), "
        "'same-cosmology' (any maps with the same cosmology: other seeds, other feedback, or the "
        "same simulation), or 'across-simulations' (same cosmology, every view from a different "
        "simulation: positives never share seed or feedback).",
    )
    views: int = Field(2, ge=2, description="Views drawn per group in each batch.")
    small_groups: Literal["replace", "skip", "error"] = Field(
        "replace",
        description="A group with fewer maps than `views`: 'replace' repeats its maps (after "
        "using each once), 'skip' leaves it out, 'error' stops with the groups named.",
    )


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
    seeds: list[int] = Field(
        default_factory=lambda: [0, 1, 2], description="Run seeds; every entry runs with each."
    )
    loss_params: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per-loss parameters, e.g. [compare.loss_params.vicreg] sim_weight = 5.",
    )


class RunSettings(_Section):
    """The top-level keys and core tables of a run file."""

    name: str = Field("run", description="A label for the run, used in reports.")
    seed: int = Field(0, ge=0, description="The one run seed; every stage derives its own.")
    device: str = Field("auto", description="'auto' (CUDA when present, else CPU), 'cpu', 'cuda'.")
    run_dir: str = Field("runs/{name}", description="Output folder ({name} is replaced).")
    pairing: PairingSettings = Field(
        default_factory=PairingSettings, description="[pairing] table: positive pairs."
    )
    train: TrainSettings = Field(default_factory=TrainSettings)
    inference: InferenceSettings = Field(default_factory=InferenceSettings)
    fisher: FisherSettings = Field(default_factory=FisherSettings)
    compare: CompareSettings = Field(default_factory=CompareSettings)


@dataclass(frozen=True)
class RunConfig:
    """A validated run file."""

    settings: RunSettings
    components: dict[str, ComponentSpec] = field(default_factory=dict)
    augmentations: tuple[ComponentSpec, ...] = ()
    source: str = "<config>"
    raw: Mapping[str, Any] = field(default_factory=dict)

    def component(self, slot: str) -> ComponentSpec | None:
        return self.components.get(slot)

    def describe(self) -> str:
        """A few lines saying what this run would do."""
        lines = [
            f"run '{self.settings.name}' (seed {self.settings.seed}, device {self.settings.device})"
        ]
        for slot, spec in self.components.items():
            lines.append(f"  {slot:<13} {spec.type}  {_short(spec.params)}")
        for spec in self.augmentations:
            lines.append(f"  {'augmentation':<13} {spec.type}  {_short(spec.params)}")
        pairing, train = self.settings.pairing, self.settings.train
        lines.append(f"  {'pairing':<13} {pairing.views} views per group, {pairing.level}")
        if "encoder" in self.components:
            lines.append(
                f"  {'train':<13} {train.epochs} epochs × {train.batch_size} groups, "
                f"lr {train.lr:g} ({train.schedule})"
            )
        if "compare" in self.raw:
            compare = self.settings.compare
            lines.append(
                f"  {'compare':<13} {', '.join(compare.losses + compare.baselines)} "
                f"× seeds {compare.seeds}"
            )
        return "\n".join(lines)


def _short(params: Params) -> str:
    """The parameters that differ from their defaults (``cosmossl explain`` lists the rest)."""
    items = params.model_dump(mode="json", exclude_defaults=True)
    return ", ".join(f"{k}={v}" for k, v in items.items()) or "(defaults)"


def load_run_config(path: str | Path, *, registry: Registry | None = None) -> RunConfig:
    """Read and validate a run file; every problem raises :class:`ConfigError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read run file '{path}': {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_run_config(data, source=str(path), registry=registry)


def parse_run_config(
    data: Mapping[str, Any], *, source: str = "<config>", registry: Registry | None = None
) -> RunConfig:
    """Validate an already-parsed run file (see :func:`load_run_config`)."""
    registry = registry or default_registry()
    rest = dict(data)
    components = {}
    for slot, kind in SINGLE_SLOTS.items():
        if slot in rest:
            components[slot] = validate_slot(kind, rest.pop(slot), f"{source}: [{slot}]", registry)
    augmentations = []
    for slot, kind in LIST_SLOTS.items():
        tables = rest.pop(slot, [])
        if not isinstance(tables, list):
            raise ConfigError(f"{source}: '{slot}' must be an array of tables ([[{slot}]]).")
        for i, table in enumerate(tables, start=1):
            where = f"{source}: [[{slot}]] #{i}"
            augmentations.append(validate_slot(kind, table, where, registry))
    unknown_slots = [k for k in rest if k not in RunSettings.model_fields]
    if unknown_slots:
        key = unknown_slots[0]
        options = [*RunSettings.model_fields, *SINGLE_SLOTS, *LIST_SLOTS]
        raise ConfigError(
            f"{source}: unknown key or table '{key}'.{did_you_mean(key, options)} "
            f"Valid: {', '.join(options)}."
        )
    settings = validate_model(RunSettings, rest, where=f"{source}:")
    return RunConfig(settings, components, tuple(augmentations), source, dict(data))


def validate_slot(kind: str, table: Any, where: str, registry: Registry) -> ComponentSpec:
    """Validate one ``type = "..."`` table against the named component's ``Params``."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table with a 'type' key naming the {kind} to use.")
    params = dict(table)
    name = params.pop("type", None)
    if not isinstance(name, str):
        available = ", ".join(registry.names(kind)) or "none"
        raise ConfigError(
            f'{where} needs type = "<name>" naming the {kind} to use. Available: {available}.'
        )
    if (kind, name) not in registry:
        raise ConfigError(f"{where} type = '{name}': {registry.unknown_message(kind, name)}")
    cls = registry.load(kind, name)
    return ComponentSpec(kind, name, validate_model(cls.Params, params, where=where))

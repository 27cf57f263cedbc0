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
from typing import Any

from cosmossl._util.suggest import did_you_mean
from cosmossl._util.validation import validate_model
from cosmossl.components import KIND_TABLE, Kind
from cosmossl.components.params import Params
from cosmossl.config.settings import Contamination, RunSettings
from cosmossl.errors import ConfigError
from cosmossl.plugin.host import registry as default_registry
from cosmossl.plugin.provenance import code_identity
from cosmossl.plugin.registry import Registry

#: Component slots of a run file (from the one table of kinds): table name → kind.
SLOTS: dict[str, Kind] = {kind.slot: kind for kind in KIND_TABLE}


@dataclass(frozen=True)
class ComponentSpec:
    """A validated component slot: which component, and its parameters."""

    kind: str
    type: str
    params: Params

    def to_table(self) -> dict[str, Any]:
        """The slot as a TOML table again (``type`` plus every parameter, defaults filled in)."""
        return {"type": self.type, **self.params.model_dump(mode="json")}


@dataclass(frozen=True)
class RunConfig:
    """A validated run file."""

    settings: RunSettings
    components: dict[str, ComponentSpec] = field(default_factory=dict)
    augmentations: tuple[ComponentSpec, ...] = ()
    source: str = "<config>"

    def component(self, slot: str) -> ComponentSpec | None:
        return self.components.get(slot)

    def require(self, slot: str, purpose: str = "the run", example: str = "") -> ComponentSpec:
        """The spec of ``slot``, or a :class:`ConfigError` saying that ``purpose`` needs it
        (with ``example``, e.g. ``'type = "sbi"'``, as a hint)."""
        spec = self.components.get(slot)
        if spec is None:
            hint = f", e.g. [{slot}] {example}" if example else ""
            raise ConfigError(
                f"{self.source}: {purpose} needs a [{slot}] table, but the run file has no "
                f"[{slot}] table; add one{hint}"
            )
        return spec

    def to_table(self) -> dict[str, Any]:
        """The run file as a TOML-like table again: the keys that were given, every component
        slot with its parameters (defaults filled in). ``parse_run_config`` reads it back."""
        table: dict[str, Any] = self.settings.model_dump(mode="json", exclude_unset=True)
        table.update({slot: spec.to_table() for slot, spec in self.components.items()})
        if self.augmentations:
            table["augmentations"] = [spec.to_table() for spec in self.augmentations]
        return table

    def training_record(self) -> dict[str, Any]:
        """The run-file parts that define what is trained, and the code of the components that
        train (see :func:`~cosmossl.plugin.provenance.code_identity`); a resumed training must
        match them."""
        record: dict[str, Any] = {
            "seed": self.settings.seed,
            "pairing": self.settings.pairing.model_dump(mode="json"),
            "augmentations": [spec.to_table() for spec in self.augmentations],
        }
        specs = [*self.augmentations]
        for slot in ("dataset", "encoder", "loss"):
            if slot in self.components:
                record[slot] = self.components[slot].to_table()
                specs.append(self.components[slot])
        record["code"] = [code_identity(spec.kind, spec.type) for spec in specs]
        return record

    def outline(self) -> tuple[str, list[tuple[str, str]]]:
        """What this run would do: a title and ``(part, what)`` rows (``describe`` and the run
        report lay them out)."""
        settings = self.settings
        seeds = f"seed {settings.seed}"
        if settings.dataset_seed != settings.seed:
            seeds += f", data seed {settings.dataset_seed}"
        title = f"run '{settings.name}' ({seeds}, device {settings.device})"
        rows = [(slot, _short(spec)) for slot, spec in self.components.items()]
        rows += [("augmentation", _short(spec)) for spec in self.augmentations]
        pairing, train = settings.pairing, settings.train
        mixture = f" ({pairing.paired_fraction:g} of rows)" if pairing.paired_fraction < 1 else ""
        rows.append(("pairing", f"{pairing.views} views per group, {pairing.level}{mixture}"))
        if "encoder" in self.components:
            rows.append(
                ("train", f"{train.epochs} epochs × {train.batch_size} groups, "
                 f"lr {train.lr:g} ({train.schedule})")
            )  # fmt: skip
        if settings.hardening.nuisance:
            against = ", ".join(settings.hardening.nuisance)
            rows.append(("hardening", f"every summary also hardened against {against}"))
        robustness = settings.robustness
        if robustness.contaminations:
            size = settings.robustness_survey_size
            names = ", ".join(c.label for c in robustness.contaminations)
            rows.append(("robustness", f"{names} (test surveys of {size} maps)"))
        if "compare" in settings.model_fields_set:
            compare = settings.compare
            entries = ", ".join(compare.losses + compare.baselines)
            rows.append(("compare", f"{entries} × seeds {compare.seeds}"))
        return title, rows

    def describe(self) -> str:
        """A few lines saying what this run would do (for a terminal)."""
        title, rows = self.outline()
        return "\n".join([title, *(f"  {part:<13} {what}" for part, what in rows)])


def _short(spec: ComponentSpec) -> str:
    """``type (key=value, ...)`` with the parameters that differ from their defaults
    (``cosmossl explain`` lists the rest)."""
    items = spec.params.model_dump(mode="json", exclude_defaults=True)
    return f"{spec.type} ({', '.join(f'{k}={v}' for k, v in items.items()) or 'defaults'})"


def load_run_config(path: str | Path, *, registry: Registry | None = None) -> RunConfig:
    """Read and validate a run file; every problem raises :class:`ConfigError`."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"run file '{path}' is a folder; give the path of a TOML file")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read run file '{path}': {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a text file in UTF-8 (byte {exc.start} is {exc.object[exc.start]:#04x}); "
            "a run file is TOML text"
        ) from None
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
    augmentations = []
    for slot, kind in SLOTS.items():
        if slot not in rest:
            continue
        table = rest.pop(slot)
        if not kind.many:
            components[slot] = validate_slot(kind.name, table, f"{source}: [{slot}]", registry)
            continue
        if not isinstance(table, list):
            raise ConfigError(f"{source}: '{slot}' must be an array of tables ([[{slot}]]).")
        for i, item in enumerate(table, start=1):
            where = f"{source}: [[{slot}]] #{i}"
            augmentations.append(validate_slot(kind.name, item, where, registry))
    unknown_slots = [k for k in rest if k not in RunSettings.model_fields]
    if unknown_slots:
        key = unknown_slots[0]
        options = [*RunSettings.model_fields, *SLOTS]
        raise ConfigError(
            f"{source}: unknown key or table '{key}'.{did_you_mean(key, options)} "
            f"Valid: {', '.join(options)}."
        )
    settings = validate_model(RunSettings, rest, where=f"{source}:")
    config = RunConfig(settings, components, tuple(augmentations), source)
    for contamination in settings.robustness.contaminations:
        contamination_spec(config, contamination, registry)  # errors now, not after training
    return config


def contamination_spec(
    config: RunConfig, contamination: Contamination, registry: Registry | None = None
) -> ComponentSpec:
    """The validated component of a ``[[robustness.contaminations]]`` table: its augmentation,
    or the run's dataset with the contamination's parameters put in."""
    registry = registry or default_registry()
    index = config.settings.robustness.contaminations.index(contamination) + 1
    where = f"{config.source}: [[robustness.contaminations]] #{index}"
    if contamination.augmentation is not None:
        return validate_slot(
            "augmentation", contamination.augmentation, f"{where} augmentation", registry
        )
    dataset = config.require("dataset", "a dataset contamination")
    if contamination.dataset.get("type", dataset.type) != dataset.type:
        raise ConfigError(
            f"{where} dataset: a contamination changes parameters of the run's dataset "
            f"'{dataset.type}'; it cannot change its type to '{contamination.dataset['type']}'"
        )
    table = {**dataset.to_table(), **contamination.dataset, "type": dataset.type}
    return validate_slot("dataset", table, f"{where} dataset", registry)


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

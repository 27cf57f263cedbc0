"""What a run file asks each command to do, checked before any work.

``cosmossl validate`` and the start of every command call the same functions, so a run file
that validates does not fail later for a reason that could have been seen at the start, and
both say it in the same words:

- :func:`check_config`: the tables a command needs (``run`` needs a ``[dataset]`` and something
  to summarise, and a ``[backend]`` for ``[robustness]``; ``compare`` a ``[backend]`` and valid
  entries, ...);
- :func:`compare_plan`: every ``[compare]`` entry × seed as its own run file, each loss and
  statistic imported and its parameters validated, errors naming the table the user wrote;
- :func:`check_dataset`: the dataset is built and, when it reads files, opened (headers,
  dtypes, metadata) — the same checks, and messages, as when a command loads it; so is each
  robustness contamination's dataset (:func:`contamination_dataset`);
- :func:`check_dimensions`: every component that takes maps (augmentations, encoder,
  statistic, contaminations, compared baselines) works on maps of the dataset's number of
  spatial dimensions (2D maps or 3D volumes), or the run is refused naming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cosmossl._util.suggest import did_you_mean
from cosmossl.components.dataset import Simulator
from cosmossl.components.meta import MapMeta, dimension_name
from cosmossl.config.run_file import ComponentSpec, RunConfig, contamination_spec, validate_slot
from cosmossl.config.settings import RunSettings
from cosmossl.errors import ConfigError
from cosmossl.plugin.factory import create
from cosmossl.plugin.host import registry as default_registry

#: The commands whose needs :func:`check_config` knows.
COMMANDS = ("run", "compare", "simulate", "train", "compress", "infer", "fisher")


def check_config(config: RunConfig, command: str = "run") -> None:
    """Raise :class:`ConfigError` if ``config`` lacks what ``cosmossl COMMAND`` needs."""
    purpose = f"`cosmossl {command}`"
    if command not in ("infer",):
        config.require("dataset", purpose, 'type = "lognormal"')
    if command == "run":
        check_summaries(config)
        if config.settings.robustness.contaminations:
            config.require("backend", "[robustness]", 'type = "sbi"')
    if command == "train":
        config.require("encoder", purpose, 'type = "cnn"')
        config.require("loss", purpose, 'type = "vicreg"')
    if command == "infer":
        config.require("backend", purpose, 'type = "sbi"')
    if command == "compare":
        compare_plan(config)


def check_summaries(config: RunConfig) -> None:
    """The main job needs a summary to infer from: a trained one, a statistic, or both."""
    encoder, loss = config.component("encoder"), config.component("loss")
    if (encoder is None or loss is None) and config.component("statistic") is None:
        raise ConfigError(
            f"{config.source}: nothing to summarise: give [encoder] and [loss] tables "
            "(a trained summary) and/or a [statistic] table (e.g. power-spectrum)"
        )
    if (encoder is None) != (loss is None):
        given, missing = ("encoder", "loss") if loss is None else ("loss", "encoder")
        raise ConfigError(
            f"{config.source}: the run file has a [{given}] table but no [{missing}] table: "
            "training an encoder needs both (or remove it: the [statistic] is summarised alone)"
        )


def build_dataset(
    config: RunConfig,
    purpose: str,
    spec: ComponentSpec | None = None,
    *,
    where: str = "[dataset]",
) -> Any:
    """The run file's dataset component (``purpose`` names the command in errors), or the
    dataset ``spec`` of another table of the run file (``where``, e.g. a robustness
    contamination's); the dataset's own checks of its parameters are errors naming the table."""
    if spec is None:
        spec = config.require("dataset", purpose, 'type = "lognormal"')
    try:
        return create("dataset", spec.type, spec.params)
    except ValueError as exc:  # the dataset's own check of its parameters
        raise ConfigError(f"{config.source}: {where}: {exc}") from None


def contamination_dataset(config: RunConfig, index: int) -> Any:
    """The dataset of ``[[robustness.contaminations]]`` number ``index`` (a ``dataset`` table):
    the run's dataset with the contamination's parameters put in, built like the run's own."""
    contamination = config.settings.robustness.contaminations[index]
    spec = contamination_spec(config, contamination)
    where = f"[[robustness.contaminations]] #{index + 1} dataset"
    return build_dataset(config, "a dataset contamination", spec, where=where)


def check_dataset(config: RunConfig, purpose: str, *, seed: int | None = None) -> MapMeta | None:
    """Build the dataset and, when it reads files, open them (the maps stay on disk); the same
    for the dataset of every robustness contamination that makes the data set again. Returns
    the geometry of the run dataset's maps when it is known without simulating them."""
    datasets = [build_dataset(config, purpose)]
    for index, contamination in enumerate(config.settings.robustness.contaminations):
        if contamination.dataset is not None:
            datasets.append(contamination_dataset(config, index))
    metas = []
    for dataset in datasets:
        meta = getattr(dataset, "meta", None)
        if not isinstance(dataset, Simulator) and dataset.files():
            seed = config.settings.seed if seed is None else seed
            meta = dataset.load(seed=seed, progress=False).meta
        metas.append(meta if isinstance(meta, MapMeta) else None)
    return metas[0]


def _map_components(config: RunConfig) -> Iterator[tuple[str, ComponentSpec]]:
    """``(where, spec)`` of every component of ``config`` that takes maps."""
    for index, spec in enumerate(config.augmentations, start=1):
        yield f"[[augmentations]] #{index}", spec
    for slot in ("encoder", "statistic"):
        spec = config.component(slot)
        if spec is not None:
            yield f"[{slot}]", spec
    for index, contamination in enumerate(config.settings.robustness.contaminations, start=1):
        if contamination.augmentation is not None:
            where = f"[[robustness.contaminations]] #{index}"
            yield where, contamination_spec(config, contamination)


def check_dimensions(config: RunConfig, meta: MapMeta, command: str = "run") -> None:
    """Refuse a run file whose map components do not take maps like the dataset's: a 2D-only
    component (the ``d4`` augmentation, the ``timm`` encoder, a third-party component that does
    not declare ``spatial_dims``) on 3D volumes, the cube's group on 2D maps, ... The message
    names the table and the component. ``compare`` checks every compared entry too."""
    configs = [config]
    if command == "compare":
        configs += [entry for *_, entry in compare_plan(config)]
    registry = default_registry()
    seen = set()
    for each in configs:
        for where, spec in _map_components(each):
            key = (where, spec.type, spec.params.model_dump_json())
            if key in seen:
                continue
            seen.add(key)
            cls = registry.load(spec.kind, spec.type)
            check = getattr(cls, "dimension_problem", None)
            problem = check(spec.params, meta.spatial_dims) if check else None
            if problem is not None:
                raise ConfigError(
                    f"{config.source}: {where} {spec.kind} '{spec.type}' {problem} (the "
                    f"dataset's maps are {dimension_name(meta.spatial_dims)} of shape "
                    f"{tuple(meta.shape)})"
                )


# ---- cosmossl compare ----------------------------------------------------------------------


def entries(config: RunConfig) -> list[tuple[str, str]]:
    """``(name, kind)`` of every compared entry, ``kind`` being ``"loss"`` or ``"statistic"``."""
    registry = default_registry()
    options = config.settings.compare
    out = []
    for name in [*options.losses, *options.baselines]:
        if ("loss", name) in registry:
            out.append((name, "loss"))
        elif ("statistic", name) in registry:
            out.append((name, "statistic"))
        else:
            known = [*registry.names("loss"), *registry.names("statistic")]
            close = did_you_mean(name, known)
            missing = "" if close else " A plugin providing it may not be installed."
            raise ConfigError(
                f"{config.source}: [compare] '{name}' is neither a registered loss nor a "
                f"statistic.{close} Losses: {', '.join(registry.names('loss'))}"
                f"; statistics: {', '.join(registry.names('statistic'))}.{missing}"
            )
    if len({name for name, _ in out}) != len(out):
        raise ConfigError(f"{config.source}: [compare] lists an entry twice")
    losses = [name for name, kind in out if kind == "loss"]
    for name in config.settings.compare.loss_params:
        if name not in losses:
            raise ConfigError(
                f"{config.source}: [compare.loss_params.{name}] names no compared loss."
                f"{did_you_mean(name, losses)} Compared losses: {', '.join(losses) or 'none'}."
            )
    return out


def entry_config(config: RunConfig, name: str, kind: str, seed: int) -> RunConfig:
    """The run file of one entry and seed: same data, encoder, budget; its own loss or statistic."""
    registry = default_registry()
    dropped = {"compare"} if kind == "loss" else {"compare", "train"}
    settings = RunSettings.model_validate({
        **config.settings.model_dump(exclude=dropped, exclude_unset=True),
        "seed": seed,
        "name": f"{config.settings.name}-{name}-seed{seed}",
    })  # fmt: skip
    components = {k: v for k, v in config.components.items() if k not in ("loss", "statistic")}
    augmentations = config.augmentations
    if kind == "loss":
        if "encoder" not in components:
            raise ConfigError(f"{config.source}: comparing losses needs an [encoder] table")
        params = config.settings.compare.loss_params.get(name)
        where = (
            f"{config.source}: [compare.loss_params.{name}]"
            if params is not None
            else f"{config.source}: [compare] losses '{name}'"
        )
        components["loss"] = validate_slot(
            "loss", {"type": name, **(params or {})}, where, registry
        )
    else:
        components.pop("encoder", None)
        augmentations = ()
        where = f"{config.source}: [compare] baselines '{name}'"
        components["statistic"] = validate_slot("statistic", {"type": name}, where, registry)
    source = f"{config.source} [compare {name}, seed {seed}]"
    return RunConfig(settings, components, augmentations, source)


def compare_plan(config: RunConfig) -> list[tuple[str, str, int, RunConfig]]:
    """``(name, kind, seed, run file)`` of every run of a comparison, all validated up front."""
    config.require("dataset", "`cosmossl compare`", 'type = "lognormal"')
    if config.component("backend") is None:
        raise ConfigError(f'{config.source}: compare needs a [backend] table (e.g. type = "sbi")')
    plan = entries(config)
    return [
        (name, kind, seed, entry_config(config, name, kind, seed))
        for seed in config.settings.compare.seeds
        for name, kind in plan
    ]

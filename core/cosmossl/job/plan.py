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
  robustness contamination's dataset (:func:`contamination_dataset`); the dataset can set the
  nuisance parameters that ``[hardening]`` names (:func:`check_hardening`); for a command, so are
  the splits of those maps (:func:`check_splits`) and the size of the encoder and loss it
  trains on them (:func:`check_model`, on torch's ``meta`` device: nothing is allocated);
- :func:`check_data`: what the inference will ask of the rows (a prior for every parameter,
  enough groups to hold some out, enough maps per group for the surveys), checked on the map
  set as soon as it is loaded — by ``validate`` for a dataset that reads files, by ``run``
  before training — and on the summaries file by ``infer``, in the user's terms (their group
  ids, their parameter names);
- :func:`check_output`: the run directory the command writes
  (:func:`~cosmossl.job.run_dir.check_run_directory`, which every command that writes one
  calls too).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.suggest import did_you_mean
from cosmossl.components.dataset import Simulator
from cosmossl.components.meta import MapMeta
from cosmossl.config.run_file import ComponentSpec, RunConfig, contamination_spec, validate_slot
from cosmossl.config.settings import RunSettings
from cosmossl.data.rows import GroupedRows
from cosmossl.data.splits import Split
from cosmossl.errors import ConfigError, DataError
from cosmossl.information.hardening import nuisance_indices
from cosmossl.job.run_dir import check_run_directory, run_directory
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


def check_dataset(
    config: RunConfig, purpose: str, *, seed: int | None = None, command: str | None = None
) -> None:
    """Build the dataset and, when it reads files, open them (the maps stay on disk); the same
    for the dataset of every robustness contamination that makes the data set again. The
    dataset must be able to set the nuisance parameters ``[hardening]`` names.

    With ``command``, also what that command will make of the maps: their splits
    (:func:`check_splits`, for maps read from files) and the encoder and loss it will train on
    them (:func:`check_model`)."""
    datasets = [build_dataset(config, purpose)]
    check_hardening(config, datasets[0])
    for index, contamination in enumerate(config.settings.robustness.contaminations):
        if contamination.dataset is not None:
            datasets.append(contamination_dataset(config, index))
    seed = config.settings.dataset_seed if seed is None else seed
    loaded = [
        dataset.load(seed=seed, progress=False) if _reads_files(dataset) else None
        for dataset in datasets
    ]
    dataset, mapset = datasets[0], loaded[0]
    if mapset is not None and command is not None:
        check_splits(config, mapset, command)
    if mapset is not None and command in (None, "run", "compare"):
        check_data(config, mapset)  # the run's own data, once every file is opened
    if command in ("run", "train", "compare"):
        rows = mapset if mapset is not None else dataset
        if mapset is not None or isinstance(dataset, Simulator):
            check_model(config, rows.meta, len(rows.param_names))


def _reads_files(dataset: Any) -> bool:
    return not isinstance(dataset, Simulator) and bool(dataset.files())


# ---- what the run will make: its folder, its model, its splits -----------------------------


def check_output(config: RunConfig, command: str, run_dir: str | Path | None = None) -> None:
    """The run directory that ``cosmossl COMMAND`` writes into (``run_dir``, default the run
    file's) is one cosmossl may use (:func:`~cosmossl.job.run_dir.check_run_directory`)."""
    if command == "fisher":  # writes only where --out says
        return
    flag = "--out" if command == "compare" else "--run-dir"
    check_run_directory(run_directory(config, run_dir), flag=flag)


def check_splits(config: RunConfig, rows: GroupedRows, command: str) -> None:
    """The splits of the maps hold what ``cosmossl COMMAND`` works on: train maps to train an
    encoder and to fit the ``[backend]`` on, test maps to judge its posterior."""
    trains = command in ("run", "train", "compare") and config.component("encoder") is not None
    infers = command in ("run", "compare") and config.component("backend") is not None
    counts = {str(split): int(np.count_nonzero(rows.split == split)) for split in Split}
    fit_on = config.settings.inference.fit_on
    fit_rows = counts["train"] + (counts["val"] if fit_on == "train+val" else 0)
    uses = " and ".join(
        [*(["the encoder is trained"] if trains else []),
         *(["the [backend] fitted" if trains else "the [backend] is fitted"] if infers else [])]
    )  # fmt: skip
    if (trains and counts["train"] == 0) or (infers and fit_rows == 0):
        raise DataError(
            f"{rows.where()} has no train rows (split code 0; {_others(counts, 'train')}): "
            f"{uses} on the train maps; give some cosmologies split code 0"
        )
    if infers and counts["test"] == 0:
        raise DataError(
            f"{rows.where()} has no test rows (split code 2; {_others(counts, 'test')}): the "
            "[backend]'s posterior is judged on the test maps; give some cosmologies split code 2"
        )


def _others(counts: dict[str, int], missing: str) -> str:
    held = [f"{n} {name}" for name, n in counts.items() if name != missing and n]
    return f"it has {' and '.join(held)} rows" if held else "it has no rows at all"


def check_model(config: RunConfig, meta: MapMeta, param_dim: int) -> None:
    """The run file's encoder and loss are built on torch's ``meta`` device, which allocates
    nothing, and refused (:class:`ConfigError`) when training them needs more memory than the
    training device has: an absurd size (``summary_dim = 1000000000000``) is a message before
    any work, not an allocation failure after the data were made."""
    import torch

    from cosmossl._util.devices import resolve_device

    encoder_spec, loss_spec = config.component("encoder"), config.component("loss")
    if encoder_spec is None:
        return
    device = resolve_device(config.settings.device)
    what = f"[encoder] {_table(encoder_spec)}" + (
        f" with [loss] {_table(loss_spec)}" if loss_spec is not None else ""
    )
    try:
        with torch.device("meta"):
            encoder = create("encoder", encoder_spec.type, encoder_spec.params,
                             input_shape=tuple(meta.shape))  # fmt: skip
            modules = [encoder]
            if loss_spec is not None:
                dims = {"summary_dim": encoder.summary_dim, "param_dim": param_dim}
                modules.append(create("loss", loss_spec.type, loss_spec.params, **dims))
    except (RuntimeError, TypeError, OverflowError) as exc:
        if "overflow" not in str(exc).lower():
            return  # a component that cannot be built without memory: checked when it is built
        raise ConfigError(
            f"{config.source}: {what} is too large: its tensors cannot even be addressed; "
            "lower the sizes in [encoder] (summary_dim, width, ...)"
        ) from None
    except ValueError as exc:  # the component's own check of its parameters
        raise ConfigError(f"{config.source}: {what}: {exc}") from None
    numbers = sum(t.numel() for m in modules for t in (*m.parameters(), *m.buffers()))
    needed = 4 * 4 * numbers  # float32 weights, gradients and AdamW's two moments
    memory = _memory(device)
    if memory is not None and needed > memory:
        raise ConfigError(
            f"{config.source}: {what} is too large: {numbers:.3g} weights need about "
            f"{_bytes(needed)} to train (weights, gradients, AdamW state), more than the "
            f"{_bytes(memory)} of {device.type.upper()} memory here; lower the sizes in "
            "[encoder] (summary_dim, width, ...)"
        )


def _table(spec: ComponentSpec) -> str:
    """The table as the user wrote it: ``type = "cnn", summary_dim = 16``."""
    given = {"type": spec.type, **spec.params.model_dump(mode="json", exclude_unset=True)}
    return ", ".join(f"{k} = {json.dumps(v)}" for k, v in given.items())


def _memory(device: Any) -> int | None:
    """Bytes of memory of ``device`` (a torch device): the GPU's, or the machine's RAM."""
    import torch

    try:
        if device.type == "cuda":
            return int(torch.cuda.get_device_properties(device).total_memory)
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError, RuntimeError):
        return None


def _bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


# ---- what the inference asks of the data ---------------------------------------------------


def check_data(config: RunConfig, rows: GroupedRows) -> None:
    """Raise :class:`ConfigError` if the inference of ``config`` cannot run on ``rows`` (a map
    set or a summaries file): a parameter without a prior, fewer than 2 groups to fit on, or a
    group with fewer maps than a survey needs. Nothing is checked without a ``[backend]``."""
    if config.component("backend") is None:
        return
    settings = config.settings
    _check_priors(config, rows)
    codes = (Split.TRAIN,) if settings.inference.fit_on == "train" else (Split.TRAIN, Split.VAL)
    fit = np.isin(rows.split, codes)
    groups = np.unique(rows.cosmology_id[fit])
    if groups.size < 2:
        splits = " and ".join(str(Split(c)) for c in codes)
        raise ConfigError(
            f"{config.source}: the posterior is fitted on the {splits} split, which holds "
            f"{groups.size} group(s); it needs at least 2, to hold some out for early stopping: "
            "add groups or give the split more of them"
        )
    sizes = {settings.inference.survey_size: "[inference] survey_size"}
    if settings.robustness.contaminations:
        sizes.setdefault(settings.robustness_survey_size, "[robustness] survey_size")
    surveyed = fit | (rows.split == Split.TEST)
    for size, key in sizes.items():
        if size > 1:
            _check_survey_size(config, rows, surveyed, size, key, codes)


def _check_priors(config: RunConfig, rows: GroupedRows) -> None:
    missing = [name for name in rows.param_names if name not in rows.priors]
    if missing:
        example = ", ".join(f"{name} = [low, high]" for name in missing)
        verb = "has" if len(missing) == 1 else "have"
        raise ConfigError(
            f"{config.source}: the posterior needs a prior for every parameter, and "
            f"{', '.join(missing)} {verb} none: state it in the [dataset] table, e.g. "
            f"priors = {{ {example} }} (a parameter with one value in every map has no min–max "
            "to fall back on)"
        )


def _check_survey_size(
    config: RunConfig,
    rows: GroupedRows,
    surveyed: np.ndarray,
    size: int,
    key: str,
    codes: tuple[Split, ...],
) -> None:
    """Each group of the surveyed rows needs ``size`` maps with distinct seeds (paired twins
    share one), as :func:`cosmossl.inference.surveys.draw_surveys` draws them."""
    ids, seeds = rows.cosmology_id[surveyed], rows.seed_id[surveyed]
    pairs = np.unique(np.stack([ids, seeds]), axis=1)  # one column per (group, seed)
    groups, counts = np.unique(pairs[0], return_counts=True)
    short = counts < size
    if not short.any():
        return
    named = [str(g) for g in groups[short]]
    listed = ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else named[0]
    if len(named) > 8:
        listed = f"{', '.join(named[:8])} and {len(named) - 8} more"
    low, high = int(counts[short].min()), int(counts[short].max())
    have = f"{low}" if low == high else f"{low} to {high}"
    splits = ", ".join(str(Split(c)) for c in codes) + " and test"
    noun = "group" if len(named) == 1 else "groups"
    verb = "has" if len(named) == 1 else "have"
    raise ConfigError(
        f"{config.source}: {key} = {size} needs {size} maps per group (distinct seeds) in the "
        f"{splits} splits; {noun} {listed} (of {groups.size}) {verb} {have} — lower "
        f"{key.split()[-1]} or add maps to {'it' if len(named) == 1 else 'them'}"
    )


def check_hardening(config: RunConfig, dataset: Any) -> None:
    """Refuse, before any work, a ``[hardening]`` whose nuisance parameters the run's dataset
    cannot set (the message names the run file)."""
    nuisance = config.settings.hardening.nuisance
    if not nuisance:
        return
    try:
        nuisance_indices(dataset, nuisance)
    except ConfigError as exc:
        raise ConfigError(f"{config.source}: [hardening] {exc}") from None


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
        "data_seed": config.settings.dataset_seed,  # one data set and split for every seed
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

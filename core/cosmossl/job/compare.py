"""``cosmossl compare``: SSL losses head-to-head on the same data, encoder, budget and seeds.

Each entry of ``[compare] losses`` (and each loss among the baselines, e.g. ``supervised``) trains
the run file's encoder with the run file's ``[train]`` budget; each statistic among the baselines
(e.g. ``power-spectrum``) is used directly as the summary. Every entry runs once per seed, on the
data of that seed (simulated once and shared), and is judged by the same backend and diagnostics.
"""

from __future__ import annotations

import logging
import math
import statistics
from pathlib import Path
from typing import Any

from cosmossl._util.suggest import did_you_mean
from cosmossl.config.run_file import RunConfig, load_run_config, validate_slot
from cosmossl.config.settings import RunSettings
from cosmossl.errors import ConfigError
from cosmossl.job import run_dir as layout
from cosmossl.job.report.compare_report import write_compare_report
from cosmossl.job.results import CompareResult, epoch_history, headline, robustness_columns
from cosmossl.job.run_dir import RunDirectory, run_directory
from cosmossl.plugin.host import registry as default_registry

log = logging.getLogger("cosmossl.job.compare")


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
            raise ConfigError(
                f"{config.source}: [compare] '{name}' is neither a registered loss nor a "
                f"statistic.{did_you_mean(name, known)} Losses: {', '.join(registry.names('loss'))}"
                f"; statistics: {', '.join(registry.names('statistic'))}."
            )
    if len({name for name, _ in out}) != len(out):
        raise ConfigError(f"{config.source}: [compare] lists an entry twice")
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


def compare(
    config: RunConfig | str | Path,
    *,
    out_dir: str | Path | None = None,
    progress: bool = True,
    force: bool = False,
) -> CompareResult:
    """Run every entry × seed (see the module docstring) and write the comparison."""
    from cosmossl.job.run import run

    if not isinstance(config, RunConfig):
        config = load_run_config(config)
    if config.component("backend") is None:
        raise ConfigError(f'{config.source}: compare needs a [backend] table (e.g. type = "sbi")')
    plan = entries(config)
    root = Path(out_dir) if out_dir is not None else run_directory(config)
    result = CompareResult(root)
    for seed in config.settings.compare.seeds:
        for name, kind in plan:
            log.info("compare: %s (%s), seed %d", name, kind, seed)
            sub = entry_config(config, name, kind, seed)
            run_dir = root / name / f"seed{seed}"
            outcome = run(
                sub, run_dir=run_dir, progress=progress, force=force,
                data_dir=root / "data" / f"seed{seed}",
            )  # fmt: skip
            label = layout.ENCODER if kind == "loss" else name
            result.rows.append(_row(name, kind, seed, label, outcome, sub))
    result.table = aggregate(result.rows)
    result.files = write_compare_report(config, root, result)
    return result


def _row(name: str, kind: str, seed: int, label: str, outcome: Any, sub: RunConfig) -> dict:
    row: dict[str, Any] = {"entry": name, "kind": kind, "seed": seed}
    row.update(headline(outcome.metrics[label]))
    if outcome.fisher:
        entry = outcome.fisher["summaries"][label]
        row["fom_fraction"] = entry["fom_fraction"]
        for param, sigma, ratio in zip(
            outcome.fisher["param_names"], entry["sigma"], entry["sigma_ratio"]
        ):
            row[f"cr_sigma_{param}"] = sigma
            row[f"cr_sigma_ratio_{param}"] = ratio
    row.update(robustness_columns(outcome.robustness.get(label)))
    if kind == "loss":
        train_seconds = RunDirectory(outcome.run_dir).seconds("train")
        history = epoch_history(outcome.run_dir / layout.TRAINING_METRICS)
        if train_seconds and history:
            settings = sub.settings
            maps = history[-1]["step"] * settings.train.batch_size * settings.pairing.views
            row["train_seconds"] = train_seconds
            row["maps_per_second"] = maps / train_seconds
    return row


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and standard deviation over seeds of every numeric column, per entry."""
    table = []
    for name in dict.fromkeys(r["entry"] for r in rows):
        group = [r for r in rows if r["entry"] == name]
        out: dict[str, Any] = {"entry": name, "kind": group[0]["kind"], "seeds": len(group)}
        keys = [k for k in group[0] if k not in ("entry", "kind", "seed")]
        for key in keys:
            values = [r[key] for r in group if isinstance(r.get(key), int | float)]
            values = [v for v in values if math.isfinite(v)]
            if values:
                out[key] = statistics.fmean(values)
                out[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        table.append(out)
    return table

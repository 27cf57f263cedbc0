"""Robustness: every summary judged on contaminated test maps by its posterior fitted on clean maps.

``[robustness]`` names contaminations (``[[robustness.contaminations]]``): a registered
augmentation applied once to every test map — any augmentation, a third party's included — or
the run's dataset made again with some parameters replaced (e.g. a shifted feedback prior), whose
test split holds the same cosmologies and seeds. For each summary (the trained encoder and each
statistic) the clean test surveys and the contaminated ones (the same rows, contaminated) go
through the same posterior; :func:`cosmossl.inference.diagnostics.robustness_metrics` puts the
two evaluations side by side. The main job (:mod:`cosmossl.job.run`) runs this as cached stages:
``contaminate-*`` (the contaminated test maps, in the data folder) and ``robustness-<label>``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cosmossl._util.files import atomic_path
from cosmossl._util.seeds import derive_seed
from cosmossl.config.run_file import RunConfig, contamination_spec
from cosmossl.data.mapset import MapSet
from cosmossl.data.summaries import Summaries
from cosmossl.errors import DataError
from cosmossl.inference.diagnostics import evaluate, robustness_metrics, write_metrics
from cosmossl.inference.posterior import load_posterior
from cosmossl.inference.surveys import survey_mean
from cosmossl.job import run_dir as layout
from cosmossl.job.infer import fit_surveys, survey_rows
from cosmossl.job.plan import contamination_dataset
from cosmossl.plugin.factory import create

#: Separates the contaminations' random numbers from every other stream of the run seed.
CONTAMINATION_STREAM = 0xC0A7
#: Maps per call of a contaminating augmentation (fixed: the output must not depend on it).
_BATCH = 256


def contaminate(
    config: RunConfig,
    mapset: MapSet,
    index: int,
    *,
    dataset: Any = None,
    progress: bool = False,
) -> MapSet:
    """The test split of ``mapset`` with contamination number ``index`` put in (same rows, same
    order). Deterministic for the data seed (``dataset_seed``). ``dataset``: the
    contamination's dataset when it is already built (:func:`contamination_dataset`)."""
    contamination = config.settings.robustness.contaminations[index]
    rows = mapset.indices("test")
    if contamination.augmentation is not None:
        spec = contamination_spec(config, contamination)
        augmentation = create("augmentation", spec.type, spec.params, meta=mapset.meta)
        parts = []
        for start in range(0, len(rows), _BATCH):
            key = derive_seed(config.settings.dataset_seed, CONTAMINATION_STREAM, index, start)
            maps = torch.as_tensor(mapset.read(rows[start : start + _BATCH]))
            with torch.no_grad():
                parts.append(augmentation(maps, torch.Generator().manual_seed(key)).numpy())
        maps = np.concatenate(parts) if parts else mapset.read(rows)
        return mapset.subset(rows, maps=maps.astype(np.float32))
    if dataset is None:
        dataset = contamination_dataset(config, index)
    other = dataset.load(seed=config.settings.dataset_seed, progress=progress)
    _check_aligned(mapset, other, contamination.label)
    return other.subset(rows)


def _check_aligned(clean: MapSet, other: MapSet, label: str) -> None:
    """A dataset contamination must keep the rows: cosmologies, ids and split."""
    same = (
        len(other) == len(clean)
        and np.array_equal(other.cosmology_id, clean.cosmology_id)
        and np.array_equal(other.split, clean.split)
        and np.allclose(other.params, clean.params)
    )
    if not same:
        raise DataError(
            f"robustness contamination '{label}': the data set made with its parameters does not "
            f"line up with the run's ({len(other)} maps vs {len(clean)}, or other cosmologies or "
            "split): a dataset contamination may change the nuisance or the noise, not the "
            "number of cosmologies, simulations or maps, nor the split"
        )


def evaluate_robustness(
    config: RunConfig,
    s: Summaries,
    summarize: Callable[[MapSet], np.ndarray],
    contaminated: dict[str, MapSet | np.ndarray],
    out_dir: Path,
    *,
    posterior_dir: Path | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Robustness metrics of one summary (its clean summaries ``s``; ``summarize`` maps a map
    set to ``[N, D]`` summaries) on every contaminated test set, written to
    ``out_dir/metrics.json``. A contaminated test set may also be given as its summaries
    ``[n_test, D]`` (e.g. the hardened twin's, from its base summary's); the contaminated test
    summaries are kept in ``out_dir/contaminated_summaries.npz`` (:func:`read_contaminated`).

    ``posterior_dir`` is the posterior of the inference stage, reused when the survey sizes
    agree; otherwise a posterior for surveys of :func:`survey_size` maps is fitted on the clean
    summaries and saved in ``out_dir/posterior``.
    """
    size = config.settings.robustness_survey_size
    options = config.settings.inference
    rows = survey_rows(config, s, size)
    if posterior_dir is not None and size == options.survey_size:
        posterior = load_posterior(posterior_dir, device=config.settings.device)
    else:
        posterior = fit_surveys(config, s, rows, progress=progress)
        posterior.save(out_dir / layout.POSTERIOR)
    theta = s.params[rows.test[:, 0]]

    def judge(x: np.ndarray) -> Any:
        return evaluate(posterior, theta, survey_mean(x, rows.test), n_samples=options.n_samples,
                        seed=config.settings.seed, n_bootstrap=options.n_bootstrap)  # fmt: skip

    clean = judge(s.summaries)
    test = s.indices("test")
    out: dict[str, Any] = {
        "survey_size": size,
        "n_surveys": len(rows.test),
        "clean": {k: clean.metrics[k] for k in ("nll", "log_fom_mean", "coverage", "params")},
        "contaminations": {},
    }
    kept = {}
    for name, maps in contaminated.items():
        x = np.asarray(s.summaries, dtype=np.float64).copy()
        x[test] = maps if isinstance(maps, np.ndarray) else summarize(maps)
        kept[name] = x[test]
        out["contaminations"][name] = robustness_metrics(clean, judge(x))
    _write_contaminated(out_dir / layout.CONTAMINATED_SUMMARIES, kept)
    write_metrics(out_dir / layout.METRICS, out)
    return out


def _write_contaminated(path: Path, summaries: dict[str, np.ndarray]) -> None:
    names = list(summaries)
    arrays = {f"c{i}": summaries[name] for i, name in enumerate(names)}
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, names=np.array(names), **arrays)


def read_contaminated(path: Path) -> dict[str, np.ndarray] | None:
    """The contaminated test summaries a robustness stage kept (by contamination name), or
    None when it kept none (a run directory of an earlier version)."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        return {str(name): data[f"c{i}"] for i, name in enumerate(data["names"])}

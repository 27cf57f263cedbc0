"""``infer``: fit the run's backend on a summaries file, evaluate on the test split, plot.

With ``[inference] survey_size`` N > 1 the posterior is fitted and judged on surveys of N maps of
one cosmology (:mod:`cosmossl.inference.surveys`); :func:`survey_rows` and :func:`fit_surveys`
are shared with the robustness stage (:mod:`cosmossl.job.robustness`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.files import TEMPORARY, check_writable
from cosmossl._util.seeds import derive_seed
from cosmossl.config.run_file import RunConfig, load_run_config
from cosmossl.data.summaries import Summaries, read_summaries
from cosmossl.inference.diagnostics import evaluate, write_metrics
from cosmossl.inference.plots import getdist_notes
from cosmossl.inference.posterior import CONFIG_FILE, WEIGHTS_FILE, Posterior
from cosmossl.inference.prior import BoxPrior
from cosmossl.inference.split import inference_split
from cosmossl.inference.surveys import draw_surveys, survey_mean
from cosmossl.job import run_dir as layout
from cosmossl.job.plan import check_data
from cosmossl.job.run_dir import RunDirectory, check_output_folder, run_directory
from cosmossl.plugin.factory import create

#: Separates the survey draws from every other stream of the run seed.
SURVEY_STREAM = 0x5E7


@dataclass(frozen=True)
class SurveyRows:
    """Surveys ``[S, N]`` (row indices of a summaries file) of the fit, val and test sets;
    ``test_total`` counts the test surveys before ``max_test`` thinned them."""

    size: int
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    test_total: int


def survey_rows(cfg: RunConfig, s: Summaries, size: int) -> SurveyRows:
    """The framework's split by cosmology (:func:`inference_split`) cut into surveys of
    ``size`` maps; the test surveys are thinned to ``[inference] max_test``. The same for a
    given data seed (``dataset_seed``: runs that share their data share these rows),
    summaries file and size."""
    options, data_seed = cfg.settings.inference, cfg.settings.dataset_seed
    split = inference_split(
        s, val_fraction=options.val_fraction, seed=data_seed, fit_on=options.fit_on
    )

    def surveys(rows: np.ndarray, stream: int, per_cosmology: int | None) -> np.ndarray:
        seed = derive_seed(data_seed, SURVEY_STREAM, stream)
        return draw_surveys(s.cosmology_id, s.seed_id, rows, size, seed=seed,
                            per_cosmology=per_cosmology)  # fmt: skip

    per = options.surveys_per_cosmology
    test = surveys(split.test, 2, None)
    total = len(test)
    if options.max_test and len(test) > options.max_test:
        rng = np.random.default_rng(data_seed)
        test = test[np.sort(rng.choice(len(test), options.max_test, replace=False))]
    return SurveyRows(size, surveys(split.train, 0, per), surveys(split.val, 1, per), test, total)


def fit_surveys(
    cfg: RunConfig,
    s: Summaries,
    rows: SurveyRows,
    *,
    progress: bool = True,
    registry: Any = None,
) -> Posterior:
    """Fit the run's ``[backend]`` on the mean summaries of the fit surveys of ``rows``."""
    from cosmossl._util.devices import resolve_device
    from cosmossl.inference.fitting import fit

    spec = cfg.require("backend", "infer", 'type = "sbi"')
    prior = BoxPrior.from_ranges(s.priors, s.param_names)
    backend = create("backend", spec.type, spec.params, registry=registry)
    return fit(
        backend,
        (s.params[rows.train[:, 0]], survey_mean(s.summaries, rows.train)),
        (s.params[rows.val[:, 0]], survey_mean(s.summaries, rows.val)),
        prior,
        seed=cfg.settings.seed,
        progress=progress,
        device=resolve_device(cfg.settings.device),
    )


def prior_record(s: Summaries) -> dict[str, dict[str, Any]]:
    """The prior of each parameter, for ``metrics.json``: ``{name: {low, high, source}}``
    (source: see :data:`~cosmossl.data.priors.PRIOR_SOURCES`)."""
    return {
        name: {"low": s.priors[name][0], "high": s.priors[name][1],
               "source": s.prior_sources[name]}
        for name in s.param_names
        if name in s.priors
    }  # fmt: skip


@dataclass
class InferenceResult:
    posterior: Posterior
    metrics: dict[str, Any]
    out_dir: Path
    files: list[Path] = field(default_factory=list)


def infer(
    config: str | Path | RunConfig,
    *,
    summaries: str | Path | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    registry: Any = None,
) -> InferenceResult:
    """Fit the ``[backend]`` of ``config`` and write posterior, ``metrics.json`` and plots.

    Output folder (default ``<run_dir>/inference/<summaries file stem>``): ``posterior/`` (see
    :meth:`Posterior.save`), ``metrics.json``, and ``corner_<i>.png``, ``coverage.png``,
    ``tarp.png``, ``predicted_vs_true.png``. With ``[inference] survey_size`` N > 1 every
    count and metric is per survey of N maps. The summaries file is read and checked, and the
    output folder checked to be writable (and, given with ``out``, to be empty or an earlier
    inference output), before the backend is fitted.
    """
    cfg = config if isinstance(config, RunConfig) else load_run_config(config, registry=registry)
    cfg.require("backend", "infer", 'type = "sbi"')
    run_dir = run_directory(cfg)
    s_path = Path(summaries or cfg.settings.inference.summaries.replace("{run_dir}", str(run_dir)))
    s = read_summaries(s_path)
    check_data(cfg, s)
    if out is None:
        with RunDirectory(run_dir) as directory:
            directory.claim(layout.inference(s_path.stem))
            out_dir = directory.path(layout.inference(s_path.stem))
            check_writable(out_dir, folder=True, flag="--out")
            return _infer(cfg, s, s_path, out_dir, progress, registry)
    out_dir = check_output_folder(
        out, ours=_holds_posterior, what="cosmossl inference output", flag="--out"
    )
    return _infer(cfg, s, s_path, out_dir, progress, registry)


def _holds_posterior(folder: Path) -> bool:
    """Whether ``folder`` is an earlier inference output: it has a ``posterior/`` folder that
    holds nothing but a saved posterior's files (or temporaries of their writing)."""
    posterior = folder / layout.POSTERIOR
    return posterior.is_dir() and all(
        p.name in (CONFIG_FILE, WEIGHTS_FILE) or TEMPORARY.match(p.name)
        for p in posterior.iterdir()
    )


def _infer(
    cfg: RunConfig, s: Summaries, s_path: Path, out_dir: Path, progress: bool, registry: Any
) -> InferenceResult:
    settings = cfg.settings
    spec = cfg.require("backend")
    options = settings.inference
    rows = survey_rows(cfg, s, options.survey_size)
    posterior = fit_surveys(cfg, s, rows, progress=progress, registry=registry)
    files = [posterior.save(out_dir / layout.POSTERIOR)]
    result = evaluate(
        posterior,
        s.params[rows.test[:, 0]],
        survey_mean(s.summaries, rows.test),
        n_samples=options.n_samples,
        seed=settings.seed,
        n_bootstrap=options.n_bootstrap,
    )
    metrics = {
        "backend": spec.to_table(),
        "summaries": str(s_path),
        "provenance": s.provenance,
        "prior": prior_record(s),
        "survey_size": rows.size,
        "split": {
            "train": len(rows.train),
            "val": len(rows.val),
            "test": rows.test_total,
            "evaluated": len(rows.test),
            "fit_on": options.fit_on,
        },
        "fit": {k: v for k, v in posterior.info.items() if not isinstance(v, list)},
        **result.metrics,
    }
    files.append(write_metrics(out_dir / layout.METRICS, metrics))
    if options.plots:
        with getdist_notes():
            files += _plots(result, posterior, s, s_path.stem, options.n_corner, out_dir)
    return InferenceResult(posterior, metrics, out_dir, files)


def _plots(
    result: Any, posterior: Posterior, s: Summaries, label: str, n_corner: int, out_dir: Path
) -> list[Path]:
    from cosmossl.inference import plots

    names = posterior.param_names
    files = [
        plots.coverage_curve(result.metrics["coverage"], out_dir / "coverage.png"),
        plots.tarp_curve(result.metrics["tarp"], out_dir / "tarp.png"),
        plots.predicted_vs_true(
            result.samples, result.truth, names, out_dir / "predicted_vs_true.png", s.param_labels
        ),
    ]
    for i in range(min(n_corner, result.truth.shape[0])):
        files.append(
            plots.triangle(
                {label: result.samples[:, i]},
                names,
                out_dir / f"corner_{i}.png",
                labels=s.param_labels,
                truth=result.truth[i],
                ranges=s.priors,
            )
        )
    return files


def summary_table(metrics: dict[str, Any]) -> str:
    """A short plain-text table of the headline numbers."""
    rows = [
        ("test points", f"{metrics['n_test']}"),
        ("NLL (test)", f"{metrics['nll']:.3f}"),
        ("HPD coverage |error|", f"{metrics['coverage']['mean_abs_error']:.3f}"),
        (
            "coverage at 68% / 95%",
            f"{metrics['coverage']['coverage_68']:.3f} / {metrics['coverage']['coverage_95']:.3f}",
        ),
        ("TARP ATC (KS p)", f"{metrics['tarp']['atc']:+.3f} ({metrics['tarp']['ks_pvalue']:.2g})"),
        ("log FoM (mean)", f"{metrics['log_fom_mean']:.3f}"),
    ]
    lines = [f"{k:<24}{v}" for k, v in rows]
    lines.append(f"{'parameter':<12}{'std':>10}{'bias/σ':>10}{'RMSE':>10}{'R²':>8}{'SBC p':>9}")
    for name, p in metrics["params"].items():
        sbc_p = metrics["sbc"]["ks"][name]["pvalue"]
        lines.append(
            f"{name:<12}{p['posterior_std']:>10.4g}{p['bias_sigma']:>+10.3f}"
            f"{p['rmse']:>10.4g}{p['r2']:>8.3f}{sbc_p:>9.2g}"
        )
    return "\n".join(lines)

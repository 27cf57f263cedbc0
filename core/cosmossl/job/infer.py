"""``infer``: fit the run's backend on a summaries file, evaluate on the test split, plot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.files import TEMPORARY, check_writable
from cosmossl.config.run_file import RunConfig, load_run_config
from cosmossl.data.summaries import Summaries, read_summaries
from cosmossl.inference.diagnostics import evaluate, write_metrics
from cosmossl.inference.posterior import CONFIG_FILE, WEIGHTS_FILE, Posterior
from cosmossl.inference.prior import BoxPrior
from cosmossl.inference.split import inference_split
from cosmossl.job import run_dir as layout
from cosmossl.job.run_dir import RunDirectory, check_output_folder, run_directory
from cosmossl.plugin.factory import create


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
    ``tarp.png``, ``predicted_vs_true.png``. The summaries file is read and checked, and the
    output folder checked to be writable (and, given with ``out``, to be empty or an earlier
    inference output), before the backend is fitted.
    """
    cfg = config if isinstance(config, RunConfig) else load_run_config(config, registry=registry)
    cfg.require("backend", "infer", 'type = "sbi"')
    run_dir = run_directory(cfg)
    s_path = Path(summaries or cfg.settings.inference.summaries.replace("{run_dir}", str(run_dir)))
    s = read_summaries(s_path)
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
    from cosmossl._util.devices import resolve_device
    from cosmossl.inference.fitting import fit

    settings = cfg.settings
    spec = cfg.require("backend")
    options = settings.inference
    split = inference_split(
        s, val_fraction=options.val_fraction, seed=settings.seed, fit_on=options.fit_on
    )
    prior = BoxPrior.from_ranges(s.priors, s.param_names)
    backend = create("backend", spec.type, spec.params, registry=registry)
    device = resolve_device(settings.device)
    posterior = fit(
        backend,
        (s.params[split.train], s.summaries[split.train]),
        (s.params[split.val], s.summaries[split.val]),
        prior,
        seed=settings.seed,
        progress=progress,
        device=device,
    )
    files = [posterior.save(out_dir / layout.POSTERIOR)]
    test = split.test
    if options.max_test and test.size > options.max_test:
        rng = np.random.default_rng(settings.seed)
        test = np.sort(rng.choice(test, options.max_test, replace=False))
    result = evaluate(
        posterior,
        s.params[test],
        s.summaries[test],
        n_samples=options.n_samples,
        seed=settings.seed,
        n_bootstrap=options.n_bootstrap,
    )
    metrics = {
        "backend": spec.to_table(),
        "summaries": str(s_path),
        "provenance": s.provenance,
        "split": {
            "train": int(split.train.size),
            "val": int(split.val.size),
            "test": int(split.test.size),
            "evaluated": int(test.size),
            "fit_on": options.fit_on,
        },
        "fit": {k: v for k, v in posterior.info.items() if not isinstance(v, list)},
        **result.metrics,
    }
    files.append(write_metrics(out_dir / layout.METRICS, metrics))
    if options.plots:
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

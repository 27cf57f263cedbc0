"""The reports' posterior figures: for a few test maps, the posterior from every summary overlaid
on one GetDist triangle plot, with the Fisher ellipses at the fiducial point.

Every posterior is evaluated on the same test maps: the rows of the summaries files (one per
summary, all computed from the same map set) must agree, and the maps are chosen once. With
``[inference] survey_size`` N > 1 the posteriors were fitted on surveys of N maps, so each figure
shows a test survey (N maps of one cosmology with distinct seeds, the mean of their summaries)
and the Fisher ellipses of N maps.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl.data.summaries import Summaries, read_summaries
from cosmossl.inference.surveys import draw_surveys, survey_mean
from cosmossl.job import run_dir as layout

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PosteriorSource:
    """One summary's posterior: its legend label, files, and Fisher matrix (``fisher.json``)."""

    label: str
    summaries: Path
    posterior: Path
    fisher: np.ndarray | None = None


def run_sources(
    root: Path, labels: Sequence[str], fisher: dict[str, Any] | None, legend: str | None = None
) -> list[PosteriorSource]:
    """The sources of the summaries ``labels`` of the run directory ``root`` (``legend``, when
    given, replaces the label of a single summary in the legend)."""
    out = []
    entries = (fisher or {}).get("summaries", {})
    for label in labels:
        matrix = entries.get(label, {}).get("fisher")
        out.append(
            PosteriorSource(
                label=legend or label,
                summaries=root / layout.summaries(label),
                posterior=root / layout.inference(label) / layout.POSTERIOR,
                fisher=None if matrix is None else np.asarray(matrix, dtype=np.float64),
            )
        )
    return out


def choose_test_maps(
    s: Summaries, n: int, *, fiducial: np.ndarray | None = None, seed: int = 0
) -> np.ndarray:
    """Rows of ``n`` test maps, one per test cosmology.

    With a ``fiducial`` point the cosmologies closest to it (in units of the prior's width), so
    that the Fisher ellipses drawn there apply; otherwise cosmologies drawn with ``seed``.
    """
    test = s.indices("test")
    if test.size == 0 or n <= 0:
        return test[:0]
    _, first = np.unique(s.cosmology_id[test], return_index=True)
    rows = test[first]  # the first test map of each cosmology
    if fiducial is not None:
        low, high = s.box()
        distance = np.sum(((s.params[rows] - fiducial) / (high - low)) ** 2, axis=1)
        return rows[np.argsort(distance, kind="stable")[:n]]
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(rows, size=min(n, rows.size), replace=False))


def surveys_of(s: Summaries, rows: np.ndarray, size: int, *, seed: int = 0) -> np.ndarray:
    """``[len(rows), size]``: for each of ``rows`` (test maps), a survey of ``size`` test maps of
    its cosmology with distinct seeds (:func:`~cosmossl.inference.surveys.draw_surveys`);
    ``size`` 1: the maps themselves."""
    rows = np.asarray(rows, dtype=np.int64)
    if size == 1 or rows.size == 0:
        return rows[:, None]
    test = s.indices("test")
    surveys = []
    for row in rows:
        same = test[s.cosmology_id[test] == s.cosmology_id[row]]
        surveys.append(draw_surveys(s.cosmology_id, s.seed_id, same, size, seed=seed)[0])
    return np.stack(surveys)


def posterior_figures(
    sources: Sequence[PosteriorSource],
    folder: Path,
    *,
    fisher: dict[str, Any] | None = None,
    n_maps: int = 3,
    n_samples: int = 1000,
    seed: int = 0,
    survey_size: int = 1,
) -> list[tuple[str, str]]:
    """Write ``posteriors_<i>.png`` into ``folder``; returns ``[(file name, caption)]``.

    Sources whose files are missing, or whose rows differ from the first source's, are left
    out (with a log message). ``fisher`` (a ``fisher.json``) adds the limit's ellipse and each
    source's Cramér–Rao ellipse at its fiducial point. ``survey_size`` N > 1: the posteriors
    are of surveys of N maps (``[inference] survey_size``); each figure is then a test survey
    and the Fisher matrices are those of N maps (N times one map's).
    """
    from cosmossl.inference import plots
    from cosmossl.inference.posterior import load_posterior  # torch: only when drawing

    loaded = _read(sources)
    if not loaded or n_maps <= 0:
        return []
    reference = loaded[0][1]
    names = reference.param_names
    fiducial = limit = None
    if fisher and tuple(fisher.get("param_names", ())) == names:
        fiducial = np.asarray(fisher["fiducial"], dtype=np.float64)
        limit = np.asarray(fisher["limit"]["fisher"], dtype=np.float64)
    rows = choose_test_maps(reference, n_maps, fiducial=fiducial, seed=seed)
    surveys = surveys_of(reference, rows, survey_size, seed=seed)  # [B, N]
    draws = {}
    for source, s in loaded:
        posterior = load_posterior(source.posterior, device="cpu")
        x = survey_mean(s.summaries, surveys).astype(np.float32)
        samples = posterior.sample_batched(x, n_samples, seed=seed)
        draws[source.label] = samples.cpu().numpy()  # [n, B, P]
    cramer_rao = {}
    if fiducial is not None:
        cramer_rao = {src.label: survey_size * src.fisher for src, _ in loaded
                      if src.fisher is not None}  # fmt: skip
        limit = survey_size * limit
    figures = []
    for b, row in enumerate(rows):
        truth = reference.params[row].astype(np.float64)
        where = ", ".join(f"{n} = {v:.3g}" for n, v in zip(names, truth))
        tex = [plots.latex_label(n, reference.param_labels) for n in names]
        what = _what(reference, row, survey_size)
        title = f"{what}\n" + "\n".join(f"${t}$ = {v:.3g}" for t, v in zip(tex, truth))
        name = layout.posterior_figure(b)
        plots.triangle(
            {label: d[:, b] for label, d in draws.items()},
            names,
            folder / name,
            labels=reference.param_labels,
            truth=truth,
            ranges=reference.priors,
            fiducial=fiducial,
            limit=limit,
            cramer_rao=cramer_rao,
            title=title,
        )
        caption = _caption(what, where, n_samples, fiducial, names, survey_size)
        figures.append((name, caption))
    return figures


def _what(s: Summaries, row: int, survey_size: int) -> str:
    if survey_size == 1:
        return f"test map {row}"
    return f"test survey of {survey_size} maps of cosmology {s.cosmology_id[row]}"


def _read(sources: Sequence[PosteriorSource]) -> list[tuple[PosteriorSource, Summaries]]:
    out: list[tuple[PosteriorSource, Summaries]] = []
    for source in sources:
        if not source.summaries.is_file() or not source.posterior.is_dir():
            log.info("no posterior figure for %s: %s or %s missing", source.label,
                     source.summaries, source.posterior)  # fmt: skip
            continue
        s = read_summaries(source.summaries)
        if out and not _same_rows(out[0][1], s):
            log.warning("posterior figures leave out %s: its summaries file %s has other rows "
                        "than %s", source.label, source.summaries, out[0][0].summaries)  # fmt: skip
            continue
        out.append((source, s))
    return out


def _same_rows(a: Summaries, b: Summaries) -> bool:
    return (
        a.param_names == b.param_names
        and np.array_equal(a.params, b.params)
        and np.array_equal(a.cosmology_id, b.cosmology_id)
        and np.array_equal(a.split, b.split)
    )


def _caption(
    what: str,
    where: str,
    n_samples: int,
    fiducial: np.ndarray | None,
    names: Sequence[str],
    survey_size: int,
) -> str:
    text = (
        f"{what[0].upper()}{what[1:]} ({where}): 68% and 95% contours of the posterior from "
        f"each summary ({n_samples} samples each); dotted lines: the truth."
    )
    if survey_size > 1:
        text += " Each summary is the mean over the survey's maps."
    if fiducial is not None:
        point = ", ".join(f"{n} = {v:g}" for n, v in zip(names, fiducial))
        maps = "one map" if survey_size == 1 else f"{survey_size} maps"
        text += (
            " Black: the analytic Fisher limit; dashed: each summary's Cramér–Rao bound; both "
            f"as 68/95% ellipses at the fiducial point ({point}), for {maps}."
        )
    return text

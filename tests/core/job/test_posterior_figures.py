"""The reports' posterior figures: the same test maps for every summary, the Fisher ellipses,
and summaries that cannot be shown left out."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from support.inference import ShiftedGaussian

from cosmossl.data.summaries import Summaries, write_summaries
from cosmossl.inference import plots
from cosmossl.inference import posterior as posterior_module
from cosmossl.job.report.posterior_figures import (
    PosteriorSource,
    choose_test_maps,
    posterior_figures,
    run_sources,
)

FISHER = {
    "param_names": ["a", "b"],
    "fiducial": [0.0, 0.0],
    "limit": {"fisher": [[400.0, 0.0], [0.0, 400.0]]},
    "summaries": {"encoder": {"fisher": [[100.0, 0.0], [0.0, 100.0]]}},
}


def summaries(shift: float = 0.0, seed: int = 0) -> Summaries:
    """12 cosmologies × 2 maps on the box [-1, 1]²; the summary is θ (+ shift) and a zero."""
    rng = np.random.default_rng(seed)
    theta = np.repeat(rng.uniform(-0.8, 0.8, size=(12, 2)), 2, axis=0)
    group = np.repeat(np.arange(12), 2)
    return Summaries(
        summaries=np.hstack([theta + shift, np.zeros((24, 1))]),
        params=theta,
        param_names=("a", "b"),
        cosmology_id=group,
        simulation_id=np.arange(24),
        split=np.where(group >= 6, 2, 0),
        priors={"a": (-1.0, 1.0), "b": (-1.0, 1.0)},
        param_labels={"a": r"\alpha"},
    )


def source(tmp_path, label: str, s: Summaries, fisher=None) -> PosteriorSource:
    folder = tmp_path / label
    write_summaries(folder / "s.h5", s)
    ShiftedGaussian().save(folder / "posterior")  # q(θ | x) = N(x[:2], 0.1²), exact
    return PosteriorSource(label, folder / "s.h5", folder / "posterior", fisher)


@pytest.fixture
def calls(monkeypatch):
    """The triangle plots asked for (arguments), instead of drawing them."""
    made = []
    monkeypatch.setattr(posterior_module, "load_posterior", lambda path, device: ShiftedGaussian())
    monkeypatch.setattr(plots, "triangle", lambda *args, **kw: made.append((args, kw)))
    return made


def test_every_summary_is_evaluated_on_the_same_test_maps(tmp_path, calls):
    sources = [source(tmp_path, "encoder", summaries()),
               source(tmp_path, "power-spectrum", summaries(shift=0.05))]  # fmt: skip
    written = posterior_figures(sources, tmp_path, n_maps=2, n_samples=2000, seed=3)
    assert [name for name, _ in written] == ["posteriors_0.png", "posteriors_1.png"]
    assert len(calls) == 2
    for b, ((samples, names, path), options) in enumerate(calls):
        assert path == tmp_path / f"posteriors_{b}.png"
        assert list(samples) == ["encoder", "power-spectrum"] and names == ("a", "b")
        truth = options["truth"]
        # The posterior mean is the summary: θ for one, θ + 0.05 for the other, of the same map.
        np.testing.assert_allclose(samples["encoder"].mean(0), truth, atol=0.01)
        np.testing.assert_allclose(samples["power-spectrum"].mean(0), truth + 0.05, atol=0.01)
        assert options["labels"] == {"a": r"\alpha"} and options["ranges"]["a"] == (-1.0, 1.0)
        assert options["limit"] is None and options["cramer_rao"] == {}
    rows = [int(caption.split()[2]) for _, caption in written]
    assert all(summaries().split[row] == 2 for row in rows)  # test maps
    assert len({summaries().cosmology_id[row] for row in rows}) == 2  # of two cosmologies


def test_with_a_fisher_check_the_maps_nearest_the_fiducial_get_the_ellipses(tmp_path, calls):
    matrix = np.array(FISHER["summaries"]["encoder"]["fisher"])
    sources = [source(tmp_path, "encoder", summaries(), matrix)]
    written = posterior_figures(sources, tmp_path, fisher=FISHER, n_maps=2, n_samples=50)
    s = summaries()
    test = s.indices("test")
    nearest = sorted(test, key=lambda row: float(np.sum(s.params[row] ** 2)))
    expected = []
    for row in nearest:  # one map per cosmology
        if s.cosmology_id[row] not in {s.cosmology_id[r] for r in expected}:
            expected.append(row)
    assert [int(c.split()[2]) for _, c in written] == expected[:2]
    _, options = calls[0]
    np.testing.assert_array_equal(options["fiducial"], [0.0, 0.0])
    np.testing.assert_array_equal(options["limit"], FISHER["limit"]["fisher"])
    np.testing.assert_array_equal(options["cramer_rao"]["encoder"], matrix)
    assert (
        "Black: the analytic Fisher limit; dashed: each summary's Cramér–Rao bound"
        in (written[0][1])
    )


def test_a_summary_with_other_rows_is_left_out_with_a_warning(tmp_path, calls, caplog):
    sources = [source(tmp_path, "encoder", summaries()),
               source(tmp_path, "other", summaries(seed=1))]  # fmt: skip
    with caplog.at_level(logging.WARNING):
        posterior_figures(sources, tmp_path, n_maps=1, n_samples=20)
    assert list(calls[0][0][0]) == ["encoder"]
    assert "posterior figures leave out other: its summaries file" in caplog.text


def test_missing_posteriors_give_no_figure(tmp_path, calls):
    missing = PosteriorSource("encoder", tmp_path / "s.h5", tmp_path / "posterior")
    assert posterior_figures([missing], tmp_path, n_maps=3) == []
    assert calls == []


def test_run_sources_spell_the_run_directory_paths(tmp_path):
    (encoder,) = run_sources(tmp_path, ["encoder"], FISHER)
    assert encoder.summaries == tmp_path / "summaries" / "encoder.h5"
    assert encoder.posterior == tmp_path / "inference" / "encoder" / "posterior"
    np.testing.assert_array_equal(encoder.fisher, FISHER["summaries"]["encoder"]["fisher"])
    (renamed,) = run_sources(tmp_path, ["power-spectrum"], None, legend="P(k)")
    assert renamed.label == "P(k)" and renamed.fisher is None


def test_test_maps_without_a_fiducial_are_drawn_with_the_seed():
    s = summaries()
    first = choose_test_maps(s, 3, seed=0)
    assert first.tolist() == choose_test_maps(s, 3, seed=0).tolist()
    assert len({s.cosmology_id[row] for row in first}) == 3
    assert all(s.split[first] == 2)
    assert choose_test_maps(s, 0).size == 0
    assert choose_test_maps(s, 99).size == 6  # every test cosmology once


def test_survey_posteriors_are_shown_on_test_surveys_with_the_fisher_of_n_maps(tmp_path, calls):
    """With [inference] survey_size 2 the posterior is of the mean summary of 2 maps: each map's
    summary is θ ± 0.2, their mean θ; the ellipses are those of 2 maps."""
    s = summaries()
    s.summaries[:, :2] += np.where(np.arange(24) % 2 == 0, 0.2, -0.2)[:, None]
    matrix = np.array(FISHER["summaries"]["encoder"]["fisher"])
    sources = [source(tmp_path, "encoder", s, matrix)]
    written = posterior_figures(sources, tmp_path, fisher=FISHER, n_maps=2, n_samples=2000,
                                survey_size=2)  # fmt: skip
    assert len(written) == 2 and len(calls) == 2
    for (_, caption), ((samples, _, _), options) in zip(written, calls):
        np.testing.assert_allclose(samples["encoder"].mean(0), options["truth"], atol=0.01)
        assert caption.startswith("Test survey of 2 maps of cosmology ")
        assert "Each summary is the mean over the survey's maps." in caption
        assert "ellipses at the fiducial point (a = 0, b = 0), for 2 maps." in caption
        np.testing.assert_array_equal(options["limit"], 2 * np.array(FISHER["limit"]["fisher"]))
        np.testing.assert_array_equal(options["cramer_rao"]["encoder"], 2 * matrix)

"""The posterior triangle plot (GetDist): overlaid posteriors, the truth, and Fisher ellipses."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import Collection

from cosmossl.inference import plots

NAMES = ("omega_m", "sigma_8")
LABELS = {"omega_m": r"\Omega_{\rm m}", "sigma_8": r"\sigma_8"}
COV = np.array([[0.02**2, -0.6 * 0.02 * 0.015], [-0.6 * 0.02 * 0.015, 0.015**2]])
PRIOR = {"omega_m": (0.15, 0.45), "sigma_8": (0.65, 0.95)}
FIDUCIAL = np.array([0.3, 0.8])


@pytest.fixture
def figures(monkeypatch):
    """The figures :func:`plots.triangle` makes, kept open instead of written."""
    made = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: made.append(fig) or path)
    return made


def gaussian(mean, n=4000, seed=0):
    return np.random.default_rng(seed).multivariate_normal(mean, COV, size=n)


def panel_2d(fig):
    """The 2D panel of a two-parameter triangle: the only axes with contour sets."""
    (ax,) = [ax for ax in fig.axes if any(isinstance(c, Collection) for c in ax.collections)]
    return ax


def draw(tmp_path, **kwargs):
    samples = {"encoder": gaussian(FIDUCIAL), "power-spectrum": gaussian(FIDUCIAL + 0.01, seed=1)}
    options = {"labels": LABELS, "truth": FIDUCIAL, "ranges": PRIOR, **kwargs}
    return plots.triangle(samples, NAMES, tmp_path / "t.png", **options)


def test_posteriors_are_overlaid_with_filled_68_and_95_percent_contours(tmp_path, figures):
    draw(tmp_path)
    ax = panel_2d(figures[0])
    filled = [c for c in ax.collections if len(c.get_facecolor())]
    assert len(filled) == 2  # one filled contour set per posterior
    for contour_set in filled:
        assert len(contour_set.levels) == 3  # two bands: 95% and 68%
    # The bands' outer boundaries enclose 95% and 68% of that posterior's samples (the KDE
    # smooths a little).
    outer, inner = filled[0].get_paths()
    samples = gaussian(FIDUCIAL)
    assert np.mean(outer.contains_points(samples)) == pytest.approx(0.95, abs=0.02)
    assert np.mean(inner.contains_points(samples)) == pytest.approx(0.68, abs=0.03)


def test_axes_and_legend_use_the_datasets_latex_labels_and_legend_labels(tmp_path, figures):
    draw(tmp_path, fiducial=FIDUCIAL, limit=np.linalg.inv(COV / 4),
         cramer_rao={"encoder": np.linalg.inv(COV / 2)}, title="test map 7")  # fmt: skip
    fig = figures[0]
    ax = panel_2d(fig)
    assert ax.get_xlabel() == r"$\Omega_{\rm m}$" and ax.get_ylabel() == r"$\sigma_8$"
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "encoder", "power-spectrum", "Fisher limit", "encoder, Cramér–Rao",
    ]  # fmt: skip
    assert legend.get_title().get_text() == "test map 7"


def test_fisher_ellipses_are_the_68_and_95_percent_contours_of_the_inverse_at_the_fiducial(
    tmp_path, figures
):
    fisher = np.linalg.inv(COV / 4)
    draw(tmp_path, fiducial=FIDUCIAL, limit=fisher)
    ax = panel_2d(figures[0])
    black = [line for line in ax.get_lines() if line.get_color() == "k"]
    assert len(black) == 2
    for line, level in zip(black, plots.CONTOURS):
        x, y = line.get_xdata(), line.get_ydata()
        radius2 = -2.0 * np.log(1.0 - level)  # Δχ² of 68% / 95% in two dimensions
        offset = np.stack([x, y], axis=1) - FIDUCIAL
        chi2 = np.einsum("ni,ij,nj->n", offset, fisher, offset)
        np.testing.assert_allclose(chi2, radius2, rtol=1e-9)
        assert x.max() - FIDUCIAL[0] == pytest.approx(np.sqrt(radius2 * COV[0, 0] / 4), rel=1e-3)


def test_truth_is_marked_on_every_panel(tmp_path, figures):
    draw(tmp_path, truth=np.array([0.31, 0.79]))
    ax = panel_2d(figures[0])
    vertical = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert pytest.approx(0.31) in vertical


def test_axes_widen_for_a_wide_ellipse_but_not_beyond_the_prior(tmp_path, figures):
    draw(tmp_path, fiducial=FIDUCIAL, cramer_rao={"encoder": np.linalg.inv(COV * 400)})
    ax = panel_2d(figures[0])
    assert ax.get_xlim() == pytest.approx(PRIOR["omega_m"])
    assert ax.get_ylim() == pytest.approx(PRIOR["sigma_8"])


def test_ellipses_need_the_fiducial_point():
    with pytest.raises(ValueError, match="Fisher ellipses need the fiducial point"):
        plots.triangle({"x": gaussian(FIDUCIAL)}, NAMES, "unused.png", limit=np.eye(2))


def test_the_figure_is_a_png_and_the_same_on_every_call(tmp_path):
    first = draw(tmp_path, fiducial=FIDUCIAL, limit=np.linalg.inv(COV)).read_bytes()
    again = draw(tmp_path, fiducial=FIDUCIAL, limit=np.linalg.inv(COV)).read_bytes()
    assert first[:4] == b"\x89PNG" and first == again


def test_getdist_prints_nothing(tmp_path, capsys):
    draw(tmp_path)
    assert capsys.readouterr().out == ""


def test_latex_label_falls_back_to_the_upright_name():
    assert plots.latex_label("sigma_8", LABELS) == r"\sigma_8"
    assert plots.latex_label("A_SN1", LABELS) == r"\mathrm{A\_SN1}"


# ---- GetDist's bandwidth warnings ------------------------------------------------------------


def flat(seed=0, n=500):
    """Samples that fill the Ω_m box evenly and pile up at both edges of the σ_8 box, as a
    posterior fitted with too narrow a prior does: GetDist's automatic bandwidth fails."""
    rng = np.random.default_rng(seed)
    (a, b), (low, high) = PRIOR["omega_m"], PRIOR["sigma_8"]
    near = rng.exponential(0.002 * (high - low), n)
    return np.c_[rng.uniform(a, b, n), np.where(rng.uniform(size=n) < 0.5, low + near, high - near)]


def test_getdist_bandwidth_warnings_of_a_figure_become_one_line_naming_the_parameters(
    tmp_path, figures, caplog
):
    caplog.set_level("INFO")
    plots.triangle({"flat": flat()}, NAMES, tmp_path / "t.png", ranges=PRIOR)
    assert not [r for r in caplog.records if "getdist" in r.pathname]
    (line,) = [r for r in caplog.records if r.name == "cosmossl.plots"]
    assert line.levelname == "WARNING"
    assert line.getMessage().startswith(
        "GetDist's automatic smoothing width failed for omega_m, sigma_8 (4 densities; it used"
    )
    assert line.getMessage().endswith("(is the prior right?)")


def test_the_warnings_of_many_figures_become_one_line(tmp_path, figures, caplog):
    with plots.getdist_notes():
        for seed in range(3):
            plots.triangle({"flat": flat(seed)}, NAMES, tmp_path / f"{seed}.png", ranges=PRIOR)
    assert len([r for r in caplog.records if r.name == "cosmossl.plots"]) == 1
    assert not [r for r in caplog.records if "getdist" in r.pathname]


def test_a_well_behaved_posterior_logs_nothing(tmp_path, figures, caplog):
    caplog.set_level("DEBUG", logger="cosmossl.plots")
    draw(tmp_path)
    assert not [r for r in caplog.records if r.name == "cosmossl.plots" or "getdist" in r.pathname]


def test_other_log_records_pass_while_getdist_is_held_back(caplog):
    import logging

    with plots.getdist_notes():
        logging.getLogger().warning("not from getdist")
    assert [r.getMessage() for r in caplog.records] == ["not from getdist"]

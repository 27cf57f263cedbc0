"""``cosmossl posterior``: the posterior of an observation, its outputs, and its refusals (one
line, exit status 2, nothing written)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support.observations import TRUTH, simulate

from cosmossl.cli import main

pytestmark = pytest.mark.slow


def test_posterior_writes_every_output_and_the_chain_loads_in_getdist(run_dir, obs, capsys):
    from getdist import loadMCSamples

    assert main(["-q", "posterior", str(run_dir), str(obs), "--samples", "2000",
                 "--fisher"]) == 0  # fmt: skip
    out_dir = run_dir / "posterior/obs"
    printed = capsys.readouterr().out
    assert f"→ {out_dir}" in printed and "68% interval" in printed
    names = {p.name for p in out_dir.iterdir()}
    assert {"samples.h5", "chains", "posterior.json", "triangle.png", "report.md",
            "report.html"} <= names  # fmt: skip
    chain = loadMCSamples(str(out_dir / "chains/encoder"))
    assert [p.name for p in chain.getParamNames().names] == ["omega_m", "sigma_8"]
    assert chain.numrows == 2000
    assert chain.ranges.getLower("omega_m") == pytest.approx(0.15)
    summary = json.loads((out_dir / "posterior.json").read_text())
    entry = summary["summaries"]["power-spectrum"]["observations"][str(obs)]
    low, high = entry["omega_m"]["interval_95"]
    assert low < entry["omega_m"]["mean"] < high
    assert summary["summaries"]["encoder"]["out_of_distribution"]["flagged"] == [False]
    report = (out_dir / "report.md").read_text()
    assert "## Out-of-distribution check" in report and "Cramér–Rao bound for 1 map(s)" in report


def test_the_truth_lies_inside_the_95_percent_interval(run_dir, obs, capsys):
    assert main(["-q", "posterior", str(run_dir), str(obs), "--summary", "power-spectrum",
                 "--json"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    params = result["summaries"]["power-spectrum"]["observations"][str(obs)]
    for name, truth in zip(("omega_m", "sigma_8"), TRUTH):
        low, high = params[name]["interval_95"]
        assert low < truth < high


def test_a_second_call_is_up_to_date(run_dir, obs, capsys):
    args = ["-q", "posterior", str(run_dir), str(obs), "--summary", "power-spectrum",
            "--samples", "200"]  # fmt: skip
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    assert "(up to date)" in capsys.readouterr().out


def test_a_survey_states_its_method_and_assumption(run_dir, tmp_path, capsys):
    path = tmp_path / "survey.npy"
    np.save(path, simulate(TRUTH, 4)[:, 0])  # [4, 16, 16]
    args = ["--survey", "--summary", "power-spectrum", "--samples", "500"]
    assert (
        main(["-q", "posterior", str(run_dir), str(path), *args, "--out", str(tmp_path / "out")])
        == 0
    )
    printed = capsys.readouterr().out
    assert "the product of 4 single-map posteriors" in printed
    assert "assumed: the N maps are assumed independent given the parameters" in printed
    assert (
        "caution: the product inherits the single-map posterior's approximation errors" in printed
    )
    summary = json.loads((tmp_path / "out/posterior.json").read_text())
    assert list(summary["summaries"]["power-spectrum"]["observations"]) == ["survey of 4 maps"]
    assert (tmp_path / "out/chains/power-spectrum.txt").exists()


def test_several_maps_get_a_posterior_and_a_figure_each(run_dir, tmp_path):
    path = tmp_path / "two.npy"
    np.save(path, simulate(TRUTH, 2))  # [2, 1, 16, 16]
    assert main(["-q", "posterior", str(run_dir), str(path), "--summary", "power-spectrum",
                 "--samples", "200"]) == 0  # fmt: skip
    out_dir = run_dir / "posterior/two"
    assert (out_dir / "triangle_0.png").exists() and (out_dir / "triangle_1.png").exists()
    assert (out_dir / "chains/power-spectrum_1.txt").exists()


def _refused(run_dir, capsys, *args):
    before = sorted(p.relative_to(run_dir) for p in run_dir.rglob("*"))
    assert main(["-q", "posterior", str(run_dir), *map(str, args)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("cosmossl: error: ")
    assert sorted(p.relative_to(run_dir) for p in run_dir.rglob("*")) == before  # nothing written
    return err.removeprefix("cosmossl: error: ")


def test_a_map_of_the_wrong_shape_is_refused(run_dir, tmp_path, capsys):
    np.save(tmp_path / "big.npy", np.zeros((32, 32), np.float32))
    message = _refused(run_dir, capsys, tmp_path / "big.npy")
    assert message == (
        f"'{tmp_path / 'big.npy'}' has shape (32, 32), but the run was trained on 16×16 maps "
        "with 1 channel(s): expected [16, 16] (one map), [N, 16, 16] or [N, 1, 16, 16]"
    )


def test_a_map_with_nan_is_refused(run_dir, tmp_path, capsys):
    maps = simulate(TRUTH, 2)
    maps[1, 0, 3, 3] = np.nan
    np.save(tmp_path / "nan.npy", maps)
    message = _refused(run_dir, capsys, tmp_path / "nan.npy")
    assert (
        message == f"map 1 of '{tmp_path / 'nan.npy'}' holds 1 NaN or inf pixel(s): fill or "
        "mask them first"
    )


def test_a_stated_content_other_than_the_runs_is_refused(run_dir, obs, capsys):
    message = _refused(run_dir, capsys, obs, "--content", "overdensity")
    assert "but the run was trained on log1p-overdensity" in message
    assert message.endswith("convert them with numpy.log1p(maps)")


def test_a_survey_of_one_map_is_refused(run_dir, obs, capsys):
    message = _refused(run_dir, capsys, obs, "--survey")
    assert message.startswith("a survey needs at least 2 maps, got 1")


def test_fits_without_astropy_is_refused(run_dir, tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "astropy", None)
    monkeypatch.setitem(sys.modules, "astropy.io", None)
    (tmp_path / "obs.fits").write_bytes(b"SIMPLE")
    message = _refused(run_dir, capsys, tmp_path / "obs.fits")
    assert (
        "reading FITS files needs astropy, an optional extra: pip install 'cosmossl[fits]'"
        in message
    )


def test_an_unknown_summary_is_refused(run_dir, obs, capsys):
    message = _refused(run_dir, capsys, obs, "--summary", "vicreg")
    assert message == (f"the run '{run_dir}' has no summary 'vicreg' with a posterior; it has "
                       "encoder, power-spectrum")  # fmt: skip


def test_a_folder_that_is_not_a_run_is_refused(tmp_path, obs, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["-q", "posterior", str(tmp_path / "empty"), str(obs)]) == 2
    assert "holds no summaries with a fitted posterior" in capsys.readouterr().err
    assert list((tmp_path / "empty").iterdir()) == []


def test_a_foreign_output_folder_is_refused(run_dir, obs, tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine/notes.txt").write_text("keep")
    message = _refused(run_dir, capsys, obs, "--out", tmp_path / "mine")
    assert "is not empty" in message and "--out" in message
    assert (tmp_path / "mine/notes.txt").read_text() == "keep"

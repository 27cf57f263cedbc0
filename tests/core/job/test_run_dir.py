"""Stage caching, atomic writes and the report document."""

from __future__ import annotations

import json

import pytest

from cosmossl._util.digest import digest
from cosmossl._util.files import atomic_path, write_json
from cosmossl.job.report.document import Report
from cosmossl.job.run_dir import RunDirectory


def test_digest_ignores_key_order_and_sees_values():
    assert digest({"a": 1, "b": [1, 2]}) == digest({"b": [1, 2], "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})


def test_stage_is_skipped_when_inputs_are_unchanged(tmp_path):
    calls = []

    def action():
        calls.append(1)
        (tmp_path / "out.txt").write_text("x")

    run = RunDirectory(tmp_path)
    _, ran_first = run.run_stage("data", {"n": 1}, ["out.txt"], action)
    _, ran_again = RunDirectory(tmp_path).run_stage("data", {"n": 1}, ["out.txt"], action)
    _, ran_changed = RunDirectory(tmp_path).run_stage("data", {"n": 2}, ["out.txt"], action)
    assert (ran_first, ran_again, ran_changed) == (True, False, True)
    assert len(calls) == 2


def test_stage_reruns_when_its_output_was_deleted(tmp_path):
    run = RunDirectory(tmp_path)
    run.run_stage("data", {}, ["out.txt"], lambda: (tmp_path / "out.txt").write_text("x"))
    (tmp_path / "out.txt").unlink()
    _, ran = run.run_stage("data", {}, ["out.txt"], lambda: (tmp_path / "out.txt").write_text("y"))
    assert ran


def test_failed_stage_is_not_recorded(tmp_path):
    run = RunDirectory(tmp_path)

    def boom():
        raise ValueError("no")

    with pytest.raises(ValueError):
        run.run_stage("train", {}, [], boom)
    assert run.key("train") is None
    assert "train" not in json.loads((tmp_path / "stages.json").read_text())


def test_stage_must_write_its_outputs(tmp_path):
    with pytest.raises(RuntimeError, match=r"stage data finished without writing out\.txt"):
        RunDirectory(tmp_path).run_stage("data", {}, ["out.txt"], lambda: None)


def test_atomic_path_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "metrics.json"
    write_json(target, {"ok": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert json.loads(target.read_text()) == {"ok": 1}
    assert list(tmp_path.iterdir()) == [target]


def test_write_json_turns_nan_into_null(tmp_path):
    write_json(tmp_path / "m.json", {"x": float("nan"), "y": [1.0, float("nan")]})
    assert json.loads((tmp_path / "m.json").read_text()) == {"x": None, "y": [1.0, None]}


def test_report_renders_markdown_and_embeds_figures_in_html(tmp_path):
    (tmp_path / "fig.png").write_bytes(b"\x89PNG fake")
    report = Report("My run")
    report.heading("Metrics")
    report.table(["metric", "value"], [["nll", 1.23456], ["fom", None]])
    report.figure("fig.png", "A figure")
    md, page = report.write(tmp_path)
    text = md.read_text()
    assert "# My run" in text and "| nll | 1.235 |" in text and "![A figure](fig.png)" in text
    assert "data:image/png;base64," in page.read_text()

"""Stage caching, atomic writes and the report document."""

from __future__ import annotations

import json
import os

import pytest

from cosmossl._util.digest import digest
from cosmossl._util.files import atomic_path, write_json, write_text
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


# ---- the stage cache sees outputs that another command replaced ----------------------------


def _writer(tmp_path, text, calls=None):
    def action():
        if calls is not None:
            calls.append(text)
        write_text(tmp_path / "out.txt", text)

    return action


def test_a_stage_reruns_when_another_command_replaced_its_output(tmp_path):
    run = RunDirectory(tmp_path)
    run.run_stage("compress", {"n": 1}, ["out.txt"], _writer(tmp_path, "ours"))
    write_text(tmp_path / "out.txt", "another run file's")  # e.g. compress --run-dir
    calls = []
    _, ran = RunDirectory(tmp_path).run_stage(
        "compress", {"n": 1}, ["out.txt"], _writer(tmp_path, "ours", calls)
    )
    assert ran and calls == ["ours"] and (tmp_path / "out.txt").read_text() == "ours"


def test_an_output_rewritten_with_the_same_content_keeps_the_stage_current(tmp_path):
    run = RunDirectory(tmp_path)
    key, _ = run.run_stage("compress", {"n": 1}, ["out.txt"], _writer(tmp_path, "ours"))
    stat = (tmp_path / "out.txt").stat()
    write_text(tmp_path / "out.txt", "ours")  # a new file, a new time, the same bytes
    os.utime(tmp_path / "out.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    again, ran = RunDirectory(tmp_path).run_stage(
        "compress", {"n": 1}, ["out.txt"], _writer(tmp_path, "ours")
    )
    assert not ran and again == key


def test_a_replaced_file_inside_a_folder_output_reruns_the_stage(tmp_path):
    def train():
        write_text(tmp_path / "best" / "weights", "trained")
        write_text(tmp_path / "best" / "state.json", "{}")

    run = RunDirectory(tmp_path)
    run.run_stage("train", {}, ["best"], train)
    write_text(tmp_path / "best" / "weights", "other weights")
    _, ran = RunDirectory(tmp_path).run_stage("train", {}, ["best"], train)
    assert ran
    (tmp_path / "best" / "extra").write_text("x")  # a file more is a change too
    _, ran = RunDirectory(tmp_path).run_stage("train", {}, ["best"], train)
    assert ran


def test_consumers_key_on_the_content_of_what_a_stage_wrote(tmp_path):
    """A stage's key, which the stages that read its output include in theirs, changes when
    its output's content changes, even with unchanged settings."""
    run = RunDirectory(tmp_path)
    first, _ = run.run_stage("compress", {"n": 1}, ["out.txt"], _writer(tmp_path, "a"))
    assert run.key("compress") == first
    write_text(tmp_path / "out.txt", "replaced")
    second, ran = run.run_stage("compress", {"n": 1}, ["out.txt"], _writer(tmp_path, "b"))
    assert ran and second != first and run.key("compress") == second
    write_text(tmp_path / "out.txt", "replaced")
    third, _ = run.run_stage("compress", {"n": 1}, ["out.txt"], _writer(tmp_path, "a"))
    assert third == first  # the same content as the first time: the same key


def test_a_moved_run_directory_stays_current(tmp_path):
    RunDirectory(tmp_path / "a").run_stage(
        "compress", {}, ["out.txt"], _writer(tmp_path / "a", "x")
    )
    os.replace(tmp_path / "a", tmp_path / "b")
    _, ran = RunDirectory(tmp_path / "b").run_stage(
        "compress", {}, ["out.txt"], _writer(tmp_path / "b", "x")
    )
    assert not ran


def test_a_record_of_an_older_cosmossl_without_fingerprints_is_not_trusted(tmp_path):
    run = RunDirectory(tmp_path)
    run.run_stage("compress", {}, ["out.txt"], _writer(tmp_path, "x"))
    state = json.loads((tmp_path / "stages.json").read_text())
    state["compress"] = {k: v for k, v in state["compress"].items() if k != "files"}
    (tmp_path / "stages.json").write_text(json.dumps(state))
    _, ran = RunDirectory(tmp_path).run_stage("compress", {}, ["out.txt"], _writer(tmp_path, "x"))
    assert ran

"""The run directory as a trustworthy store: marked as cosmossl's, never written into when it is
someone else's, only what cosmossl wrote is deleted, locked while a run holds it, and cleaned of
temporaries that killed writers left."""

from __future__ import annotations

import json
import os

import pytest
from support.run_dirs import held_by_another_process

from cosmossl.errors import OutputError, RunDirectoryBusyError
from cosmossl.job.run_dir import LOCK, MARKER, MARKER_VERSION, RunDirectory

DEAD_PID = 2**22 + 12345


def test_a_new_run_directory_is_marked_with_a_format_version(tmp_path):
    RunDirectory(tmp_path / "run")
    marker = json.loads((tmp_path / "run" / MARKER).read_text())
    assert marker["format"] == "cosmossl-run-directory"
    assert marker["version"] == MARKER_VERSION and marker["owned"] == []


def test_a_non_empty_foreign_folder_is_refused_and_left_untouched(tmp_path):
    foreign = tmp_path / "mine"
    (foreign / "train").mkdir(parents=True)
    (foreign / "train" / "thesis.tex").write_text("years of work")
    with pytest.raises(OutputError) as info:
        RunDirectory(foreign)
    assert str(info.value) == (
        f"'{foreign}' is not empty (train) and is not a cosmossl run directory (it has no "
        f"{MARKER} marker): cosmossl never writes into a folder it did not make. Choose another "
        "run directory (--run-dir, or run_dir in the run file), or empty this one"
    )
    assert (foreign / "train" / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in foreign.iterdir()) == ["train"]


def test_a_file_given_as_run_directory_is_refused(tmp_path):
    (tmp_path / "run").write_text("x")
    with pytest.raises(OutputError, match=r"run directory '.*run' is a file, not a folder"):
        RunDirectory(tmp_path / "run")


def test_a_run_directory_from_a_newer_cosmossl_is_refused(tmp_path):
    RunDirectory(tmp_path)
    marker = json.loads((tmp_path / MARKER).read_text())
    (tmp_path / MARKER).write_text(json.dumps({**marker, "version": MARKER_VERSION + 1}))
    with pytest.raises(OutputError, match=r"written by a newer cosmossl .*: upgrade cosmossl"):
        RunDirectory(tmp_path)


def test_a_run_directory_of_an_older_cosmossl_is_adopted_with_what_it_holds(tmp_path):
    (tmp_path / "train" / "checkpoints").mkdir(parents=True)
    record = {"key": "k", "outputs": ["train/checkpoints/best"], "seconds": 1.0, "finished": "t"}
    (tmp_path / "stages.json").write_text(json.dumps({"train": record}))
    directory = RunDirectory(tmp_path)
    assert directory.owns("train/checkpoints/last") and directory.key("train") == "k"


def test_a_training_folder_of_an_older_cosmossl_is_adopted(tmp_path):
    last = tmp_path / "train" / "checkpoints" / "last"
    last.mkdir(parents=True)
    (last / "state.json").write_text(json.dumps({"format": "cosmossl-checkpoint", "step": 3}))
    assert RunDirectory(tmp_path).owns("train")


def test_only_paths_cosmossl_wrote_are_claimed_and_deleted(tmp_path):
    directory = RunDirectory(tmp_path)
    (tmp_path / "train").mkdir()  # appeared after the folder was marked: not ours
    (tmp_path / "train" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError) as info:
        directory.claim("train")
    assert str(info.value) == (
        f"'{tmp_path / 'train'}' exists but was not written by cosmossl in this run directory: "
        "move it away, or choose another run directory (--run-dir)"
    )
    with pytest.raises(OutputError, match=r"refusing to delete '.*train': cosmossl did not"):
        directory.remove("train")
    assert (tmp_path / "train" / "notes.txt").read_text() == "mine"
    directory.claim("summaries/encoder.h5")  # not there yet: recorded, then written
    (tmp_path / "summaries").mkdir()
    (tmp_path / "summaries" / "encoder.h5").write_text("ours")
    assert RunDirectory(tmp_path).owns("summaries/encoder.h5")
    RunDirectory(tmp_path).remove("summaries/encoder.h5")
    assert not (tmp_path / "summaries" / "encoder.h5").exists()


def test_a_stage_claims_its_outputs_before_it_runs(tmp_path):
    directory = RunDirectory(tmp_path)
    (tmp_path / "fisher.json").write_text("someone else's")
    with pytest.raises(OutputError, match=r"'.*fisher\.json' exists but was not written"):
        directory.run_stage("fisher", {}, ["fisher.json"], lambda: None)
    assert (tmp_path / "fisher.json").read_text() == "someone else's"


def test_a_second_process_is_refused_with_the_holders_pid(tmp_path):
    with held_by_another_process(tmp_path) as holder:
        with pytest.raises(RunDirectoryBusyError) as info, RunDirectory(tmp_path):
            pass
        assert str(info.value) == (
            f"run directory '{tmp_path}' is in use by another cosmossl process (PID "
            f"{holder.pid}): wait for it to finish, or choose another run directory (--run-dir)"
        )
    with RunDirectory(tmp_path):  # released when its holder died
        assert (tmp_path / LOCK).read_text().strip() == str(os.getpid())


def test_the_lock_is_reentrant_within_one_process(tmp_path):
    with RunDirectory(tmp_path) as outer, RunDirectory(tmp_path):
        outer.claim("x")
    with held_by_another_process(tmp_path):  # fully released afterwards
        pass


def test_taking_the_lock_removes_temporaries_of_killed_writers(tmp_path):
    RunDirectory(tmp_path)
    (tmp_path / "summaries").mkdir(parents=True)
    stale = tmp_path / "summaries" / f".encoder.h5.{DEAD_PID}.abcdefgh.tmp"
    stale.write_text("half")
    live = tmp_path / f".report.md.{os.getpid()}.abcdefgh.tmp"
    live.write_text("being written")
    with RunDirectory(tmp_path):
        assert not stale.exists() and live.exists()

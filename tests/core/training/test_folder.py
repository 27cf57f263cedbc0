"""The layout of a training folder."""

from __future__ import annotations

from pathlib import Path

from cosmossl.training import TrainingFolder


def test_a_training_folder_names_its_files_from_a_path_or_a_str():
    for root in ("runs/q/train", Path("runs/q/train")):
        folder = TrainingFolder(root)
        assert folder.root == Path("runs/q/train")
        assert folder.best == Path("runs/q/train/checkpoints/best")
        assert folder.last == Path("runs/q/train/checkpoints/last")
        assert folder.metrics == Path("runs/q/train/metrics.jsonl")

"""The training loop: determinism, exact resume, schedules, early stopping, logs, warnings."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch
from support.training import TinyLoss, tiny_components, tiny_mapset, weights

from cosmossl import ConfigError, DataError, TrainSettings
from cosmossl.config import PairingSettings
from cosmossl.training import load_checkpoint, train_components

FAST = {"batch_size": 4, "lr": 1e-2, "tensorboard": False, "log_every": 1}


def _train(run_dir, seed=0, mapset=None, **kwargs):
    mapset = mapset or tiny_mapset()
    encoder, loss = tiny_components(mapset, seed)
    settings = TrainSettings(**{**FAST, "epochs": 3, **kwargs.pop("settings", {})})
    result = train_components(
        mapset,
        encoder,
        loss,
        run_dir=run_dir,
        settings=settings,
        seed=seed,
        device="cpu",
        progress=False,
        **kwargs,
    )
    return result, encoder, loss


def test_same_seed_gives_identical_weights(tmp_path):
    _, enc_a, loss_a = _train(tmp_path / "a")
    _, enc_b, loss_b = _train(tmp_path / "b")
    _, enc_c, _ = _train(tmp_path / "c", seed=1)
    for key, value in weights(enc_a).items():
        assert torch.equal(value, weights(enc_b)[key])
    assert torch.equal(weights(loss_a)["projector.weight"], weights(loss_b)["projector.weight"])
    assert not torch.equal(weights(enc_a)["net.1.weight"], weights(enc_c)["net.1.weight"])


@pytest.mark.parametrize("stop", [3, 4])  # mid-epoch and at an epoch boundary
def test_resume_ends_with_the_weights_of_an_uninterrupted_run(tmp_path, stop):
    full, enc_full, loss_full = _train(tmp_path / "full", settings={"schedule": "cosine"})
    first, _, _ = _train(tmp_path / "cut", stop_after_steps=stop, settings={"schedule": "cosine"})
    assert first.interrupted and first.steps == stop
    resumed, enc_res, loss_res = _train(
        tmp_path / "cut", resume=True, settings={"schedule": "cosine"}
    )
    assert resumed.steps == full.steps == 6
    for key, value in weights(enc_full).items():
        assert torch.equal(value, weights(enc_res)[key]), key
    for key, value in weights(loss_full).items():
        assert torch.equal(value, weights(loss_res)[key]), key
    for ours, theirs in zip(resumed.history, full.history, strict=True):
        for key in ("epoch", "step", "val_loss", "lr", "train_loss"):
            assert ours[key] == pytest.approx(theirs[key], rel=1e-6), key

    def steps(folder):
        return [json.loads(line)["step"] for line in (tmp_path / folder / "metrics.jsonl").open()]

    assert steps("cut") == steps("full")  # lines logged after the checkpoint are not repeated


def test_resume_drops_a_metrics_line_left_half_written(tmp_path):
    _train(tmp_path, stop_after_steps=3)
    log = tmp_path / "metrics.jsonl"
    with log.open("a", encoding="utf-8") as f:
        f.write('{"kind": "step", "step": 4, "loss": 0.')  # killed while writing
    resumed, _, _ = _train(tmp_path, resume=True)
    assert resumed.steps == 6
    records = [json.loads(line) for line in log.open()]  # every line parses
    assert [r["step"] for r in records if r.get("kind") == "step"] == [1, 2, 3, 4, 5, 6]


def test_existing_run_needs_resume(tmp_path):
    _train(tmp_path, settings={"epochs": 1})
    with pytest.raises(ConfigError, match=r"already holds a training run.*--resume"):
        _train(tmp_path, settings={"epochs": 1})


def test_resume_refuses_another_configuration(tmp_path):
    _train(tmp_path, stop_after_steps=1)
    with pytest.raises(ConfigError, match="made with another configuration"):
        _train(tmp_path, resume=True, settings={"lr": 0.5})


def test_checkpoint_files_are_safe_formats(tmp_path):
    result, encoder, _ = _train(tmp_path)
    ckpt = load_checkpoint(result.last_checkpoint, with_optimizer=True)
    assert ckpt.state["step"] == 6 and ckpt.state["epoch"] == 3
    assert torch.equal(ckpt.part("encoder")["net.1.weight"], encoder.state_dict()["net.1.weight"])
    assert set(ckpt.part("loss")) == {"projector.weight", "projector.bias"}
    # optimizer.pt loads with weights_only=True (load_checkpoint uses it) and holds AdamW moments.
    assert "exp_avg" in ckpt.optimizer["optimizer"]["state"][0]
    mapset = tiny_mapset()
    train_maps = mapset.read(mapset.indices("train"))
    assert ckpt.standardizer.mean == pytest.approx(float(train_maps.mean()), rel=1e-5)
    assert ckpt.standardizer.std == pytest.approx(float(train_maps.std()), rel=1e-5)


def test_best_checkpoint_has_the_lowest_validation_loss(tmp_path):
    result, _, _ = _train(tmp_path, settings={"epochs": 4, "lr": 0.05})
    val = [h["val_loss"] for h in result.history]
    assert result.best_val_loss == min(val)
    assert result.best_epoch == int(np.argmin(val)) + 1
    assert load_checkpoint(result.checkpoint).state["best_epoch"] == result.best_epoch


def test_a_loss_that_does_not_rank_epochs_keeps_its_last_epoch_as_best(tmp_path):
    # lr so small the validation loss is lowest at epoch 1; the loss opts out of ranking.
    mapset = tiny_mapset()
    encoder, _ = tiny_components(mapset)

    class MovingTarget(TinyLoss):
        select_by_validation = False

    loss = MovingTarget(summary_dim=4, param_dim=2)
    result = train_components(
        mapset,
        encoder,
        loss,
        run_dir=tmp_path,
        settings=TrainSettings(**{**FAST, "epochs": 3, "lr": 1e-9}),
        seed=0,
        device="cpu",
        progress=False,
    )
    assert result.best_epoch == 1 and result.checkpoint_epoch == 3
    best = load_checkpoint(result.checkpoint)
    assert best.state["epoch"] == 3
    assert torch.equal(best.part("encoder")["net.1.weight"], encoder.state_dict()["net.1.weight"])
    default, _, _ = _train(tmp_path / "default", settings={"epochs": 3, "lr": 1e-9})
    assert default.checkpoint_epoch == default.best_epoch == 1
    assert load_checkpoint(default.checkpoint).state["epoch"] == 1


def test_early_stopping_stops_after_patience_epochs_without_improvement(tmp_path):
    # lr so small the validation loss cannot improve by the relative threshold of 1e-4.
    result, _, _ = _train(tmp_path, settings={"epochs": 10, "lr": 1e-9, "early_stopping": 2})
    assert result.stopped_early
    assert result.epochs == 3 and result.best_epoch == 1


def test_plateau_schedule_multiplies_lr_by_factor(tmp_path):
    result, _, _ = _train(
        tmp_path,
        settings={
            "epochs": 4,
            "lr": 1e-9,
            "schedule": "plateau",
            "plateau_patience": 1,
            "plateau_factor": 0.3,
        },
    )
    lrs = [h["lr"] for h in result.history]
    # epochs 2, 3 without improvement: the lr drops after the second one (> patience).
    assert lrs[:3] == pytest.approx([1e-9, 1e-9, 1e-9])
    assert lrs[3] == pytest.approx(0.3e-9)


def test_cosine_schedule_warms_up_then_decays(tmp_path):
    _train(tmp_path, settings={"epochs": 3, "schedule": "cosine", "warmup_epochs": 1})
    lrs = [
        json.loads(line)["lr"]
        for line in (tmp_path / "metrics.jsonl").open()
        if '"step"' in line and '"kind": "step"' in line
    ]
    assert lrs[0] == pytest.approx(0.5e-2) and lrs[1] == pytest.approx(1e-2)
    assert lrs[2] > lrs[3] > lrs[4] > lrs[5] >= 0
    assert lrs[2] == pytest.approx(1e-2 * 0.5 * (1 + np.cos(np.pi * 0 / 4)))
    assert lrs[3] == pytest.approx(1e-2 * 0.5 * (1 + np.cos(np.pi * 1 / 4)))


def test_collapse_is_warned(tmp_path, caplog):
    mapset = tiny_mapset()
    mapset.maps[:] = 1.0  # identical maps: every embedding is the same point
    with caplog.at_level(logging.WARNING, logger="cosmossl.training"):
        _train(tmp_path, mapset=mapset, settings={"epochs": 1, "standardize": False})
    assert "representation collapse: std of normalised embeddings" in caplog.text


def test_metrics_go_to_jsonl_and_tensorboard(tmp_path):
    _train(tmp_path, settings={"epochs": 1, "tensorboard": True})
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").open()]
    assert [r["kind"] for r in records] == ["step", "step", "epoch"]
    assert {"loss", "inv", "var", "mean", "lr", "embedding_std", "rankme"} <= set(records[0])
    total = records[0]["inv"] + records[0]["var"] + records[0]["mean"]
    assert records[0]["loss"] == pytest.approx(total, rel=1e-5)
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))


def test_batch_larger_than_the_training_groups_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="batch_size = 64 groups but the train split has only 9"):
        _train(tmp_path, settings={"batch_size": 64})


def test_background_reading_gives_the_same_weights(tmp_path):
    _, enc_sync, _ = _train(tmp_path / "sync")
    _, enc_threads, _ = _train(tmp_path / "threads", settings={"workers": 2})
    for key, value in weights(enc_sync).items():
        assert torch.equal(value, weights(enc_threads)[key]), key


def test_steps_per_epoch_and_views_are_honoured(tmp_path):
    seen = []
    mapset = tiny_mapset()
    encoder, loss = tiny_components(mapset)
    forward = loss.forward

    def spy(encoder, views, theta=None):
        if loss.training:
            seen.append(tuple(views.shape))
        return forward(encoder, views, theta)

    loss.forward = spy
    settings = TrainSettings(**{**FAST, "epochs": 2, "steps_per_epoch": 5})
    result = train_components(mapset, encoder, loss, run_dir=tmp_path, settings=settings,
                              pairing=PairingSettings(views=3), device="cpu",
                              progress=False)  # fmt: skip
    assert result.steps == 10
    assert seen == [(4, 3, 1, 16, 16)] * 10


def test_small_groups_policy_reaches_the_sampler(tmp_path):
    # 4 maps per group, 5 views: every group is too small.
    with pytest.raises(DataError, match=r"\(train split\): 9 of 9 groups have fewer than 5 maps"):
        _train(tmp_path, pairing=PairingSettings(views=5, small_groups="error"))


def test_epoch_records_time_the_steps_after_the_first(tmp_path):
    result, _, _ = _train(tmp_path)  # 3 epochs of 2 steps
    assert [h["timed_steps"] for h in result.history] == [1, 2, 2]
    assert all(h["step_time_s"] > 0 for h in result.history)


def test_step_timer_leaves_out_the_warm_up_step():
    from cosmossl.training.metrics import StepTimer

    ticks = iter([0.0, 10.0, 11.0, 20.0])
    timer = StepTimer(torch.device("cpu"), clock=lambda: next(ticks))
    timer.epoch_started()  # not warm yet: no clock
    timer.step_done()  # ends the warm-up: the clock starts at t = 0
    timer.step_done()  # one timed step, read at t = 10
    assert timer.take() == {"step_time_s": 10.0, "timed_steps": 1}
    timer.epoch_started()  # t = 11
    timer.step_done()
    timer.step_done()
    assert timer.take() == {"step_time_s": 9.0, "timed_steps": 2}

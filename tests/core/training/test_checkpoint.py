"""Checkpoints: the old one or the new one, never half of each; a rerun resumes from the last
complete one; a damaged or foreign file is a clear error naming it, never a traceback."""

from __future__ import annotations

import errno
import json
import os
import pickle
import stat
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from support.training import tiny_components, tiny_mapset, weights

from cosmossl import DataError, TrainSettings
from cosmossl._util.files import previous_folder
from cosmossl.errors import OutputError
from cosmossl.training import load_checkpoint, load_encoder, train_components
from cosmossl.training.checkpoint import save_checkpoint

FAST = {
    "batch_size": 4,
    "lr": 1e-2,
    "tensorboard": False,
    "log_every": 1,
    "epochs": 3,
    "schedule": "cosine",
}


def _train(run_dir, **kwargs):
    mapset = tiny_mapset()
    encoder, loss = tiny_components(mapset, 0)
    result = train_components(
        mapset,
        encoder,
        loss,
        run_dir=run_dir,
        settings=TrainSettings(**FAST),
        seed=0,
        device="cpu",
        progress=False,
        **kwargs,
    )
    return result, encoder, loss


def _save(folder, step):
    save_checkpoint(
        folder,
        tensors={"w": torch.full((3,), float(step))},
        state={"step": step},
        optimizer={"optimizer": {"state": {}, "param_groups": []}},
    )


def test_a_crash_inside_a_save_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    folder = tmp_path / "checkpoints" / "last"
    _save(folder, 15)
    real_save = torch.save

    def killed(*args, **kwargs):  # the weights of step 30 are written, then the process dies
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        _save(folder, 30)
    monkeypatch.setattr(torch, "save", real_save)
    ckpt = load_checkpoint(folder, with_optimizer=True)
    assert ckpt.state["step"] == 15 and float(ckpt.tensors["w"][0]) == 15.0
    assert sorted(p.name for p in folder.parent.iterdir()) == ["last"]


def test_a_crash_between_the_renames_resumes_from_the_previous_checkpoint(tmp_path):
    folder = tmp_path / "checkpoints" / "last"
    _save(folder, 15)
    os.replace(folder, previous_folder(folder))  # the state a kill between the renames leaves
    ckpt = load_checkpoint(folder, with_optimizer=True)
    assert ckpt.state["step"] == 15
    _save(folder, 30)  # the next save completes the swap and drops the previous one
    assert load_checkpoint(folder).state["step"] == 30
    assert sorted(p.name for p in folder.parent.iterdir()) == ["last"]


def test_a_rerun_resumes_from_the_last_complete_checkpoint(tmp_path):
    _, enc_full, _ = _train(tmp_path / "full")
    first, _, _ = _train(tmp_path / "cut", stop_after_steps=3)
    last = first.last_checkpoint
    os.replace(last, previous_folder(last))  # killed while replacing it
    resumed, enc_res, _ = _train(tmp_path / "cut", resume=True)
    assert resumed.steps == 6
    for key, value in weights(enc_full).items():
        assert torch.equal(value, weights(enc_res)[key]), key


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda p: p.write_bytes(b""), "header too small"),
        (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "deserializing"),
        (lambda p: p.write_bytes(b"\xff" * 256), "header too large"),
    ],
    ids=["zero-byte", "truncated", "random"],
)
def test_a_damaged_weights_file_is_a_clear_error(tmp_path, damage, reason):
    folder = tmp_path / "best"
    _save(folder, 1)
    damage(folder / "weights.safetensors")
    with pytest.raises(DataError) as info:
        load_checkpoint(folder)
    message = str(info.value)
    assert message.startswith(
        f"checkpoint '{folder}': '{folder / 'weights.safetensors'}' is not a readable "
        "safetensors file ("
    )
    assert reason in message and "it is damaged or was not written by cosmossl" in message


def test_a_pickled_optimizer_file_is_refused_without_unpickling(tmp_path):
    folder = tmp_path / "last"
    _save(folder, 1)
    ran = tmp_path / "pwned"
    payload = pickle.dumps(type("Evil", (), {"__reduce__": lambda s: (ran.touch, ())})())
    (folder / "optimizer.pt").write_bytes(payload)
    with pytest.raises(DataError, match=r"'.*optimizer\.pt' is not a weights-only torch file"):
        load_checkpoint(folder, with_optimizer=True)
    assert not ran.exists()


def test_files_of_different_steps_are_refused(tmp_path):
    folder = tmp_path / "last"
    _save(folder, 30)
    state = json.loads((folder / "state.json").read_text())
    (folder / "state.json").write_text(json.dumps({**state, "step": 15}))
    with pytest.raises(DataError) as info:
        load_checkpoint(folder)
    assert str(info.value) == (
        f"checkpoint '{folder}' is inconsistent: weights hold step 30, state.json says step 15; "
        "it was not written as one checkpoint"
    )


def test_weights_that_do_not_match_the_encoder_in_state_json_are_a_clear_error(tmp_path):
    result, _, _ = _train(tmp_path)
    best = result.checkpoint
    state = json.loads((best / "state.json").read_text())
    state["encoder"]["input_shape"] = [1, 8, 8]  # another encoder than the weights hold
    (best / "state.json").write_text(json.dumps(state))
    with pytest.raises(
        DataError,
        match=r"its encoder weights do not match the encoder described "
        r"in state\.json \(",
    ):
        load_encoder(best, encoder=tiny_components(tiny_mapset(size=8))[0])


def test_a_resume_from_a_checkpoint_of_other_weights_is_a_clear_error(tmp_path):
    first, _, _ = _train(tmp_path, stop_after_steps=2)
    ckpt = first.last_checkpoint
    tensors = load_checkpoint(ckpt).tensors
    tensors["encoder.net.1.weight"] = torch.zeros(3, 3)
    save_file(
        tensors,
        str(ckpt / "weights.safetensors"),
        metadata={"format": "cosmossl-checkpoint", "step": "2"},
    )
    with pytest.raises(DataError, match=r"its encoder weights do not match"):
        _train(tmp_path, resume=True)


def test_a_missing_checkpoint_says_what_is_expected(tmp_path):
    with pytest.raises(
        DataError,
        match=r"'.*nowhere' is not a cosmossl checkpoint \(expected a "
        r"folder with weights\.safetensors and state\.json",
    ):
        load_checkpoint(tmp_path / "nowhere")


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_checkpoint_files_follow_the_umask_like_every_other_output(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        _save(tmp_path / "last", 1)
    finally:
        os.umask(old)
    for name in ("weights.safetensors", "optimizer.pt", "state.json"):
        assert stat.S_IMODE((tmp_path / "last" / name).stat().st_mode) == mode, name


def _full_disk(*args, **kwargs):
    # What safetensors raises when the disk fills up (measured on a 64 KiB tmpfs).
    from safetensors import SafetensorError

    raise SafetensorError(
        "Error while serializing: I/O error: No space left on device (os error 28)"
    )


def test_a_full_disk_while_saving_the_weights_is_a_clear_error_and_keeps_the_checkpoint(
    tmp_path, monkeypatch
):
    import safetensors.torch

    folder = tmp_path / "checkpoints" / "last"
    _save(folder, 15)
    monkeypatch.setattr(safetensors.torch, "serialize_file", _full_disk)
    with pytest.raises(OutputError) as info:
        _save(folder, 30)
    assert str(info.value) == (
        f"cannot write '{folder}': no space left on the device; free some space, or write elsewhere"
    )
    assert load_checkpoint(folder, with_optimizer=True).state["step"] == 15
    assert sorted(p.name for p in folder.parent.iterdir()) == ["last"]


def test_a_full_disk_while_saving_the_optimizer_is_a_clear_error(tmp_path, monkeypatch):
    # torch.save reports a full disk as "RuntimeError: ... unexpected pos 576 vs 534", without
    # the cause: the optimiser state reaches the disk through a plain file write instead.
    folder = tmp_path / "last"
    _save(folder, 15)
    real_write_bytes = Path.write_bytes

    def full(path, data):
        if path.name == "optimizer.pt":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write_bytes(path, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(OutputError) as info:
        _save(folder, 30)
    assert str(info.value) == (
        f"cannot write '{folder}': no space left on the device; free some space, or write elsewhere"
    )
    monkeypatch.setattr(Path, "write_bytes", real_write_bytes)
    assert load_checkpoint(folder, with_optimizer=True).state["step"] == 15

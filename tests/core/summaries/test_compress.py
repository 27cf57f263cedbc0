"""Compression: summaries are the encoder's output (never the projector's), batched, provenance."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support.training import tiny_components, tiny_mapset

from cosmossl import DataError, MapMeta, MapSet, TrainSettings, compress
from cosmossl.data.summaries import read_summaries, write_summaries
from cosmossl.summaries import compress_statistic
from cosmossl.training import load_encoder, train_components


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    mapset = tiny_mapset()
    encoder, loss = tiny_components(mapset)
    settings = TrainSettings(epochs=2, batch_size=4, lr=1e-2, tensorboard=False)
    result = train_components(
        mapset, encoder, loss, run_dir=run_dir, settings=settings, device="cpu", progress=False
    )
    return mapset, encoder, loss, result


def test_summaries_are_the_encoder_output_not_the_projector(trained):
    mapset, _, loss, result = trained
    fresh, _ = tiny_components(mapset, seed=123)  # random weights, overwritten by the checkpoint
    summaries = compress(
        mapset, result.checkpoint, encoder=fresh, batch_size=5, device="cpu", progress=False
    )
    _, standardizer, _ = load_encoder(result.checkpoint, encoder=fresh)
    x = torch.from_numpy(mapset.read(np.arange(len(mapset))))
    encoder_out = fresh.eval()(standardizer(x)).detach().numpy()
    projector_out = loss.projector(torch.from_numpy(encoder_out)).detach().numpy()
    assert summaries.summaries.shape == (len(mapset), 4) != projector_out.shape
    np.testing.assert_allclose(summaries.summaries, encoder_out, rtol=1e-5, atol=1e-6)


def test_summaries_keep_params_ids_split_and_provenance(trained, tmp_path):
    mapset, encoder, _, result = trained
    out = write_summaries(
        tmp_path / "s.h5",
        compress(mapset, result.checkpoint, encoder=encoder, device="cpu", progress=False),
    )
    back = read_summaries(out)
    np.testing.assert_array_equal(back.params, mapset.params)
    np.testing.assert_array_equal(back.cosmology_id, mapset.cosmology_id)
    np.testing.assert_array_equal(back.split, mapset.split)
    assert back.param_names == ("a", "b")
    assert back.param_labels == mapset.param_labels == {"a": "a_1"}
    assert back.provenance["kind"] == "encoder"
    assert back.provenance["step"] == result.steps == 4
    assert back.provenance["checkpoint"].endswith("checkpoints/best")
    # Components built outside the registry have no provider, but their class is recorded.
    assert back.provenance["encoder"]["class"] == "support.training:TinyEncoder"
    assert back.provenance["encoder"]["provider"] is None
    assert back.provenance["loss"]["class"] == "support.training:TinyLoss"


def test_batching_does_not_change_summaries(trained):
    mapset, encoder, _, result = trained
    one = compress(
        mapset, result.checkpoint, encoder=encoder, batch_size=1, device="cpu", progress=False
    )
    all_ = compress(
        mapset, result.checkpoint, encoder=encoder, batch_size=1000, device="cpu", progress=False
    )
    np.testing.assert_allclose(one.summaries, all_.summaries, rtol=1e-5, atol=1e-6)


def test_statistic_summaries(trained):
    mapset = trained[0]
    summaries = compress_statistic(
        mapset, lambda x: x.mean(dim=(1, 2, 3))[:, None], name="mean", device="cpu", progress=False
    )
    np.testing.assert_allclose(
        summaries.summaries[:, 0], mapset.maps.mean(axis=(1, 2, 3)), rtol=1e-5
    )
    assert summaries.provenance["statistic"] == "mean"


def test_unregistered_encoder_needs_a_module(trained):
    with pytest.raises(DataError, match=r"does not name a registered encoder.*pass encoder="):
        load_encoder(trained[3].checkpoint)


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="is not a cosmossl checkpoint"):
        load_encoder(tmp_path / "nope")


def test_summaries_record_the_geometry_and_content_of_their_maps(trained, tmp_path):
    mapset, encoder, _, _ = trained
    summaries = compress(mapset, encoder=encoder, device="cpu", progress=False)
    back = read_summaries(write_summaries(tmp_path / "s.h5", summaries))
    assert back.provenance["maps"] == {
        "shape": [1, 16, 16],
        "box_size": 100.0,
        "periodic": True,
        "content": None,
    }


@pytest.mark.parametrize(
    ("other", "described"),
    [
        (tiny_mapset(size=32), "1 channel of 32×32 pixels"),
        (None, "2 channels of 16×16 pixels"),
    ],
    ids=["size", "channels"],
)
def test_maps_unlike_those_the_checkpoint_was_trained_on_are_refused(trained, other, described):
    mapset, _, _, result = trained
    if other is None:  # the same maps with a second channel
        other = MapSet(
            **{**vars(mapset), "maps": np.repeat(mapset.read(np.arange(len(mapset))), 2, axis=1),
               "meta": MapMeta(shape=(2, 16, 16), box_size=100.0)}
        )  # fmt: skip
    with pytest.raises(DataError) as info:
        compress(other, result.checkpoint, encoder=tiny_components(mapset)[0], progress=False)
    assert str(info.value) == (
        f"checkpoint '{result.checkpoint}' holds an encoder trained on maps of 1 channel of "
        f"16×16 pixels (shape [1, 16, 16]), but the maps of the map set have {described} "
        f"(shape {list(other.meta.shape)}): give it maps like those it was trained on, or "
        "train an encoder on these"
    )

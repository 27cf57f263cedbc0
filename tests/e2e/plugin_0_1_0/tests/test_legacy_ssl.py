"""The plugin's own tests, as written for cosmossl 0.1.0."""

import numpy as np
import torch

import cosmossl
from cosmossl.data.mapset import MapSet
from cosmossl.training import TrainSettings, train_components

META = cosmossl.MapMeta(shape=(1, 16, 16), box_size=100.0)


def _mapset(n_groups=8, per_group=2):
    """Random maps of 8 cosmologies, 2 maps each: 4 cosmologies to train, 2 to validate."""
    maps = np.random.default_rng(0).normal(size=(n_groups * per_group, *META.shape))
    groups = np.arange(n_groups).repeat(per_group)
    return MapSet(
        maps=maps.astype(np.float32),
        params=np.random.default_rng(1).uniform(size=(n_groups, 2))[groups],
        param_names=("omega_m", "sigma_8"),
        cosmology_id=groups,
        simulation_id=np.arange(n_groups * per_group),
        split=np.array([0, 0, 0, 0, 1, 2, 0, 1])[groups].astype(np.int8),
        meta=META,
    )


def test_the_components_build_by_name():
    shift = cosmossl.create("augmentation", "legacy-shift", max_shift=2, meta=META)
    encoder = cosmossl.create("encoder", "legacy-cnn", summary_dim=4, input_shape=(1, 16, 16))
    loss = cosmossl.create("loss", "legacy-ntxent", summary_dim=4, param_dim=2)
    views = shift(torch.randn(6, 1, 16, 16), torch.Generator().manual_seed(0)).view(3, 2, 1, 16, 16)
    out = loss(encoder, views)
    assert encoder(views[:, 0]).shape == (3, 4)
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)


def test_training_with_the_plugin(tmp_path):
    settings = TrainSettings(epochs=1, batch_size=2, tensorboard=False)
    result = train_components(
        _mapset(),
        cosmossl.create("encoder", "legacy-cnn", summary_dim=4, input_shape=(1, 16, 16)),
        cosmossl.create("loss", "legacy-ntxent", summary_dim=4, param_dim=2),
        run_dir=tmp_path / "train",
        augmentations=[cosmossl.create("augmentation", "legacy-shift", meta=META)],
        settings=settings,
        views=2,
        progress=False,
    )
    assert result.checkpoint.exists()

"""The timm encoder."""

from __future__ import annotations

import pytest
import torch

import cosmossl


def test_timm_resnet18_takes_one_channel_and_outputs_the_summary():
    encoder = cosmossl.create(
        "encoder", "timm", model="resnet18", summary_dim=128, input_shape=(1, 64, 64)
    )
    stem = encoder.model.conv1
    assert (stem.in_channels, stem.kernel_size, stem.stride, stem.bias) == (1, (7, 7), (2, 2), None)
    assert encoder(torch.randn(2, 1, 64, 64)).shape == (2, 128)


def test_timm_unknown_model_lists_close_matches():
    with pytest.raises(cosmossl.ConfigError, match=r"unknown timm model 'resnet181'.*resnet18"):
        cosmossl.create("encoder", "timm", model="resnet181", input_shape=(1, 32, 32))


def test_timm_passes_model_kwargs():
    encoder = cosmossl.create(
        "encoder",
        "timm",
        model="resnet18",
        model_kwargs={"drop_rate": 0.3},
        input_shape=(2, 32, 32),
    )
    assert encoder.model.drop_rate == 0.3
    assert encoder(torch.randn(2, 2, 32, 32)).shape == (2, 16)


def test_timm_refuses_3d_volumes_and_points_to_the_cnn():
    with pytest.raises(
        cosmossl.ConfigError,
        match=r"encoder Timm works on 2D maps only, not 3D volumes; timm's models are 2D image "
        r"models; use the 'cnn' encoder for volumes .* \(maps of shape \(1, 16, 16, 16\)\)",
    ):
        cosmossl.create("encoder", "timm", input_shape=(1, 16, 16, 16))

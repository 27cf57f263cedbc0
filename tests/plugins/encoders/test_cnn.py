"""The compact CNN encoder."""

from __future__ import annotations

import pytest
import torch

import cosmossl


@pytest.mark.parametrize("size", [16, 100, 256])
def test_cnn_maps_any_size_to_the_summary_dimension(size):
    encoder = cosmossl.create("encoder", "cnn", summary_dim=16, input_shape=(1, size, size))
    out = encoder(torch.randn(2, 1, size, size))
    assert out.shape == (2, 16)


def test_cnn_default_size_is_close_to_the_reference_papers_164k_parameters():
    encoder = cosmossl.create("encoder", "cnn", input_shape=(1, 100, 100))
    n = sum(p.numel() for p in encoder.parameters())
    assert n == 166_264
    convs = [m for m in encoder.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 8, 16, 16, 32, 32, 64, 64, 128]


def test_cnn_width_depth_and_channels_are_configurable():
    encoder = cosmossl.create(
        "encoder", "cnn", summary_dim=3, width=4, max_width=8, depth=5, input_shape=(2, 32, 32)
    )
    convs = [m for m in encoder.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [4, 4, 8, 8, 8]
    assert convs[0].in_channels == 2
    assert encoder(torch.randn(3, 2, 32, 32)).shape == (3, 3)


def test_cnn_with_circular_padding_commutes_with_periodic_shifts():
    # Shifts by a multiple of the total pooling factor (2⁴) commute with a periodic network.
    # Training mode: batch statistics keep activations O(1) through the 9 layers.
    torch.manual_seed(0)
    encoder = cosmossl.create("encoder", "cnn", input_shape=(1, 32, 32))
    x = torch.randn(4, 1, 32, 32)
    shifted = torch.roll(x, shifts=(16, 16), dims=(-2, -1))
    torch.testing.assert_close(encoder(shifted), encoder(x), rtol=1e-4, atol=1e-4)
    zero_padded = cosmossl.create("encoder", "cnn", circular_padding=False, input_shape=(1, 32, 32))
    assert (zero_padded(shifted) - zero_padded(x)).abs().max() > 1e-2


def test_cnn_rejects_vector_inputs():
    with pytest.raises(cosmossl.ConfigError, match=r"needs maps of shape \(C, H, W\).*'mlp'"):
        cosmossl.create("encoder", "cnn", input_shape=(32,))


@pytest.mark.parametrize("size", [8, 17, 32])
def test_cnn_builds_a_3d_network_for_volumes_of_any_size(size):
    encoder = cosmossl.create("encoder", "cnn", summary_dim=5, width=4, depth=4,
                              input_shape=(1, size, size, size))  # fmt: skip
    convs = [m for m in encoder.modules() if isinstance(m, torch.nn.Conv3d)]
    assert [c.kernel_size for c in convs] == [(3, 3, 3)] * 4
    assert not any(isinstance(m, torch.nn.Conv2d) for m in encoder.modules())
    assert encoder(torch.randn(2, 1, size, size, size)).shape == (2, 5)


def test_cnn_pool_every_sets_how_often_the_feature_maps_halve():
    def pools(**options):
        encoder = cosmossl.create("encoder", "cnn", depth=4, input_shape=(1, 16, 16, 16),
                                  **options)  # fmt: skip
        return sum(isinstance(m, torch.nn.AvgPool3d) for m in encoder.modules())

    assert (pools(), pools(pool_every=1), pools(pool_every=4)) == (2, 4, 1)


def test_cnn_on_volumes_with_circular_padding_commutes_with_periodic_shifts():
    torch.manual_seed(0)
    encoder = cosmossl.create("encoder", "cnn", depth=4, width=4, input_shape=(1, 8, 8, 8))
    x = torch.randn(3, 1, 8, 8, 8)
    shifted = torch.roll(x, shifts=(4, 4, 4), dims=(-3, -2, -1))  # 2 pools: multiples of 4
    torch.testing.assert_close(encoder(shifted), encoder(x), rtol=1e-4, atol=1e-4)

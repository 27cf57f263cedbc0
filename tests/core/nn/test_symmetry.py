"""D4, the symmetry group of square periodic maps, and D4-averaged (invariant) summaries."""

from __future__ import annotations

import pytest
import torch

import cosmossl
from cosmossl import ConfigError
from cosmossl.nn import D4_ORDER, d4_average, d4_transform


def test_the_eight_elements_are_distinct_and_form_the_orbit_of_a_map():
    maps = torch.arange(16.0).reshape(1, 1, 4, 4)
    images = [d4_transform(maps, e) for e in range(D4_ORDER)]
    assert len({tuple(i.flatten().tolist()) for i in images}) == 8
    # The orbit of any image is the same set of eight maps.
    orbit = {tuple(d4_transform(images[3], e).flatten().tolist()) for e in range(D4_ORDER)}
    assert orbit == {tuple(i.flatten().tolist()) for i in images}
    with pytest.raises(ValueError, match="D4 has elements 0 to 7, got 8"):
        d4_transform(maps, 8)


def test_d4_average_is_invariant_and_equals_the_mean_over_images():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(25, 3))
    maps = torch.randn(2, 1, 5, 5)
    averaged = d4_average(net, maps)
    expected = torch.stack([net(d4_transform(maps, e)) for e in range(8)]).mean(0)
    torch.testing.assert_close(averaged, expected)
    for e in range(D4_ORDER):
        torch.testing.assert_close(d4_average(net, d4_transform(maps, e)), averaged)
    with pytest.raises(ValueError, match=r"needs square maps \[B, C, H, H\], got \(2, 1, 5, 4\)"):
        d4_average(net, torch.randn(2, 1, 5, 4))


def test_symmetrized_encoder_summaries_ignore_rotations_and_flips():
    encoder = cosmossl.create("encoder", "cnn", summary_dim=4, width=4, depth=2, hidden_dim=8,
                              symmetrize="d4", input_shape=(1, 8, 8)).eval()  # fmt: skip
    plain = cosmossl.create("encoder", "cnn", summary_dim=4, width=4, depth=2, hidden_dim=8,
                            input_shape=(1, 8, 8)).eval()  # fmt: skip
    maps = torch.randn(3, 1, 8, 8)
    with torch.no_grad():
        for e in range(D4_ORDER):
            torch.testing.assert_close(
                encoder.summarize(d4_transform(maps, e)), encoder.summarize(maps)
            )
        torch.testing.assert_close(plain.summarize(maps), plain(maps))


def test_symmetrize_needs_square_maps():
    with pytest.raises(ConfigError, match=r"symmetrize = 'd4' needs square maps \(C, n, n\)"):
        cosmossl.create("encoder", "mlp", symmetrize="d4", input_shape=(32,))

"""check_augmentation passes a correct augmentation and names what is wrong with a broken one."""

from __future__ import annotations

import pytest
import torch
from support import kit

from cosmossl import MapMeta
from cosmossl.testing import check_augmentation, sample_meta


def test_a_correct_augmentation_passes_built_or_from_its_class():
    out = check_augmentation(kit.GoodFlip(meta=sample_meta()))
    assert out.shape == (8, 1, 32, 32) and out.dtype == torch.float32
    check_augmentation(kit.GoodFlip, meta=MapMeta(shape=(2, 8, 16)))


@pytest.mark.parametrize(
    ("augmentation", "message"),
    [
        (
            kit.GlobalRandomFlip,
            r"the same generator state gave another output on cpu .* draw every random number "
            r"from `generator`",
        ),
        (kit.InPlaceNoise, r"changed its input maps in place"),
        (kit.Float64Noise, r"returned dtype torch.float64 for maps of dtype torch.float32"),
        (kit.RolelessFlip, r"role is None: set the class attribute role = 'symmetry'"),
        (kit.OneDrawFlip, r"every map of a batch got the same transform on cpu"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_a_broken_augmentation_fails_with_a_message_naming_the_problem(augmentation, message):
    with pytest.raises(AssertionError, match=message) as info:
        check_augmentation(augmentation)
    assert str(info.value).startswith(f"augmentation {augmentation.__name__}: ")


def test_a_deterministic_transform_passes_when_it_says_so():
    class Negate(kit.GoodFlip):
        def __call__(self, maps, generator):
            return -maps

    with pytest.raises(AssertionError, match="other generator states gave the same output"):
        check_augmentation(Negate)
    check_augmentation(Negate, random=False)

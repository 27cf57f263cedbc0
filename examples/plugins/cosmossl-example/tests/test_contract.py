"""The example plugin's components pass cosmossl's contract checks (cosmossl.testing).

Run with ``pytest`` after ``pip install -e .``; cosmossl's own end-to-end test runs them on the
installed package too.
"""

from __future__ import annotations

import functools

import pytest
import torch
from cosmossl_example.align_uniform import AlignUniform, uniformity

import cosmossl
from cosmossl.testing import (
    check_augmentation,
    check_loss,
    check_loss_distributed,
    sample_meta,
)

#: The loss with a warm-up, so that the state after_step keeps is part of the check.
LOSS = functools.partial(AlignUniform, AlignUniform.Params(warmup=0.5, projector_dims=[16, 8]))


def test_the_plugin_registers_its_components():
    entries = {
        (e.kind, e.name) for e in cosmossl.registry().entries() if e.provider.plugin == "example"
    }
    assert entries == {
        ("augmentation", "example-flip"),
        ("augmentation", "example-psf"),
        ("loss", "example-align-uniform"),
    }


@pytest.mark.parametrize("name", ["example-flip", "example-psf"])
def test_augmentations_keep_the_contract(name):
    meta = sample_meta()
    check_augmentation(cosmossl.create("augmentation", name, meta=meta), meta=meta)


@pytest.mark.parametrize("views", [2, 3])
def test_loss_keeps_the_contract(views):
    out = check_loss(LOSS, views=views)
    assert set(out.terms) == {"alignment", "uniformity"}


def test_loss_through_the_registry_keeps_the_contract():
    check_loss(functools.partial(cosmossl.create, "loss", "example-align-uniform"))


def test_loss_under_two_processes_equals_one_process():
    check_loss_distributed(LOSS)


def test_uniformity_is_lowest_for_spread_embeddings():
    spread = torch.eye(4)
    clumped = torch.nn.functional.normalize(torch.ones(4, 4) + 0.01 * torch.eye(4), dim=1)
    assert uniformity(spread) < uniformity(clumped)
    # four orthonormal vectors: every distance² is 2, so the value is −2t
    assert uniformity(spread, t=2.0).item() == pytest.approx(-4.0)

"""Every built-in loss passes the plugin authors' contract checks (cosmossl.testing)."""

from __future__ import annotations

import functools

import pytest
from support.builtins import builtin_names

import cosmossl
from cosmossl.testing import check_loss, check_loss_distributed

#: Each built-in loss with the views it is checked on (VICReg also with more than two).
CASES = {
    "vicreg": [2, 3],
    "simclr": [2],
    "byol": [2],
    "barlow": [2],
    "supervised": [2],
    "vmim": [2],
    "mse": [2],
    "moments": [2],
    "imnn": [2],
}
#: Losses checked here that train on simulations at a fiducial point rather than on views.
FIDUCIAL = {"imnn": 128}


def test_every_builtin_loss_is_checked():
    assert sorted(CASES) == builtin_names("loss")


@pytest.mark.parametrize(
    ("name", "views"), [(name, v) for name, views in CASES.items() for v in views]
)
def test_builtin_loss_keeps_the_contract(name, views):
    out = check_loss(functools.partial(cosmossl.create, "loss", name), views=views)
    assert out.embeddings.shape == (FIDUCIAL.get(name, 8 * views), 4)


@pytest.mark.slow
def test_vicreg_with_options_gives_one_process_gradients_under_two():
    factory = functools.partial(cosmossl.create, "loss", "vicreg", expander_dims=[8, 8])
    single = check_loss_distributed(factory)
    assert {"loss", "grad encoder.1.weight", "grad loss.expander.0.weight"} <= set(single)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vmim", "imnn", "mse", "moments"])
def test_information_losses_give_one_process_gradients_under_two(name):
    single = check_loss_distributed(functools.partial(cosmossl.create, "loss", name))
    assert "grad encoder.1.weight" in single

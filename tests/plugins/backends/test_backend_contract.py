"""Every built-in backend passes the plugin authors' contract checks (cosmossl.testing)."""

from __future__ import annotations

import pytest
import torch
from support.builtins import builtin_names

import cosmossl
from cosmossl.testing import check_backend

pytestmark = pytest.mark.slow

#: Each built-in backend (and method) with a budget of a few seconds.
CASES = {
    "lampe-npe": ("lampe", {"max_epochs": 50, "patience": 10, "hidden": [32, 32]}),
    "lampe-nre": ("lampe", {"method": "nre", "max_epochs": 50, "patience": 10, "mcmc_steps": 30}),
    "sbi": ("sbi", {"max_epochs": 50}),
}


def test_every_builtin_backend_is_checked():
    assert sorted({name for name, _ in CASES.values()}) == builtin_names("backend")


@pytest.mark.filterwarnings("ignore:Maximum number of epochs")
@pytest.mark.parametrize("case", CASES)
def test_builtin_backend_keeps_the_contract(case):
    torch.set_num_threads(1)
    name, params = CASES[case]
    posterior = check_backend(cosmossl.create("backend", name, **params))
    assert posterior.backend == name

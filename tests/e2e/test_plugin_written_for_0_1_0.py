"""A plugin written against cosmossl 0.1.0 (``plugin_0_1_0/``: a shift augmentation, an NT-Xent
loss that imports ``gather_with_grad`` from ``cosmossl.distributed``, a CNN; tests that import
``TrainSettings`` from ``cosmossl.training``) installs, loads and runs on this release, with
deprecation warnings that name the new homes."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest
import torch
from support.paths import REPO
from support.plugins import pip_install

import cosmossl

PLUGIN = REPO / "tests/e2e/plugin_0_1_0"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    target = tmp_path_factory.mktemp("site") / "packages"
    pip_install(PLUGIN, target)
    return target


@pytest.fixture
def on_path(installed):
    sys.path.insert(0, str(installed))
    try:
        yield installed
    finally:
        sys.path.remove(str(installed))
        for name in [m for m in sys.modules if m.split(".")[0] == "legacy_ssl"]:
            del sys.modules[name]


def _deprecations(record: list[warnings.WarningMessage]) -> set[str]:
    return {str(w.message) for w in record if issubclass(w.category, DeprecationWarning)}


def test_its_loss_loads_and_says_where_each_moved_name_went(on_path):
    with pytest.warns(DeprecationWarning) as record:
        loss = cosmossl.create("loss", "legacy-ntxent", summary_dim=4, param_dim=2)
    messages = _deprecations(record)
    assert (
        "cosmossl.distributed.gather_with_grad moved to cosmossl.nn.gather_with_grad in cosmossl "
        "0.2.0; import it from cosmossl.nn (the old path goes in 0.3.0)"
    ) in messages
    assert {m.split(" moved")[0] for m in messages} == {
        "cosmossl.distributed.gather_with_grad",
        "cosmossl.distributed.rank",
        "cosmossl.heads.encode_views",
        "cosmossl.heads.expander",
        "cosmossl.heads.per_view",
    }
    assert cosmossl.registry().get("loss", "legacy-ntxent").provider.distribution == "legacy-ssl"
    encoder = cosmossl.create("encoder", "legacy-cnn", summary_dim=4, input_shape=(1, 16, 16))
    views = torch.randn(3, 2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    out = loss(encoder, views)
    out.loss.backward()
    assert torch.isfinite(out.loss)
    assert all(p.grad is not None for p in encoder.parameters())


def test_its_own_tests_pass_with_warnings_naming_the_new_homes(installed, tmp_path):
    source = installed.parent / f"{PLUGIN.name}-copy"  # the plugin's folder, as its author has it
    env = {**os.environ, "PYTHONPATH": str(installed)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        capture_output=True, text=True, cwd=source, env=env, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    assert (
        "cosmossl.training.TrainSettings moved to cosmossl.TrainSettings in cosmossl 0.2.0; "
        "import it from cosmossl (the old path goes in 0.3.0)"
    ) in done.stdout
    assert (
        "train_components(views=2) is deprecated since cosmossl 0.2.0 (removed in 0.3.0): pass "
        "pairing=cosmossl.PairingSettings(views=2)"
    ) in done.stdout

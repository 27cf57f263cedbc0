"""check_backend passes a correct backend and names what is wrong with a broken one."""

from __future__ import annotations

import pytest
from support import kit

from cosmossl.testing import check_backend


def test_an_exact_backend_passes_and_its_posterior_is_returned():
    posterior = check_backend(kit.LinearBackend())
    assert posterior.backend == "linear" and posterior.param_names == ("theta_0", "theta_1")


def test_a_config_that_is_not_json_is_named():
    with pytest.raises(AssertionError, match=r"state\(\)'s config is not JSON"):
        check_backend(kit.ArrayConfigBackend())


def test_a_posterior_that_loads_without_its_weights_is_caught():
    with pytest.raises(AssertionError, match="the loaded posterior gives other densities"):
        check_backend(kit.ForgetfulBackend())


def test_a_backend_without_a_name_is_named():
    class Anonymous(kit.LinearBackend):
        name = ""

    with pytest.raises(AssertionError, match="has no `name`"):
        check_backend(Anonymous())


def test_an_inaccurate_posterior_is_caught():
    class Blurred(kit.LinearBackend):
        def fit_posterior(self, data):
            posterior = super().fit_posterior(data)
            posterior.scale_tril = posterior.scale_tril * 4
            return posterior

    with pytest.raises(
        AssertionError,
        match=r"posterior σ / analytic σ is \[2\.\d+, 2\.\d+\] \(allowed 0\.5 to 2\.0\)",
    ):
        check_backend(Blurred())

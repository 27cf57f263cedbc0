"""The lampe backend: NPE and NRE against the analytic linear-Gaussian posterior, save/load,
early stopping and non-finite steps."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from support.inference import PROBLEM, data, known_posterior_check

import cosmossl
from cosmossl.inference import fit, load_posterior

FAST = {"max_epochs": 200, "patience": 20, "hidden": [32, 32], "transforms": 2}


@pytest.fixture(scope="module")
def npe():
    torch.set_num_threads(1)
    backend = cosmossl.create("backend", "lampe", method="npe", **FAST)
    train, val = data()
    return fit(backend, train, val, PROBLEM.box(), seed=0, progress=False)


@pytest.fixture(scope="module")
def nre():
    backend = cosmossl.create("backend", "lampe", method="nre", mcmc_steps=30, **FAST)
    train, val = data()
    return fit(backend, train, val, PROBLEM.box(), seed=0, progress=False)


def test_npe_matches_the_analytic_posterior_and_is_calibrated(npe):
    check = known_posterior_check(npe)
    assert check.mean_error.max() < 0.2
    assert np.abs(check.std_ratio - 1).max() < 0.15
    assert check.coverage_error < 0.06
    assert check.nll == pytest.approx(check.analytic_nll, abs=0.15)


def test_nre_matches_the_analytic_posterior_and_is_calibrated(nre):
    check = known_posterior_check(nre, n_test=150, n_samples=300)
    assert check.mean_error.max() < 0.25
    assert np.abs(check.std_ratio - 1).max() < 0.25
    assert check.coverage_error < 0.1
    # log_prob is normalised by the Monte Carlo evidence, so the NLL is comparable with NPE's
    assert check.nll == pytest.approx(check.analytic_nll, abs=0.25)


def test_npe_samples_never_leave_the_prior(npe):
    _, x = PROBLEM.simulate(50, seed=9)
    samples = npe.sample_batched(torch.tensor(x), 2000, seed=0)
    assert samples.shape == (2000, 50, 2)
    assert npe.prior.contains(samples).all()


@pytest.mark.parametrize("which", ["npe", "nre"])
def test_reloaded_posterior_gives_the_same_samples_and_densities(which, npe, nre, tmp_path):
    posterior = {"npe": npe, "nre": nre}[which]
    theta, x = PROBLEM.simulate(8, seed=4)
    posterior.save(tmp_path / "post")
    assert sorted(p.name for p in (tmp_path / "post").iterdir()) == [
        "posterior.json",
        "weights.safetensors",
    ]
    assert json.loads((tmp_path / "post" / "posterior.json").read_text())["backend"] == "lampe"
    back = load_posterior(tmp_path / "post")
    torch.testing.assert_close(
        back.sample_batched(torch.tensor(x), 50, seed=7),
        posterior.sample_batched(torch.tensor(x), 50, seed=7),
    )
    torch.testing.assert_close(
        back.log_prob(torch.tensor(theta), torch.tensor(x)),
        posterior.log_prob(torch.tensor(theta), torch.tensor(x)),
    )
    assert not torch.equal(
        back.sample_batched(torch.tensor(x), 50, seed=8),
        back.sample_batched(torch.tensor(x), 50, seed=7),
    )


def test_training_stops_early_and_restores_the_best_weights(npe):
    info = npe.info
    assert info["epochs"] < FAST["max_epochs"]
    assert info["epochs"] - 1 - info["best_epoch"] == FAST["patience"]
    assert info["best_val_loss"] == min(info["val_loss"])


def test_non_finite_steps_are_skipped_with_a_warning():
    from lampe.inference import NPELoss

    from cosmossl_plugins.backends.lampe import Lampe, _build, train

    class EveryThirdNaN(NPELoss):
        calls = 0

        def forward(self, theta, x):
            loss = super().forward(theta, x)
            if not torch.is_grad_enabled():  # validation
                return loss
            EveryThirdNaN.calls += 1
            return loss * float("nan") if self.calls % 3 == 0 else loss

    p = Lampe.Params(max_epochs=2, hidden=[8], transforms=1, batch_size=50)
    net = _build(p, 2, 4)
    (theta, x), (tv, xv) = data(200, 50)
    theta, x, tv, xv = (torch.as_tensor(a) for a in (theta, x, tv, xv))
    with pytest.warns(RuntimeWarning, match=r"epoch 0: skipped 1 optimisation step"):
        history = train(EveryThirdNaN(net), net, theta, x, tv, xv, p, seed=0, progress=False)
    assert history["skipped_steps"] == 2  # 4 steps per epoch: steps 3 and 6 of 8
    assert all(np.isfinite(history["val_loss"]))


def test_fit_refuses_parameters_outside_the_prior():
    backend = cosmossl.create("backend", "lampe")
    (theta, x), val = data(20, 10)
    theta = theta.copy()
    theta[0, 0] = 100.0
    with pytest.raises(cosmossl.DataError, match="1 parameter rows lie outside the prior box"):
        fit(backend, (theta, x), val, PROBLEM.box(), progress=False)

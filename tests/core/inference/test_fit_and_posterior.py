"""Framework-owned inference pieces: box prior, standardisation, split by group, θ transform,
fit, posterior sampling and loading, the public facade."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support.inference import PROBLEM, Recorder, ShiftedGaussian

from cosmossl import DataError
from cosmossl.data import Standardizer
from cosmossl.inference import (
    BoxPrior,
    LinearGaussian,
    ThetaTransform,
    fit,
    inference_split,
    load_posterior,
)


def test_box_prior_density_inside_and_outside():
    prior = BoxPrior([0.0, 1.0], [2.0, 5.0], ("a", "b"))
    lp = prior.log_prob(torch.tensor([[1.0, 2.0], [3.0, 2.0], [1.0, 0.5]]))
    assert lp[0].item() == pytest.approx(-np.log(2.0 * 4.0))
    assert torch.isinf(lp[1:]).all() and (lp[1:] < 0).all()


def test_box_prior_samples_stay_in_the_box():
    prior = BoxPrior([0.0, 1.0], [2.0, 5.0])
    torch.manual_seed(0)
    s = prior.sample((5000,))
    assert s.shape == (5000, 2) and prior.contains(s).all()
    assert s.mean(0).tolist() == pytest.approx([1.0, 3.0], abs=0.05)
    assert prior.support.check(s).all()


def test_box_prior_refuses_empty_range():
    with pytest.raises(DataError, match="low must be below high for b"):
        BoxPrior([0.0, 2.0], [1.0, 2.0], ("a", "b"))


def test_box_prior_from_ranges_names_the_missing_parameter():
    with pytest.raises(DataError, match=r"no prior range for parameter.s. s8"):
        BoxPrior.from_ranges({"om": (0.1, 0.5)}, ("om", "s8"))


def test_standardizer_uses_training_statistics_and_inverts():
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, size=(500, 3)).astype(np.float32)
    train[:, 2] = 7.0  # a constant column is centred, not divided by zero
    s = Standardizer.fit(train)
    z = s(torch.from_numpy(train))
    assert z[:, :2].mean(0).abs().max() < 1e-5
    assert z[:, :2].std(0, unbiased=False).tolist() == pytest.approx([1.0, 1.0], abs=1e-4)
    assert s.std[2] == 1.0 and z[:, 2].abs().max() == 0.0
    torch.testing.assert_close(s.inverse(z), torch.from_numpy(train))
    back = Standardizer.from_tensors(s.tensors("x."), "x.")
    np.testing.assert_array_equal(back.mean, s.mean)


def test_standardizer_refuses_non_finite_data():
    with pytest.raises(DataError, match="contain NaN or inf"):
        Standardizer.fit(np.array([[0.0], [np.nan]]))


def test_split_is_by_group_and_reproducible():
    s = LinearGaussian.make().summaries(400, per_group=4)
    a = inference_split(s, val_fraction=0.2, seed=3)
    b = inference_split(s, val_fraction=0.2, seed=3)
    c = inference_split(s, val_fraction=0.2, seed=4)
    np.testing.assert_array_equal(a.val, b.val)
    assert not np.array_equal(a.val, c.val)
    np.testing.assert_array_equal(a.test, s.indices("test"))
    groups = [set(s.cosmology_id[i].tolist()) for i in (a.train, a.val, a.test)]
    assert not (groups[0] & groups[1]) and not (groups[0] & groups[2])
    assert len(groups[1]) == round(0.2 * len(np.unique(s.cosmology_id[s.split == 0])))


def test_split_from_train_only_or_train_and_val():
    s = LinearGaussian.make().summaries(100)
    s.split[:10] = 1
    only_train = inference_split(s, fit_on="train")
    both = inference_split(s, fit_on="train+val")
    assert not set(range(10)) & set(np.r_[only_train.train, only_train.val].tolist())
    assert set(range(10)) <= set(np.r_[both.train, both.val].tolist())


def test_split_needs_test_rows():
    s = LinearGaussian.make().summaries(50, test_fraction=0.0)
    with pytest.raises(DataError, match="no test rows"):
        inference_split(s)


def test_theta_transform_round_trip_and_jacobian():
    prior = BoxPrior([0.0, -1.0], [1.0, 3.0])
    theta = prior.sample((64,))
    t = ThetaTransform.fit(prior, theta)
    torch.testing.assert_close(t.inverse(t(theta)), theta, atol=1e-5, rtol=1e-4)
    # log |du/dθ| against autograd (the map is elementwise, so the Jacobian is diagonal)
    x = theta[:3].clone().requires_grad_(True)
    diag = torch.autograd.grad(t(x).sum(), x)[0]
    expected = torch.log(diag.abs()).sum(-1)
    torch.testing.assert_close(t.log_abs_det(theta[:3]), expected, atol=1e-4, rtol=1e-4)


def test_sample_draws_for_one_observation_as_column_zero_of_sample_batched():
    posterior = ShiftedGaussian()
    x = torch.tensor([0.3, -0.2, 5.0])
    one = posterior.sample(x, 400, seed=1)
    assert one.shape == (400, 2)
    torch.testing.assert_close(one, posterior.sample_batched(x[None], 400, seed=1)[:, 0])
    torch.testing.assert_close(posterior.sample(x[None], 400, seed=1), one)
    assert one.mean(0).tolist() == pytest.approx([0.3, -0.2], abs=0.02)


def test_sample_refuses_several_observations_and_names_sample_batched():
    with pytest.raises(DataError, match=r"got 4 rows .*use sample_batched\(x, n\)"):
        ShiftedGaussian().sample(torch.zeros(4, 3), 10)


def test_sample_batched_gives_n_samples_per_observation():
    x = torch.tensor([[0.5, 0.0, 1.0], [-0.5, 0.2, 1.0]])
    samples = ShiftedGaussian().sample_batched(x, 300, seed=0)
    assert samples.shape == (300, 2, 2)
    torch.testing.assert_close(samples.mean(0), x[:, :2], atol=0.03, rtol=0)


def test_log_prob_batched_is_log_prob_per_point_and_minus_inf_outside_the_prior():
    posterior = ShiftedGaussian()
    x = torch.tensor([[0.5, 0.0, 1.0], [-0.5, 0.2, 1.0]])
    theta = posterior.sample_batched(x, 5, seed=0)
    theta[0, 1, 0] = 3.0  # outside the box [-1, 1]
    lp = posterior.log_prob_batched(theta, x)
    assert lp.shape == (5, 2)
    for i in range(5):
        torch.testing.assert_close(lp[i], posterior.log_prob(theta[i], x))
    assert lp[0, 1] == -torch.inf and torch.isfinite(lp[1:]).all()


def test_load_posterior_refuses_a_posterior_of_another_backend(tmp_path):
    path = ShiftedGaussian(backend="sbi").save(tmp_path / "post")
    with pytest.raises(DataError, match=r"holds a 'sbi' posterior, not 'lampe'"):
        load_posterior(path, backend="lampe")


def test_fit_standardises_x_on_training_rows_and_seeds_the_backend():
    (theta, x), (theta_val, x_val) = PROBLEM.simulate(300, seed=1), PROBLEM.simulate(50, seed=2)
    backend = Recorder()
    posterior = fit(backend, (theta, x), (theta_val, x_val + 10.0), PROBLEM.box(), seed=3)
    data = backend.data
    assert data.x_train.mean(0).abs().max() < 1e-5
    assert data.x_val.mean(0).min() > 1.0  # shifted, standardised with the training statistics
    torch.testing.assert_close(data.theta_val, torch.as_tensor(theta_val, dtype=torch.float32))
    assert (data.seed, data.device) == (3, "cpu")
    assert backend.first_draw == torch.rand(1, generator=torch.Generator().manual_seed(3))
    assert posterior.info["n_train"] == -1  # set by the backend: kept
    assert posterior.info["n_val"] == 50 and posterior.info["fit_seconds"] >= 0


@pytest.mark.parametrize(
    ("train", "message"),
    [
        ((np.zeros((10, 3)), np.zeros((10, 4))), r"train: θ has 3 columns, the prior has 2"),
        ((np.zeros((10, 2)), np.zeros((9, 4))), r"train: expected θ \[N, P\] and x \[N, D\]"),
        ((np.zeros((10, 2)), np.full((10, 4), np.nan)), r"train: θ or x contain NaN or inf"),
    ],
)
def test_fit_refuses_malformed_rows_before_the_backend_runs(train, message):
    backend = Recorder()
    with pytest.raises(DataError, match=message):
        fit(backend, train, PROBLEM.simulate(20, seed=2), PROBLEM.box(), progress=False)
    assert not hasattr(backend, "data")


def test_inference_facade_resolves_every_public_name():
    import inspect

    import cosmossl.inference

    for name in cosmossl.inference.__all__:
        assert getattr(cosmossl.inference, name) is not None, name
    assert inspect.isfunction(cosmossl.inference.fit)


def test_backend_plugins_import_only_cosmossl_and_the_inference_facade():
    import ast

    from support.paths import REPO

    for path in (REPO / "plugins" / "cosmossl_plugins" / "backends").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        modules += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        ours = {m for m in modules if m and m.split(".")[0] == "cosmossl"}
        assert ours <= {"cosmossl", "cosmossl.inference"}, f"{path.name} imports {ours}"

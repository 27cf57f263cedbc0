"""Framework-owned inference pieces: box prior, standardisation, split by group, θ transform."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cosmossl import DataError
from cosmossl.inference import (
    BoxPrior,
    LinearGaussian,
    Standardizer,
    ThetaTransform,
    inference_split,
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

"""The data seed: the maps, the split and the test surveys depend on it alone, so runs that
differ only in their seed (the training's) share their data, as every seed of a comparison."""

from __future__ import annotations

import numpy as np
import pytest

from cosmossl.config.run_file import parse_run_config
from cosmossl.data import Summaries
from cosmossl.job.infer import survey_rows
from cosmossl.job.plan import compare_plan

RUN = {
    "dataset": {"type": "lognormal", "n_cosmologies": 40, "n_pixels": 16},
    "encoder": {"type": "cnn", "summary_dim": 4},
    "loss": {"type": "vicreg"},
    "backend": {"type": "lampe"},
    "inference": {"survey_size": 2, "max_test": 5},
}


def settings(**top):
    return parse_run_config({**RUN, **top}, source="run.toml")


def summaries(n_groups=40, per_group=4):
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(n_groups), per_group)
    split = np.where(groups < 30, 0, np.where(groups < 34, 1, 2))
    return Summaries(
        summaries=rng.normal(size=(len(groups), 3)),
        params=rng.uniform(size=(len(groups), 1)),
        param_names=("a",),
        cosmology_id=groups,
        simulation_id=np.arange(len(groups)),
        split=split,
        priors={"a": (0.0, 1.0)},
    )


def test_the_data_seed_is_the_run_seed_unless_given():
    assert settings(seed=7).settings.dataset_seed == 7
    assert settings(seed=7, data_seed=3).settings.dataset_seed == 3


def test_fit_validation_and_test_surveys_depend_on_the_data_seed_only():
    s = summaries()
    a = survey_rows(settings(seed=0, data_seed=11), s, 2)
    b = survey_rows(settings(seed=5, data_seed=11), s, 2)
    c = survey_rows(settings(seed=0, data_seed=12), s, 2)
    for part in ("train", "val", "test"):
        np.testing.assert_array_equal(getattr(a, part), getattr(b, part))
    assert not all(np.array_equal(getattr(a, p), getattr(c, p)) for p in ("train", "val", "test"))


@pytest.mark.parametrize(("top", "data_seed"), [({"seed": 4}, 4), ({"data_seed": 9}, 9)])
def test_every_seed_of_a_comparison_has_the_run_files_data_seed(top, data_seed):
    compare = {"losses": ["vicreg"], "baselines": ["power-spectrum"], "seeds": [0, 1, 2]}
    plan = compare_plan(settings(**top, compare=compare))
    assert [(name, seed) for name, _, seed, _ in plan][:2] == [("vicreg", 0), ("power-spectrum", 0)]
    assert {sub.settings.dataset_seed for *_, sub in plan} == {data_seed}
    assert sorted({sub.settings.seed for *_, sub in plan}) == [0, 1, 2]


def test_the_run_outline_names_a_data_seed_that_differs():
    title, _ = settings(seed=1, data_seed=0).outline()
    assert title == "run 'run' (seed 1, data seed 0, device auto)"
    assert settings(seed=1).outline()[0] == "run 'run' (seed 1, device auto)"

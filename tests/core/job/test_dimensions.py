"""2D maps and 3D volumes: a run that pairs a component with maps it does not take is refused
before any work, by `validate`, `run` and `train` alike, with a message naming the component."""

from __future__ import annotations

import json
import sys
import textwrap

import numpy as np
import pytest
from support.plugins import GOOD_PLUGIN

import cosmossl
from cosmossl import ConfigError
from cosmossl.cli import main
from cosmossl.config.run_file import parse_run_config
from cosmossl.job.compare import compare
from cosmossl.job.run import run
from cosmossl.job.train import train

VOLUMES = {"type": "lognormal", "geometry": "box", "n_pixels": 8, "n_cosmologies": 8,
           "n_simulations": 2}  # fmt: skip
MAPS = {"type": "lognormal", "n_pixels": 8, "n_cosmologies": 8, "n_simulations": 2}
SHAPE = "(the dataset's maps are 3D volumes of shape (1, 8, 8, 8))"


def raw(dataset=VOLUMES, **tables) -> dict:
    """A small run file's tables: ``dataset``, a CNN trained with VICReg, and ``tables``."""
    return {"name": "dims", "dataset": dataset, "loss": {"type": "vicreg"},
            "encoder": {"type": "cnn", "width": 2, "depth": 1}, **tables}  # fmt: skip


def config(dataset=VOLUMES, **tables):
    return parse_run_config(raw(dataset, **tables), source="run.toml")


def validate(tmp_path, capsys, tables: dict) -> tuple[int, str]:
    """`cosmossl validate` on ``tables`` written as a TOML file: exit status and stderr."""
    path = tmp_path / "run.toml"
    path.write_text(to_toml(tables))
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    return code, captured.err.strip().removeprefix("cosmossl: error: ") + captured.out


def refusal(cfg, tmp_path) -> str:
    """The message with which `run` refuses ``cfg``; nothing may have been simulated."""
    with pytest.raises(ConfigError) as info:
        run(cfg, run_dir=tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "data").exists()
    return str(info.value)


#: Every 2D-only built-in (and built-in option) with 3D volumes, and its message.
TWO_D_ONLY = {
    "d4 augmentation": (
        {"augmentations": [{"type": "d4"}]},
        "run.toml: [[augmentations]] #1 augmentation 'd4' works on 2D maps only, not 3D volumes; "
        f"use 'cube' (the 48 rotations and reflections of a cube) for 3D volumes {SHAPE}",
    ),
    "timm encoder": (
        {"encoder": {"type": "timm"}},
        "run.toml: [encoder] encoder 'timm' works on 2D maps only, not 3D volumes; timm's models "
        f"are 2D image models; use the 'cnn' encoder for volumes (it builds Conv3d layers) {SHAPE}",
    ),
    "symmetrize = d4": (
        {"encoder": {"type": "cnn", "symmetrize": "d4"}},
        "run.toml: [encoder] encoder 'cnn' with symmetrize = 'd4' averages over the 8 symmetries "
        "of a square map, which do not act on 3D volumes; use symmetrize = 'cube' (or "
        f"'cube-rotations') or 'none' {SHAPE}",
    ),
    "d4 contamination": (
        {"statistic": {"type": "power-spectrum"}, "backend": {"type": "sbi"},
         "robustness": {"contaminations": [{"augmentation": {"type": "d4"}}]}},
        "run.toml: [[robustness.contaminations]] #1 augmentation 'd4' works on 2D maps only, not "
        "3D volumes",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", TWO_D_ONLY)
def test_run_refuses_a_2d_only_component_on_volumes_before_simulating(tmp_path, case):
    tables, message = TWO_D_ONLY[case]
    assert refusal(config(**tables), tmp_path).startswith(message)


@pytest.mark.parametrize("case", TWO_D_ONLY)
def test_validate_refuses_a_2d_only_component_on_volumes(tmp_path, capsys, case):
    tables, message = TWO_D_ONLY[case]
    code, err = validate(tmp_path, capsys, raw(**tables))
    assert code == 2 and err.startswith(message.replace("run.toml", str(tmp_path / "run.toml")))


def test_the_cube_group_is_refused_on_2d_maps(tmp_path):
    message = refusal(config(MAPS, augmentations=[{"type": "cube"}]), tmp_path)
    assert message == (
        "run.toml: [[augmentations]] #1 augmentation 'cube' works on 3D volumes only, not 2D "
        "maps; use 'd4' for 2D maps (the dataset's maps are 2D maps of shape (1, 8, 8))"
    )


def test_train_refuses_like_run(tmp_path):
    with pytest.raises(ConfigError, match=r"\[encoder\] encoder 'timm' works on 2D maps only"):
        train(config(encoder={"type": "timm"}), tmp_path / "run", progress=False)


def test_a_plugin_component_that_declares_nothing_is_2d_only(tmp_path, monkeypatch):
    (tmp_path / "negate_plugin.py").write_text(textwrap.dedent(GOOD_PLUGIN))  # no spatial_dims
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        cosmossl.register_plugin(__import__("negate_plugin"), "negate")
        message = refusal(config(augmentations=[{"type": "negate"}]), tmp_path)
        two_d = cosmossl.create("augmentation", "negate", meta=cosmossl.MapMeta((1, 8, 8)))
    finally:
        sys.modules.pop("negate_plugin", None)
    assert message == (
        "run.toml: [[augmentations]] #1 augmentation 'negate' works on 2D maps only, not 3D "
        f"volumes {SHAPE}"
    )
    assert two_d.meta.spatial_dims == 2  # 2D maps as before


#: A third-party statistic written before volumes existed: it declares no ``spatial_dims``.
FLAT_PLUGIN = """
    import torch
    import cosmossl

    class Flat(cosmossl.Statistic):
        '''The mean and variance of each map.'''

        def __call__(self, maps):
            flat = maps.flatten(1)
            return torch.stack([flat.mean(1), flat.var(1)], 1)

    @cosmossl.hookimpl
    def register_components(registry):
        registry.add("statistic", "flat", Flat)
"""


@pytest.fixture
def flat_statistic(tmp_path, monkeypatch):
    """The ``flat`` statistic registered for the test."""
    (tmp_path / "flat_plugin.py").write_text(textwrap.dedent(FLAT_PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        cosmossl.register_plugin(__import__("flat_plugin"), "flat")
        yield "flat"
    finally:
        sys.modules.pop("flat_plugin", None)


def test_a_plugin_statistic_that_declares_nothing_is_refused_on_volumes(tmp_path, flat_statistic):
    message = refusal(config(statistic={"type": "flat"}), tmp_path)
    assert message == (
        f"run.toml: [statistic] statistic 'flat' works on 2D maps only, not 3D volumes {SHAPE}"
    )


#: A comparison of VICReg with a 2D-only baseline on volumes.
COMPARE = {"backend": {"type": "sbi"},
           "compare": {"losses": ["vicreg"], "baselines": ["flat"], "seeds": [0]}}  # fmt: skip
BASELINE_REFUSED = (
    f"[compare] baselines 'flat' statistic 'flat' works on 2D maps only, not 3D volumes {SHAPE}"
)


def test_compare_refuses_a_2d_only_baseline_before_running_any_entry(tmp_path, flat_statistic):
    with pytest.raises(ConfigError) as info:
        compare(config(**COMPARE), out_dir=tmp_path / "compare", progress=False)
    assert str(info.value) == f"run.toml: {BASELINE_REFUSED}"
    assert not (tmp_path / "compare").exists()  # not even the entries' data


def test_validate_names_the_2d_only_baseline_of_a_comparison(tmp_path, capsys, flat_statistic):
    code, err = validate(tmp_path, capsys, raw(**COMPARE))
    assert code == 2 and err == f"{tmp_path / 'run.toml'}: {BASELINE_REFUSED}"


def test_volumes_of_a_file_dataset_are_checked_by_validate(tmp_path, capsys):
    np.save(tmp_path / "maps.npy", np.zeros((6, 8, 8, 8), np.float32))
    np.save(tmp_path / "params.npy", np.repeat(np.eye(3, 2), 2, axis=0))
    dataset = {"type": "npy", "maps": str(tmp_path / "maps.npy"),
               "params": str(tmp_path / "params.npy"), "spatial_dims": 3}  # fmt: skip
    code, err = validate(tmp_path, capsys, raw(dataset, augmentations=[{"type": "d4"}]))
    assert code == 2 and "augmentation 'd4' works on 2D maps only" in err


def test_a_3d_run_file_with_volume_components_validates(tmp_path, capsys):
    tables = {"augmentations": [{"type": "cube"}, {"type": "roll"}, {"type": "smoothing"}],
              "encoder": {"type": "cnn", "symmetrize": "cube-rotations"},
              "statistic": {"type": "power-spectrum"}}  # fmt: skip
    code, out = validate(tmp_path, capsys, raw(**tables))
    assert code == 0 and "valid for `cosmossl run`" in out


def to_toml(tables: dict) -> str:
    """Small run-file tables as TOML: values, tables, arrays of tables, inline tables."""

    def value(v) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v)

    lines = [f"{k} = {value(v)}" for k, v in tables.items() if not isinstance(v, dict | list)]
    for key, v in tables.items():
        if isinstance(v, dict):
            lines += [f"[{key}]", *(f"{k} = {value(x)}" for k, x in v.items())]
        elif isinstance(v, list):
            for item in v:
                lines += [f"[[{key}]]", *(f"{k} = {value(x)}" for k, x in item.items())]
    return "\n".join(lines) + "\n"

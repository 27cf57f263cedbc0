"""Installing for real with pip: the wheel ships registry.toml; third-party plugins load."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from support.paths import PLUGIN_ENV, REPO
from support.plugins import pip_install

pytestmark = pytest.mark.slow


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PLUGIN_ENV and k != "PYTHONPATH"}
    env.update(extra)
    return env


def cosmossl_json(python: str, *args: str, env: dict[str, str]) -> tuple[object, str]:
    result = subprocess.run(
        [python, "-m", "cosmossl", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_wheel_install_lists_the_same_components_as_editable(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "registry.toml"):
        shutil.copy(REPO / name, source / name)
    for folder in ("core", "plugins"):
        shutil.copytree(
            REPO / folder,
            source / folder,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    fresh_python = str(fresh / "bin" / "python")
    site = subprocess.run(
        [fresh_python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Dependencies come from the project venv; its editable cosmossl does not (.pth files of a
    # path added by a .pth file are not processed).
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            fresh_python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )

    env = clean_env(COSMOSSL_LOAD_PLUGINS="")
    where = subprocess.run(
        [fresh_python, "-c", "import cosmossl; print(cosmossl.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert where.startswith(site), f"cosmossl imported from {where}, not the wheel install"
    wheel_rows, _ = cosmossl_json(fresh_python, "components", env=env)
    editable_rows, _ = cosmossl_json(sys.executable, "components", env=env)
    assert [(r["kind"], r["name"], r["target"]) for r in wheel_rows] == [
        (r["kind"], r["name"], r["target"]) for r in editable_rows
    ]
    assert len(wheel_rows) > 10


def test_example_plugin_installs_and_its_component_is_usable(tmp_path):
    target = tmp_path / "site"
    pip_install(REPO / "examples/plugins/cosmossl-example", target)
    env = clean_env(PYTHONPATH=str(target))
    data, _ = cosmossl_json(sys.executable, "plugins", env=env)
    example = next(p for p in data["plugins"] if p["name"] == "example")
    assert (example["distribution"], example["version"]) == ("cosmossl-example", "0.1.0")
    assert "augmentation:example-flip" in example["components"]
    assert "loss:example-align-uniform" in example["components"]
    code = textwrap.dedent("""
        import torch, cosmossl
        flip = cosmossl.create("augmentation", "example-flip", p=1.0)
        maps = torch.arange(16.0).reshape(1, 1, 4, 4)
        out = flip(maps, torch.Generator().manual_seed(0))
        assert torch.equal(out, maps.flip(-1)), out
        entry = cosmossl.registry().get("augmentation", "example-flip")
        print(entry.provider.distribution, entry.provider.version)
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cosmossl-example 0.1.0"


def test_broken_plugin_warns_and_everything_else_works(tmp_path):
    package = tmp_path / "broken"
    (package / "cosmossl_broken").mkdir(parents=True)
    (package / "pyproject.toml").write_text(
        textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "cosmossl-broken"
        version = "9.9"
        [project.entry-points.cosmossl]
        broken = "cosmossl_broken.plugin"
        [tool.setuptools]
        packages = ["cosmossl_broken"]
    """)
    )
    (package / "cosmossl_broken" / "__init__.py").write_text("")
    (package / "cosmossl_broken" / "plugin.py").write_text("import no_such_dependency_xyz\n")
    target = tmp_path / "site"
    pip_install(package, target)
    env = clean_env(PYTHONPATH=str(target))

    data, stderr = cosmossl_json(sys.executable, "plugins", env=env)
    failure = next(f for f in data["failures"] if f["name"] == "broken")
    assert failure["distribution"] == "cosmossl-broken" and failure["version"] == "9.9"
    assert "No module named 'no_such_dependency_xyz'" in failure["error"]
    assert (
        "plugin skipped (distribution 'cosmossl-broken', entry point "
        "'broken = cosmossl_broken.plugin')" in stderr
    )
    rows, _ = cosmossl_json(sys.executable, "components", "augmentation", env=env)
    assert "d4" in [r["name"] for r in rows]

    strict = subprocess.run(
        [sys.executable, "-m", "cosmossl", "components"],
        capture_output=True,
        text=True,
        env={**env, "COSMOSSL_STRICT_PLUGINS": "1"},
        timeout=300,
    )
    assert strict.returncode == 2
    assert "plugin failed to load" in strict.stderr and "Traceback" not in strict.stderr


def test_torch_floor_has_a_safe_weights_only_load():
    """torch.load(weights_only=True), which reads optimizer.pt, can be bypassed below torch 2.6
    (CVE-2025-32434)."""
    import re
    import tomllib

    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    floor = next(re.fullmatch(r"torch>=(\d+)\.(\d+)", d) for d in deps if d.startswith("torch>"))
    assert (int(floor[1]), int(floor[2])) >= (2, 6)


def test_example_plugin_passes_its_own_contract_tests_when_installed(tmp_path):
    """The example's tests (cosmossl.testing's checks) against the pip-installed plugin."""
    import cosmossl
    import cosmossl_plugins

    target = tmp_path / "site"
    pip_install(REPO / "examples/plugins/cosmossl-example", target)
    # The installed plugin, and the cosmossl this test runs (a checkout or an install).
    paths = [target, Path(cosmossl.__file__).parents[1], Path(cosmossl_plugins.__file__).parents[1]]
    env = clean_env(PYTHONPATH=os.pathsep.join(str(p) for p in paths), OMP_NUM_THREADS="1")
    tests = REPO / "examples/plugins/cosmossl-example/tests"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout

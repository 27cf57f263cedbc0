"""The architecture's boundaries: core never imports plugins; plugins use only the public API."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

import cosmossl

PUBLIC_SUBMODULES = {
    "cosmossl",
    "cosmossl.physics.cosmology",
    "cosmossl.physics.fields",
    "cosmossl.information.fisher",
    "cosmossl.data",
    "cosmossl.data.mapset",
    "cosmossl.data.hdf5",
    "cosmossl.nn.distributed",
    "cosmossl._util.devices",
    "cosmossl.information.check",
    "cosmossl.information",
    "cosmossl.physics",
    "cosmossl.nn",
    "cosmossl.job.run_dir",
    "cosmossl.information.probes",
    "cosmossl.training.views",
    "cosmossl.nn.heads",
    "cosmossl.nn.monitors",
    "cosmossl.inference",
    "cosmossl.data.summaries",
}


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def test_core_never_imports_plugins():
    for path in (REPO / "core" / "cosmossl").rglob("*.py"):
        bad = [m for m in imports(path) if m.split(".")[0] == "cosmossl_plugins"]
        assert not bad, f"{path.relative_to(REPO)} imports {bad}"


def test_plugins_import_only_the_public_api():
    for path in (REPO / "plugins" / "cosmossl_plugins").rglob("*.py"):
        for module in imports(path):
            if module.split(".")[0] != "cosmossl":
                continue
            public = module in PUBLIC_SUBMODULES or module.startswith("cosmossl.inference.")
            assert public, f"{path.relative_to(REPO)} imports private '{module}'"


def test_public_api_names_resolve():
    for name in cosmossl.__all__:
        assert getattr(cosmossl, name) is not None, name


def test_registry_targets_exist_as_modules():
    for entry in cosmossl.registry().entries():
        module = entry.target_path.split(":")[0].split(".")
        base = REPO / "plugins" / Path(*module)
        assert base.with_suffix(".py").exists(), f"{entry.kind} '{entry.name}' -> {module}"

"""The architecture's rules: the engine's layers import only downward, without cycles; core never
imports the built-ins; plugins import only the public modules listed in ``cosmossl.PLUGIN_API``.

Imports under ``if TYPE_CHECKING:`` (annotations only) are not imports at run time and are left
out; imports inside functions count, so a lazy import cannot hide an upward edge or a cycle.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

import pytest
from support.paths import REPO

import cosmossl
from cosmossl._util import moved

CORE = REPO / "core" / "cosmossl"
PLUGINS = REPO / "plugins" / "cosmossl_plugins"

#: Engine packages by layer: a module may import its own layer and the layers below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_util", "errors", "_version"),
    ("components", "nn", "physics"),
    ("data",),
    ("plugin",),
    ("config",),
    ("training", "inference", "information"),
    ("summaries", "testing"),
    ("job",),
    ("cli", "__main__"),
)
#: cosmossl 0.1.0's modules that are deprecation shims now: above every layer, so that no part
#: of the engine imports them.
SHIMS = tuple(module.removeprefix("cosmossl.") for module in moved.SHIMS)
RANK = {name: rank for rank, names in enumerate((*LAYERS, SHIMS)) for name in names}
#: Stage packages of one layer that must not import each other (they meet in ``job``).
INDEPENDENT = {"training", "inference", "information"}


def module_name(path: Path) -> str:
    root = CORE.parent if CORE in path.parents else PLUGINS.parent
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> set[str]:
    """Absolute modules imported by ``path`` at run time (TYPE_CHECKING blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def engine_modules() -> dict[str, set[str]]:
    return {
        module_name(path): {m for m in runtime_imports(path) if m.split(".")[0] == "cosmossl"}
        for path in CORE.rglob("*.py")
    }


def package_of(module: str) -> str | None:
    """The layer package of an engine module (``None`` for the facade ``cosmossl`` itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_engine_package_has_a_layer():
    packages = {p.name for p in CORE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    packages |= {p.stem for p in CORE.glob("*.py") if p.stem != "__init__"}
    assert packages <= set(RANK), f"packages without a layer: {sorted(packages - set(RANK))}"


def test_layers_import_only_downward():
    upward = []
    for module, imported in engine_modules().items():
        source = package_of(module)
        if source is None:  # the public facade re-exports everything lazily
            continue
        for target in imported:
            target_package = package_of(target)
            if target_package is None:
                upward.append(f"{module} imports the facade 'cosmossl' (import the module)")
            elif RANK[target_package] > RANK[source]:
                upward.append(f"{module} -> {target}")
            elif target_package != source and {source, target_package} <= INDEPENDENT:
                upward.append(f"{module} -> {target} (stages meet in cosmossl.job)")
    assert not upward, "imports against the layers:\n" + "\n".join(sorted(upward))


def test_no_import_cycles():
    graph = engine_modules()
    modules = set(graph)
    edges = defaultdict(set)
    for module, imported in graph.items():
        for target in imported:
            # `from cosmossl.physics import fields` names the package; count the package.
            edges[module] |= {t for t in (target,) if t in modules and t != module}
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    # A package's facade importing its own modules is not a cycle with them.
    real = [c for c in cycles if not _facade_cycle(c)]
    assert not real, "import cycles:\n" + "\n".join(real)


def _facade_cycle(cycle: str) -> bool:
    nodes = cycle.split(" -> ")
    return any(b.startswith(a + ".") for a, b in itertools.pairwise(nodes))


def test_core_never_imports_the_builtins():
    for path in CORE.rglob("*.py"):
        bad = [m for m in runtime_imports(path) if m.split(".")[0] == "cosmossl_plugins"]
        assert not bad, f"{path.relative_to(REPO)} imports {bad}"


@pytest.mark.parametrize(
    "path", sorted(PLUGINS.rglob("*.py")), ids=lambda p: str(p.relative_to(PLUGINS))
)
def test_builtins_import_only_the_plugin_api(path):
    private = [
        m
        for m in runtime_imports(path)
        if m.split(".")[0] == "cosmossl" and m not in cosmossl.PLUGIN_API
    ]
    assert not private, (
        f"{path.relative_to(REPO)} imports {private}; plugins may import only "
        f"{', '.join(cosmossl.PLUGIN_API)}"
    )


def test_plugin_api_modules_and_their_names_resolve():
    import importlib

    for module in cosmossl.PLUGIN_API:
        mod = importlib.import_module(module)
        for name in getattr(mod, "__all__", ()):
            assert getattr(mod, name) is not None, f"{module}.{name}"


def test_docs_list_exactly_the_plugin_api():
    from cosmossl.plugin.api import plugin_api_markdown

    text = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert plugin_api_markdown() in text, (
        "docs/plugins.md must contain the list rendered by "
        "cosmossl.plugin.api.plugin_api_markdown()"
    )


def test_registry_targets_exist_as_modules():
    for entry in cosmossl.registry().entries():
        module = entry.target_path.split(":")[0].split(".")
        base = REPO / "plugins" / Path(*module)
        assert base.with_suffix(".py").exists(), f"{entry.kind} '{entry.name}' -> {module}"


def test_every_shim_of_a_moved_module_is_a_file_and_every_such_file_is_a_shim():
    files = {p.stem for p in CORE.glob("*.py")} - {"__init__", "__main__", *RANK}
    assert not files, f"top-level modules without a layer: {sorted(files)}"
    for name in SHIMS:
        text = (CORE / f"{name}.py").read_text(encoding="utf-8")
        assert "shim_attributes(__name__)" in text, f"cosmossl/{name}.py is not a shim"

"""The plugin-core CLI commands: components, plugins, explain, validate."""

from __future__ import annotations

import json
import subprocess
import sys

from support.paths import REPO


def test_components_does_not_import_torch():
    # Nor the plotting and cosmology libraries, also after importing the public facades.
    code = (
        "import sys, io, contextlib\n"
        "import cosmossl, cosmossl.physics, cosmossl.inference\n"
        "from cosmossl.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['components']) == 0\n"
        "heavy = ('torch', 'numpy', 'pydantic.main', 'getdist', 'colossus', 'matplotlib')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert "torch" not in out.stdout
    for library in ("getdist", "colossus", "matplotlib"):
        assert library not in out.stdout


def test_components_json_lists_builtins_with_provider(cli):
    result = cli("components", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    d4 = next(r for r in rows if (r["kind"], r["name"]) == ("augmentation", "d4"))
    assert d4["plugin"] == "cosmossl" and d4["distribution"] == "cosmossl"
    assert d4["target"] == "cosmossl_plugins.augmentations.d4:D4"


def test_components_filters_by_kind_and_pattern(cli):
    result = cli("components", "loss", "*i*", "--json")
    names = [r["name"] for r in json.loads(result.stdout)]
    assert names and all("i" in n for n in names)
    assert {r["kind"] for r in json.loads(result.stdout)} == {"loss"}


def test_components_single_pattern_argument(cli):
    result = cli("components", "gauss*", "--json")
    assert [r["name"] for r in json.loads(result.stdout)] == ["gaussian-noise"]


def test_components_typo_suggests_kind(cli):
    result = cli("components", "encodr")
    assert result.returncode == 2
    assert "Did you mean 'encoder'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugins_json_lists_builtins_with_version(cli):
    result = cli("plugins", "--json")
    data = json.loads(result.stdout)
    builtin = data["plugins"][0]
    assert (builtin["name"], builtin["distribution"]) == ("cosmossl", "cosmossl")
    assert builtin["version"]
    assert "augmentation:d4" in builtin["components"]


def test_explain_shows_parameters_provider_and_source(cli):
    result = cli("explain", "encoder", "mlp")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "encoder 'mlp'" in out
    assert "provided by: plugin 'cosmossl' (cosmossl" in out
    assert "summary_dim" in out and "Dimension D of the summary vector." in out
    assert "plugins/encoders/mlp.py:" in out


def test_explain_writes_constrained_types_and_choices(cli):
    result = cli("explain", "loss", "vicreg")
    assert result.returncode == 0, result.stderr
    assert "list[int > 0] | None" in result.stdout
    assert "Literal['sync', 'local']" in result.stdout
    assert "float >= 0" in result.stdout


def test_explain_unknown_name_exits_2_with_suggestion(cli):
    result = cli("explain", "augmentation", "rol")
    assert result.returncode == 2
    assert "no augmentation named 'rol'. Did you mean 'roll'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_good_file_says_what_it_would_run(cli, tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text(
        'name = "demo"\n[dataset]\ntype = "lognormal"\n[encoder]\ntype = "mlp"\nsummary_dim = 4\n'
        '[loss]\ntype = "vicreg"\n'
    )
    result = cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert f"{path}: valid" in result.stdout
    assert (
        "encoder" in result.stdout and "mlp" in result.stdout and "summary_dim=4" in result.stdout
    )


def test_validate_bad_file_exits_2_without_traceback(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[encoder]\ntype = "mlp"\nsumary_dim = 4\n')
    result = cli("validate", str(path))
    assert result.returncode == 2
    assert f"{path}: [encoder] unknown key 'sumary_dim'" in result.stderr
    assert "Traceback" not in result.stderr

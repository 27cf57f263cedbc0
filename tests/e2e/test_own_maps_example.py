"""examples/own_maps.py: the maps of the tutorial's "Your own maps, your own observation"."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
from support.paths import REPO, run_cli

import cosmossl


def test_the_example_writes_what_the_npy_dataset_reads_and_an_observation(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "examples/own_maps.py"), str(tmp_path / "my-data"),
         "--cosmologies", "5", "--per-cosmology", "3", "--observe", "1.2", "-2.0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = tmp_path / "my-data"
    dataset = cosmossl.create("dataset", "npy", maps=str(data / "maps.npy"),
                              params=str(data / "params.txt"), param_names=["A", "n"],
                              groups=str(data / "groups.txt"))  # fmt: skip
    mapset = dataset.load(seed=0)
    assert mapset.maps.shape == (15, 1, 32, 32)
    assert np.unique(mapset.cosmology_id, return_counts=True)[1].tolist() == [3] * 5
    a, n = mapset.params.T
    assert (a >= 0.5).all() and (a <= 2.0).all() and (n >= -3.0).all() and (n <= -1.0).all()
    assert np.load(data / "obs.npy").shape == (32, 32)


def _tutorial_run_file() -> str:
    """The run file of docs/tutorial.md section 9 (the toml block after "**The run file**")."""
    text = (REPO / "docs/tutorial.md").read_text(encoding="utf-8")
    after = text[text.index("**The run file**") :]
    return re.search(r"```toml\n(.*?)```", after, re.S).group(1)


def test_the_tutorial_run_file_validates_on_the_example_maps_with_its_stated_prior(tmp_path):
    made = subprocess.run(
        [sys.executable, str(REPO / "examples/own_maps.py"), str(tmp_path / "my-data"),
         "--cosmologies", "12", "--per-cosmology", "3"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    (tmp_path / "my-run.toml").write_text(_tutorial_run_file(), encoding="utf-8")
    done = run_cli("validate", "my-run.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "PriorWarning" not in done.stderr and "min–max" not in done.stderr + done.stdout
    assert "A ∈ [0.5, 2]" in done.stdout or "[0.5, 2.0]" in done.stdout, done.stdout


def test_a_steeper_spectrum_puts_more_of_the_variance_on_large_scales():
    sys.path.insert(0, str(REPO / "examples"))
    try:
        import own_maps
    finally:
        sys.path.pop(0)
    steep, flat = own_maps.power_law_map(1.0, -3.0, seed=1), own_maps.power_law_map(1.0, -1.0, 1)

    # Neighbouring pixels are more alike in the steeper field.
    def correlation(m):
        return np.corrcoef(m[:, :-1].ravel(), m[:, 1:].ravel())[0, 1]

    assert correlation(steep) > correlation(flat) + 0.2

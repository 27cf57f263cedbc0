"""docs/tutorial.md section 9: the run file of one cosmology that makes an observation."""

from __future__ import annotations

import re

import h5py
import numpy as np
from support.paths import REPO, run_cli


def test_the_tutorials_one_cosmology_run_file_simulates_a_map_at_its_truth(tmp_path):
    text = (REPO / "docs/tutorial.md").read_text(encoding="utf-8")
    run_file = re.search(r"cat > obs.toml <<'END'\n(.*?)\nEND\n", text, re.S).group(1)
    (tmp_path / "obs.toml").write_text(run_file, encoding="utf-8")
    done = run_cli("simulate", "obs.toml", "--out", "obs.h5", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with h5py.File(tmp_path / "obs.h5", "r") as f:
        assert f["maps"].shape == (1, 1, 32, 32)
        np.testing.assert_allclose(f["params"][:], [[0.3, 0.8]], rtol=1e-6)

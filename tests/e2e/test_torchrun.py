"""`torchrun --nproc_per_node 2 -m cosmossl train CONFIG` trains with DDP (gloo on CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from support.configs import TINY_RUN as CONFIG

from cosmossl.training import load_checkpoint


def test_torchrun_trains_with_two_processes_and_rank_zero_writes(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(CONFIG.format(run_dir=tmp_path / "run"))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "cosmossl", "-q", "train", str(path)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("training finished: 2 epochs, 4 steps") == 1  # rank 0 only
    ckpt = load_checkpoint(tmp_path / "run" / "train" / "checkpoints" / "last")
    assert ckpt.state["identity"]["world"] == 2
    assert ckpt.state["step"] == 4
    lines = (tmp_path / "run" / "train" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["kind"] for line in lines].count("epoch") == 2

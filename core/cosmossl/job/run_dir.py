"""Where each stage puts its files inside a run directory.

The main job (``cosmossl run``) and the single-stage commands (``simulate``, ``train``,
``compress``, ``infer``, ``fisher``) share this layout, so their outputs can be used together.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cosmossl.config.run_file import RunConfig

MAPS = "data/maps.h5"
TRAIN = "train"
BEST_CHECKPOINT = "train/checkpoints/best"
ENCODER = "encoder"
FISHER = "fisher.json"


def summaries(label: str) -> str:
    """Summaries file of ``label`` (``"encoder"`` or a statistic's name)."""
    return f"summaries/{label}.h5"


def inference(label: str) -> str:
    """Inference output folder for the summaries ``label``."""
    return f"inference/{label}"


def run_directory(config: RunConfig, override: str | Path | None = None) -> Path:
    """``override`` if given, else the run file's ``run_dir`` with ``{name}`` filled in."""
    if override is not None:
        return Path(override)
    return Path(config.settings.run_dir.replace("{name}", config.settings.name))

"""The run directory: where each stage puts its files (the only place paths are spelled), and
which stages finished with which inputs (the stage cache).

The main job (``cosmossl run``) and the single-stage commands (``simulate``, ``train``,
``compress``, ``infer``, ``fisher``) share this layout, so their outputs can be used together.
Each stage declares its inputs (its config section, the run seed, the keys of the stages it
consumes) and its output files. A stage is skipped when a previous run finished it with the same
inputs and its outputs still exist; otherwise it runs, and every stage downstream of it runs too,
because their inputs include its key.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cosmossl._util.digest import digest
from cosmossl._util.files import write_json
from cosmossl.training.folder import TrainingFolder

if TYPE_CHECKING:
    from cosmossl.config.run_file import RunConfig

log = logging.getLogger(__name__)

# ---- paths, relative to the run directory ------------------------------------------------------

MAPS = "data/maps.h5"
TRAIN = "train"
BEST_CHECKPOINT = f"{TRAIN}/{TrainingFolder.BEST}"
TRAINING_METRICS = f"{TRAIN}/{TrainingFolder.METRICS}"
TRAINING_CURVES = "training_curves.png"
ENCODER = "encoder"
FISHER = "fisher.json"
RESULTS = "results.json"
REPORT = "report"
COMPARE = "compare"
STATE_FILE = "stages.json"
METRICS = "metrics.json"
POSTERIOR = "posterior"


def summaries(label: str) -> str:
    """Summaries file of ``label`` (``"encoder"`` or a statistic's name)."""
    return f"summaries/{label}.h5"


def inference(label: str) -> str:
    """Inference output folder for the summaries ``label``."""
    return f"inference/{label}"


def robustness(label: str) -> str:
    """Robustness output folder for the summaries ``label`` (``metrics.json``, ``posterior/``
    when the survey size needs its own fit)."""
    return f"robustness/{label}"


def contaminated_maps(index: int, name: str) -> str:
    """Test maps with contamination number ``index`` (named ``name``) put in."""
    slug = "".join(c if c.isalnum() or c in "._-" else "-" for c in name).strip("-")
    return f"data/contaminated/{index:02d}-{slug[:60]}.h5"


def run_directory(config: RunConfig, override: str | Path | None = None) -> Path:
    """``override`` if given, else the run file's ``run_dir`` with ``{name}`` filled in."""
    if override is not None:
        return Path(override)
    return Path(config.settings.run_dir.replace("{name}", config.settings.name))


# ---- the stage cache ----------------------------------------------------------------------------


@dataclass
class StageRecord:
    """What the state file remembers of a finished stage."""

    key: str
    outputs: list[str]
    seconds: float
    finished: str


class RunDirectory:
    """A run's output folder with a record of which stages finished with which inputs."""

    def __init__(self, path: str | Path) -> None:
        self.root = Path(path)
        self.root.mkdir(parents=True, exist_ok=True)
        self._state_path = self.root / STATE_FILE
        self._state: dict[str, StageRecord] = self._read_state()

    def _read_state(self) -> dict[str, StageRecord]:
        if not self._state_path.exists():
            return {}
        try:
            raw = json.loads(self._state_path.read_text(encoding="utf-8"))
            return {name: StageRecord(**record) for name, record in raw.items()}
        except (ValueError, TypeError):
            log.warning("ignoring unreadable %s: every stage will run", self._state_path)
            return {}

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def key(self, name: str) -> str | None:
        """The input key a finished stage ran with (``None`` if it never finished)."""
        record = self._state.get(name)
        return record.key if record else None

    def is_current(self, name: str, key: str) -> bool:
        record = self._state.get(name)
        return (
            record is not None
            and record.key == key
            and all(self.path(out).exists() for out in record.outputs)
        )

    def run_stage(
        self,
        name: str,
        inputs: Mapping[str, Any],
        outputs: Sequence[str],
        action: Callable[[], None],
        *,
        force: bool = False,
    ) -> tuple[str, bool]:
        """Run ``action`` unless the stage is current; returns ``(key, ran)``."""
        key = digest(inputs)
        if not force and self.is_current(name, key):
            log.info("stage %s: up to date, skipped", name)
            return key, False
        self._state.pop(name, None)
        self._write_state()
        log.info("stage %s: running", name)
        start = time.perf_counter()
        action()
        missing = [out for out in outputs if not self.path(out).exists()]
        if missing:
            raise RuntimeError(f"stage {name} finished without writing {', '.join(missing)}")
        self._state[name] = StageRecord(
            key,
            list(outputs),
            round(time.perf_counter() - start, 3),
            time.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        self._write_state()
        return key, True

    def seconds(self, name: str) -> float | None:
        record = self._state.get(name)
        return record.seconds if record else None

    def _write_state(self) -> None:
        write_json(self._state_path, {n: asdict(r) for n, r in self._state.items()})

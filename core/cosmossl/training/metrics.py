"""Collapse warnings and the metrics log (JSON lines, optionally TensorBoard scalars)."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from cosmossl.training.folder import TrainingFolder

log = logging.getLogger("cosmossl.training")


def collapse_warning(
    monitors: dict[str, float], dim: int, std_factor: float, min_rank: float
) -> str | None:
    """A message when the monitors say the representation collapsed, else ``None``."""
    healthy = 1.0 / math.sqrt(dim)
    std, rank = monitors["embedding_std"], monitors["rankme"]
    if std < std_factor * healthy or rank < min_rank:
        return (
            f"representation collapse: std of normalised embeddings {std:.3g} (healthy ≈ "
            f"{healthy:.3g} = 1/sqrt({dim})), RankMe {rank:.3g} of at most {dim}. The summaries "
            "carry little information: check the loss weights (e.g. VICReg's variance term), "
            "lower the learning rate, or add views/augmentations."
        )
    return None


def step_metrics(loss: Any, terms: dict[str, Any], embeddings: Any) -> dict[str, float]:
    """The step's loss and named terms averaged over processes, and the collapse monitors of the
    (gathered) embeddings when there are at least two."""
    from cosmossl.nn import all_reduce_mean, collapse_monitors

    record = {"loss": float(all_reduce_mean(loss))}
    record.update({k: float(all_reduce_mean(v.detach().float())) for k, v in terms.items()})
    if embeddings is not None and embeddings.shape[0] > 1:
        record.update({k: float(v) for k, v in collapse_monitors(embeddings).items()})
    return record


class MetricsLog:
    """Appends one JSON object per line to ``metrics.jsonl``; mirrors numbers to TensorBoard."""

    def __init__(self, folder: TrainingFolder, *, tensorboard: bool, enabled: bool = True) -> None:
        self.path = folder.metrics
        self.enabled = enabled
        self.writer = None
        if enabled and tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(folder.tensorboard))

    def truncate_after(self, step: int) -> None:
        """Drop lines logged after ``step`` (a resumed run logs them again)."""
        if not self.enabled or not self.path.is_file():
            return
        keep = [
            line
            for line in self.path.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line).get("step", 0) <= step
        ]
        self.path.write_text("".join(line + "\n" for line in keep), encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self.writer is not None:
            prefix = record.get("kind", "step")
            for key, value in record.items():
                if key not in {"kind", "step", "epoch"} and isinstance(value, (int, float)):
                    self.writer.add_scalar(f"{prefix}/{key}", value, record["step"])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

"""The progress bar of a posterior fit, the same for every backend.

Example (a backend's training loop)::

    with FitProgress(p.max_epochs, desc="lampe", enabled=data.progress) as bar:
        for epoch in range(p.max_epochs):
            ...
            bar.epoch(val_loss)
"""

from __future__ import annotations

import math
from typing import IO, Any

from tqdm.auto import tqdm


class FitProgress:
    """Epochs trained (of the most allowed), the best validation loss and the epoch it was
    reached, and the elapsed time, on one line of stderr.

    Like every progress bar of cosmossl it is off when ``enabled`` is false (``--quiet``, or a
    caller that asked for none) and when stderr is not a terminal. It counts epochs whether
    shown or not: :attr:`epochs`, :attr:`best` and :attr:`best_epoch` (1-based).
    """

    def __init__(
        self, max_epochs: int, *, desc: str, enabled: bool = True, file: IO[str] | None = None
    ) -> None:
        self.epochs, self.best, self.best_epoch = 0, math.inf, 0
        self._bar = tqdm(
            total=max_epochs,
            desc=desc,
            unit="epoch",
            bar_format="{desc}: epoch {n_fmt}/{total_fmt} [{elapsed}]{postfix}",
            disable=None if enabled else True,  # None: off when the stream is not a terminal
            file=file,
            leave=False,
            dynamic_ncols=True,
        )

    def epoch(self, val_loss: float) -> None:
        """One epoch done, with validation loss ``val_loss``."""
        self.epochs += 1
        if val_loss < self.best:
            self.best, self.best_epoch = float(val_loss), self.epochs
        self._bar.set_postfix_str(f"best val loss {self.best:.4g} (epoch {self.best_epoch})",
                                  refresh=False)  # fmt: skip
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> FitProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

"""The box prior every backend shares: independent uniform ranges per parameter."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.distributions import Independent, Uniform, constraints

from cosmossl.errors import DataError


class BoxPrior(Independent):
    """Independent uniform prior on ``[low_i, high_i]`` for each parameter.

    A ``torch.distributions`` distribution (``sample``, ``log_prob``, ``support``), so it can be
    handed to sbi as is. ``log_prob`` is ``-inf`` outside the box instead of raising, so
    posterior samplers can evaluate it anywhere.
    """

    def __init__(
        self,
        low: Sequence[float] | torch.Tensor,
        high: Sequence[float] | torch.Tensor,
        names: Sequence[str] = (),
        device: str | torch.device = "cpu",
    ) -> None:
        low_t = torch.as_tensor(low, dtype=torch.float32, device=device).reshape(-1)
        high_t = torch.as_tensor(high, dtype=torch.float32, device=device).reshape(-1)
        names = tuple(names) or tuple(f"theta_{i}" for i in range(low_t.numel()))
        if low_t.shape != high_t.shape or len(names) != low_t.numel():
            raise DataError(
                f"box prior: {low_t.numel()} lows, {high_t.numel()} highs and "
                f"{len(names)} names must match"
            )
        if not bool((low_t < high_t).all()):
            bad = [n for n, lo, hi in zip(names, low_t.tolist(), high_t.tolist()) if lo >= hi]
            raise DataError(f"box prior: low must be below high for {', '.join(bad)}")
        super().__init__(Uniform(low_t, high_t, validate_args=False), 1, validate_args=False)
        self.low, self.high, self.names = low_t, high_t, names

    @classmethod
    def from_ranges(
        cls, ranges: dict[str, tuple[float, float]], names: Sequence[str], device: str = "cpu"
    ) -> BoxPrior:
        """Prior from ``{name: (low, high)}`` in the order of ``names``."""
        missing = [n for n in names if n not in ranges]
        if missing:
            raise DataError(
                f"no prior range for parameter(s) {', '.join(missing)}; "
                f"ranges given: {', '.join(ranges) or 'none'}"
            )
        return cls([ranges[n][0] for n in names], [ranges[n][1] for n in names], names, device)

    @property
    def dim(self) -> int:
        return int(self.low.numel())

    @property
    def support(self) -> constraints.Constraint:
        return constraints.independent(constraints.interval(self.low, self.high), 1)

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        # Closed box: parameters sitting exactly on an edge (common in simulation suites) keep
        # a finite density.
        inside = self.contains(value)
        log_volume = torch.log(self.high - self.low).sum()
        return torch.where(inside, -log_volume, torch.full_like(log_volume, -torch.inf))

    def contains(self, value: torch.Tensor) -> torch.Tensor:
        """``[...]`` bool: whether each ``[..., P]`` point lies inside the box."""
        return ((value >= self.low) & (value <= self.high)).all(-1)

    def to(self, device: str | torch.device) -> BoxPrior:
        return BoxPrior(self.low, self.high, self.names, device)

    def to_dict(self) -> dict[str, list]:
        return {"names": list(self.names), "low": self.low.tolist(), "high": self.high.tolist()}

    @classmethod
    def from_dict(cls, data: dict, device: str = "cpu") -> BoxPrior:
        return cls(data["low"], data["high"], data["names"], device)

"""Geometry of the maps a run works with, shared by datasets, augmentations and statistics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MapMeta:
    """What components need to know about one map.

    Attributes:
        shape: per-map shape ``(C, H, W)`` (or ``(F,)`` for vector data).
        box_size: side length of the map in Mpc/h, when it has one.
        periodic: whether opposite edges wrap around (simulation boxes do).
    """

    shape: tuple[int, ...]
    box_size: float | None = None
    periodic: bool = True

    @property
    def pixel_size(self) -> float | None:
        """Side of one pixel in Mpc/h (``box_size / W``), or ``None`` without a box size."""
        if self.box_size is None or len(self.shape) < 2:
            return None
        return self.box_size / self.shape[-1]

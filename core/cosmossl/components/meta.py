"""Geometry and content of the maps a run works with, shared by datasets, augmentations and
statistics."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

#: What a map may hold (:attr:`MapMeta.content`); a dataset parameter can be typed with it.
MapContent = Literal[
    "overdensity", "log1p-overdensity", "density", "log10-density", "counts", "other"
]
#: Each :data:`MapContent` and what it means. Augmentations that act on the matter field (e.g.
#: ``baryons``) read the content to work in the right space.
MAP_CONTENTS: dict[str, str] = {
    "overdensity": "δ, the density contrast",
    "log1p-overdensity": "log(1 + δ), natural logarithm",
    "density": "a density or mass per pixel (proportional to 1 + δ), any units",
    "log10-density": "log10 of a density or mass per pixel (a constant offset per map, e.g. a "
    "removed mean, is allowed)",
    "counts": "counts per pixel, e.g. of galaxies (proportional to 1 + δ up to shot noise)",
    "other": "something else (the dataset's documentation says what)",
}


@dataclass(frozen=True)
class MapMeta:
    """What components need to know about one map.

    Attributes:
        shape: per-map shape ``(C, H, W)`` (or ``(F,)`` for vector data).
        box_size: side length of the map in Mpc/h, when it has one.
        periodic: whether opposite edges wrap around (simulation boxes do).
        content: what the pixels hold, one of :data:`MAP_CONTENTS` (``"log1p-overdensity"`` for
            log(1 + δ), ``"overdensity"`` for δ, ``"counts"``, ...), or ``None`` when unknown.
            Set by the dataset, so that augmentations never need the user to say it.
    """

    shape: tuple[int, ...]
    box_size: float | None = None
    periodic: bool = True
    content: MapContent | None = None

    def __post_init__(self) -> None:
        if self.content is not None and self.content not in get_args(MapContent):
            raise ValueError(
                f"MapMeta.content {self.content!r} is not one of {', '.join(MAP_CONTENTS)} "
                "(or None when unknown)"
            )

    @property
    def pixel_size(self) -> float | None:
        """Side of one pixel in Mpc/h (``box_size / W``), or ``None`` without a box size."""
        if self.box_size is None or len(self.shape) < 2:
            return None
        return self.box_size / self.shape[-1]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly fields (what summaries files record of the maps they came from)."""
        out = asdict(self)
        out["shape"] = list(self.shape)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MapMeta:
        """Read back :meth:`to_dict`; keys this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["shape"] = tuple(int(n) for n in values["shape"])
        return cls(**values)

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


#: How the number of spatial dimensions is written in messages.
DIMENSION_NAMES = {0: "vectors", 1: "1D maps", 2: "2D maps", 3: "3D volumes"}


def dimension_name(spatial_dims: int) -> str:
    """``"2D maps"``, ``"3D volumes"``, ... for a number of spatial dimensions."""
    return DIMENSION_NAMES.get(spatial_dims, f"{spatial_dims}D arrays")


@dataclass(frozen=True)
class MapMeta:
    """What components need to know about one map.

    Attributes:
        shape: per-map shape: ``(C, H, W)`` for 2D maps, ``(C, D, H, W)`` for 3D volumes (or
            ``(F,)`` for vector data). :attr:`spatial_dims` says which.
        box_size: side length of the map (of a 3D volume: of its last axis) in Mpc/h, when it
            has one; pixels are square (voxels cubic), so each axis is ``box_size`` times its
            number of pixels over ``W`` long (:attr:`box_lengths`).
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
    def spatial_dims(self) -> int:
        """The number of spatial dimensions of a map: 2 for ``(C, H, W)``, 3 for
        ``(C, D, H, W)``, 0 for vectors ``(F,)`` (the first axis holds the channels)."""
        return max(0, len(self.shape) - 1)

    @property
    def spatial_shape(self) -> tuple[int, ...]:
        """The map's shape without its channels: ``(H, W)`` or ``(D, H, W)`` (``()`` for
        vectors)."""
        return tuple(self.shape[1:]) if self.spatial_dims else ()

    @property
    def pixel_size(self) -> float | None:
        """Side of one pixel (voxel) in Mpc/h (``box_size / W``), or ``None`` without a box
        size."""
        if self.box_size is None or len(self.shape) < 2:
            return None
        return self.box_size / self.shape[-1]

    @property
    def box_lengths(self) -> tuple[float, ...] | None:
        """The box length of each spatial axis in Mpc/h (``(L_D, L_H, L_W)`` for a volume), or
        ``None`` without a box size."""
        pixel = self.pixel_size
        if pixel is None or not self.spatial_dims:
            return None
        return tuple(pixel * n for n in self.spatial_shape)

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

"""Base class of ``encoder`` components."""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field
from torch import nn

from cosmossl.components.base import MapComponent
from cosmossl.components.meta import dimension_name
from cosmossl.components.params import Params
from cosmossl.errors import ConfigError
from cosmossl.nn.symmetry import CUBE_ROTATIONS, cube_average, d4_average

#: The groups a summary can be averaged over (``symmetrize``): their order and the spatial
#: dimensions of the maps they act on.
SYMMETRIZE_GROUPS: dict[str, tuple[int, int]] = {
    "d4": (8, 2),
    "cube": (48, 3),
    "cube-rotations": (24, 3),
}


class EncoderParams(Params):
    """Parameters every encoder has."""

    summary_dim: int = Field(16, gt=0, description="Dimension D of the summary vector.")
    symmetrize: Literal["none", "d4", "cube", "cube-rotations"] = Field(
        "none",
        description="'d4': the summary of a map (compression, the Fisher check) is the "
        "encoder's output averaged over the 8 rotations and flips of the map, so it is exactly "
        "invariant to them, as the statistics of an isotropic periodic field are; training "
        "still sees one random D4 image per view (the d4 augmentation). Square maps only; "
        "compression costs 8 forward passes per map. 'cube' (3D volumes): the same over the 48 "
        "rotations and reflections of a cubic volume (48 forward passes per volume); "
        "'cube-rotations': over its 24 rotations only (half the cost).",
    )


class Encoder(MapComponent, nn.Module):
    """An ``nn.Module`` mapping inputs ``[B, *input_shape]`` to summaries ``[B, D]``.

    ``input_shape`` (per-item shape, ``(C, H, W)`` for maps, ``(C, D, H, W)`` for volumes or
    ``(F,)`` for vectors) is supplied by the engine at construction. ``summary_dim`` is ``D``.
    ``spatial_dims`` declares the maps it takes: ``(2,)`` by default, ``(2, 3)`` for an encoder
    that also takes volumes; maps of other dimensions are refused at construction.
    """

    kind: ClassVar[str] = "encoder"
    Params: ClassVar[type[EncoderParams]] = EncoderParams
    context_keys: ClassVar[tuple[str, ...]] = ("input_shape",)
    params: EncoderParams

    def __init__(self, params: EncoderParams | None = None, *, input_shape: tuple[int, ...]):
        if not issubclass(type(self).Params, EncoderParams):
            raise TypeError(
                f"encoder {type(self).__name__}: its Params must derive from "
                "cosmossl.EncoderParams (it holds summary_dim and symmetrize)"
            )
        nn.Module.__init__(self)
        MapComponent.__init__(self, params)
        self.input_shape = tuple(int(n) for n in input_shape)
        shape = self.input_shape
        self.check_dimensions(shape, f"encoder {type(self).__name__}")
        group = self.params.symmetrize
        if group != "none" and len(set(shape[1:])) != 1:
            what = "square maps (C, n, n)" if group == "d4" else "cubic volumes (C, n, n, n)"
            raise ConfigError(
                f"encoder: symmetrize = '{group}' needs {what}, got input shape {shape}; use "
                "symmetrize = 'none'"
            )

    @classmethod
    def dimension_problem(cls, params: Params | None, spatial_dims: int) -> str | None:
        """The class's own declaration, then ``symmetrize``: D4 acts on 2D maps, the cube's
        group on 3D volumes."""
        problem = super().dimension_problem(params, spatial_dims)
        group = getattr(params, "symmetrize", "none")
        if problem is not None or group == "none" or spatial_dims == 0:
            return problem
        order, dims = SYMMETRIZE_GROUPS[group]
        if dims == spatial_dims:
            return None
        instead = {2: "'d4'", 3: "'cube' (or 'cube-rotations')"}.get(spatial_dims)
        hint = f"use symmetrize = {instead} or 'none'" if instead else "use symmetrize = 'none'"
        return (
            f"with symmetrize = '{group}' averages over the {order} symmetries of "
            f"{'a square map' if dims == 2 else 'a cubic volume'}, which do not act on "
            f"{dimension_name(spatial_dims)}; {hint}"
        )

    @property
    def summary_dim(self) -> int:
        return self.params.summary_dim

    def summarize(self, maps: torch.Tensor) -> torch.Tensor:
        """The summaries ``[B, D]`` of maps ``[B, C, H, W]`` (volumes ``[B, C, D, H, W]``): the
        output of :meth:`forward`, averaged over D4 with ``symmetrize = "d4"``, over the cube's
        group with ``"cube"`` (``"cube-rotations"``: its rotations). Compression and the Fisher
        check call this; training calls the encoder itself."""
        group = self.params.symmetrize
        if group == "d4":
            return d4_average(self, maps)
        if group == "cube":
            return cube_average(self, maps)
        if group == "cube-rotations":
            return cube_average(self, maps, CUBE_ROTATIONS)
        return self(maps)

"""What every component shares: its kind, its parameter model, its construction context."""

from __future__ import annotations

from typing import Any, ClassVar

from cosmossl.components.meta import dimension_name
from cosmossl.components.params import Params
from cosmossl.errors import ConfigError


class Component:
    """Base of all components.

    A component class declares its parameters as a nested ``Params`` model (a subclass of
    :class:`cosmossl.Params`) and receives a validated instance as ``params``. Values the engine
    supplies at construction (``context_keys``, e.g. an encoder's ``input_shape``) are keyword-only
    arguments of ``__init__``.
    """

    kind: ClassVar[str]
    Params: ClassVar[type[Params]] = Params
    context_keys: ClassVar[tuple[str, ...]] = ()
    params: Any

    def __init__(self, params: Params | None = None) -> None:
        self.params = self.Params() if params is None else params
        if not isinstance(self.params, self.Params):
            raise TypeError(
                f"{type(self).__name__} expects {self.Params.__qualname__}, "
                f"got {type(self.params).__name__}"
            )


class MapComponent(Component):
    """Base of the components that take maps: augmentations, encoders, statistics.

    A component declares the spatial dimensions of the maps it works on in ``spatial_dims``:
    ``(2,)`` for 2D maps ``[B, C, H, W]`` (the default, what every component was written for
    before volumes), ``(2, 3)`` when it also takes 3D volumes ``[B, C, D, H, W]``. Vector
    inputs ``[B, F]`` are not maps and are not checked against it. ``dimension_hint`` says what
    to use instead, for the message that refuses other maps.
    """

    spatial_dims: ClassVar[tuple[int, ...]] = (2,)
    dimension_hint: ClassVar[str] = ""

    @classmethod
    def dimension_problem(cls, params: Params | None, spatial_dims: int) -> str | None:
        """Why this component (with ``params``) cannot take maps of ``spatial_dims`` spatial
        dimensions, as the end of a sentence naming it; ``None`` when it can."""
        if spatial_dims == 0 or spatial_dims in cls.spatial_dims:
            return None
        supported = " and ".join(dimension_name(d) for d in sorted(cls.spatial_dims))
        hint = f"; {cls.dimension_hint}" if cls.dimension_hint else ""
        return f"works on {supported} only, not {dimension_name(spatial_dims)}{hint}"

    def check_dimensions(self, shape: tuple[int, ...], what: str) -> None:
        """Raise :class:`~cosmossl.ConfigError` when maps of per-map ``shape`` (channels first)
        are not for this component; ``what`` names it (``"encoder 'timm'"``)."""
        spatial = max(0, len(shape) - 1)
        problem = self.dimension_problem(self.params, spatial)
        if problem is not None:
            raise ConfigError(f"{what} {problem} (maps of shape {tuple(shape)})")

"""What every component shares: its kind, its parameter model, its construction context."""

from __future__ import annotations

from typing import Any, ClassVar

from cosmossl.components.params import Params


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

"""Base class of ``dataset`` components."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from cosmossl.components.base import Component

if TYPE_CHECKING:
    from cosmossl.data.mapset import MapSet


class Dataset(Component, ABC):
    """A source of maps with parameters: a simulator, or a loader of files.

    :meth:`load` returns a :class:`cosmossl.data.mapset.MapSet` (maps, parameters, group ids,
    split by cosmology, metadata). Maps may stay on disk; the map set reads rows on demand.
    """

    kind: ClassVar[str] = "dataset"

    @abstractmethod
    def load(self, *, seed: int, progress: bool = False) -> MapSet:
        """The map set; ``seed`` is the run seed (simulators and random splits derive from it)."""

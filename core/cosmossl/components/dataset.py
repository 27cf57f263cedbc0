"""Base class of ``dataset`` components."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from cosmossl.components.base import Component

if TYPE_CHECKING:
    from cosmossl.components.meta import MapMeta
    from cosmossl.data.mapset import MapSet


class Dataset(Component, ABC):
    """A source of maps with parameters: a simulator, or a loader of files.

    :meth:`load` returns a :class:`cosmossl.data.mapset.MapSet` (maps, parameters, group ids,
    split by cosmology, metadata). Maps may stay on disk; the map set reads rows on demand.

    A dataset that reads files declares them in :meth:`files`: the stage cache fingerprints
    them, so replacing a file reruns every stage that used it.
    """

    kind: ClassVar[str] = "dataset"

    @abstractmethod
    def load(self, *, seed: int, progress: bool = False) -> MapSet:
        """The map set; ``seed`` is the run seed (simulators and random splits derive from it)."""

    def files(self) -> Sequence[Path]:
        """Every file :meth:`load` reads (maps, parameter tables, group ids...); none for a
        simulator. Called before :meth:`load`, so it must not read them: resolve the paths
        only. A file that does not exist may be listed (:meth:`load` reports it)."""
        return ()


@runtime_checkable
class Simulator(Protocol):
    """A dataset that can also simulate maps on demand and knows its information limit.

    The main job uses it for the Fisher check of learned summaries: seed-matched simulations at
    θ ± δθ around ``fiducial`` give the summaries' Fisher matrix, compared with
    ``fisher_limit()``, the analytic limit of the field. These members are all the engine reads,
    with one optional method: ``describe() -> dict[str, str]``, what is simulated in words (e.g.
    ``{"linear P(k)": "Eisenstein & Hu (1998) with baryon acoustic oscillations"}``), which
    ``cosmossl fisher`` prints and ``fisher.json`` keeps.
    """

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the P parameters, in the order of ``theta`` and of the Fisher matrix."""

    @property
    def meta(self) -> MapMeta:
        """Geometry of the simulated maps (what statistics and encoders are built for)."""

    @property
    def fiducial(self) -> np.ndarray:
        """The fiducial parameters ``[P]`` of the Fisher analysis."""

    def simulate(self, theta: np.ndarray, seeds: Sequence[int], nuisance: Any = None) -> np.ndarray:
        """Maps ``[B, C, H, W]`` at parameters ``theta`` ``[B, P]``, one noise seed per map."""

    def fisher_limit(self, theta_fiducial: np.ndarray | None = None) -> np.ndarray:
        """The analytic Fisher matrix ``[P, P]`` of the field at ``theta_fiducial``."""


@runtime_checkable
class NuisanceSimulator(Simulator, Protocol):
    """A simulator whose nuisance parameters (e.g. baryonic feedback) can be set.

    Derivatives in the nuisance parameters are what the marginalised Fisher matrix and nuisance
    hardening need (:mod:`cosmossl.information.hardening`): :meth:`simulate` takes their values
    as ``nuisance`` ``[B, Q]``, in the order of ``nuisance_names``.
    """

    @property
    def nuisance_names(self) -> tuple[str, ...]:
        """Names of the Q nuisance parameters (empty when there are none)."""

    @property
    def nuisance_fiducial(self) -> np.ndarray:
        """Their fiducial values ``[Q]``: where :meth:`simulate` holds them by default."""


@runtime_checkable
class TrainingSimulator(Simulator, Protocol):
    """A simulator cheap enough to make training maps afresh at every step.

    With ``[train] fresh = "auto"`` (the default) a dataset that implements this protocol and
    sets ``fresh_by_default`` trains on new realisations of its training cosmologies at every
    step, so the encoder never sees the same map twice; validation and test keep the stored maps.
    """

    #: Whether ``fresh = "auto"`` trains on fresh realisations (cheap simulators say ``True``).
    fresh_by_default: bool

    def simulate_tensor(
        self,
        theta: np.ndarray,
        seeds: Sequence[int],
        nuisance: np.ndarray | None = None,
        *,
        device: Any = "cpu",
    ) -> Any:
        """Maps ``[B, C, H, W]`` float32 as a tensor on ``device``; the same values as
        :meth:`simulate` (one noise seed per map; ``nuisance`` ``[B, Q]`` or None)."""

    def draw_nuisance(self, seeds: Sequence[int]) -> np.ndarray:
        """Nuisance parameters ``[B, Q]`` drawn from their prior, one draw per seed (``Q = 0``
        when the simulator has no nuisance)."""

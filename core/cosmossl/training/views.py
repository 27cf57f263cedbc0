"""Simulation-based augmentation: drawing k views of each group of maps.

Two maps form a positive pair when they share what the summary should capture: the same
simulation (``"same-simulation"``: different slices or realisations of one simulation), the
same cosmology (``"same-cosmology"``: maps that may differ in seed and nuisance physics such as
baryonic feedback; ``"across-simulations"``: always from two simulations) or the same cosmology
and seed (``"paired"``: paired simulations, which differ only in their nuisance draw).
:class:`ViewSampler` draws batches of groups and k distinct maps of each; :func:`make_views`
reads those maps and applies the augmentation pipeline to every view independently. The
training loop uses both; see ``docs/concepts.md``.

Every batch is a pure function of ``(seed, stream, epoch, step)``, never of earlier draws, so a
run resumed mid-epoch sees exactly the batches of an uninterrupted one without replaying them.
``batch_size`` is the GLOBAL number of groups per step: every process draws the same global
batch and keeps its own contiguous share, so W processes together see what one process sees.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import numpy as np
import torch

from cosmossl.data.mapset import MapSet
from cosmossl.data.splits import Split
from cosmossl.errors import ConfigError, DataError

SmallGroups = Literal["replace", "skip", "error"]
#: Pairing levels whose views must come from different simulations: cosmologies seen across
#: simulations, and paired simulations (one seed, other nuisance draws).
ACROSS_SIMULATIONS = ("across-simulations", "paired")


class ViewSampler:
    """Batches of ``[batch_size / world_size, views]`` map indices, step by step.

    Each epoch is ``steps_per_epoch`` batches of ``batch_size`` groups, taken from a random
    permutation of the groups (several permutations back to back when the epoch asks for more
    groups than there are), so every group appears once per epoch by default. Each row holds
    ``views`` distinct maps of one group.

    Args:
        group_ids: ``[N]`` group id of every map of the map set (``MapSet.group_ids(level)``).
        indices: the map indices of one split (``MapSet.indices("train")``); only these are drawn.
        views: V, the number of views per group (≥ 1).
        batch_size: B, groups per step over ALL processes (the global batch); each process gets
            ``B / world_size`` consecutive rows of it, so B must be a multiple of world_size.
        seed: with ``stream``, the epoch and the step, fixes the group order and the views drawn.
        steps_per_epoch: batches per epoch; default: groups // batch_size (each group once).
        stream: separates independent batch streams of one seed (the training loop uses
            the split's code, :class:`~cosmossl.data.splits.Split`: 0 for training, 1 for
            validation).
        rank, world_size: this process and the number of processes; default: those of the
            initialised ``torch.distributed`` process group (0 and 1 without one).
        small_groups: what to do with a group that has fewer than V maps: ``"replace"`` uses
            each of its maps once, then repeats maps to fill the V views (with a warning);
            ``"skip"`` leaves such groups out (with a warning); ``"error"`` raises DataError.
        split: the split's name, used in messages only.

    Example::

        sampler = ViewSampler.from_mapset(mapset, "train", "same-cosmology", views=2,
                                          batch_size=64, seed=0)
        sampler.set_epoch(0)
        for rows in sampler:            # [64, 2] map indices
            ...
        rows = sampler.batch(epoch=3, step=7)   # any step directly (resume)
    """

    def __init__(
        self,
        group_ids: np.ndarray,
        indices: np.ndarray,
        views: int,
        batch_size: int,
        *,
        seed: int = 0,
        steps_per_epoch: int | None = None,
        stream: int = 0,
        rank: int | None = None,
        world_size: int | None = None,
        small_groups: SmallGroups = "replace",
        split: str = "train",
        view_groups: np.ndarray | None = None,
    ) -> None:
        if rank is None or world_size is None:
            from cosmossl.nn import distributed

            rank = distributed.rank() if rank is None else rank
            world_size = distributed.world_size() if world_size is None else world_size
        if views < 1 or batch_size < 1:
            raise ConfigError(f"views ({views}) and batch_size ({batch_size}) must be ≥ 1")
        if not 0 <= rank < world_size:
            raise ConfigError(f"rank {rank} is outside 0..{world_size - 1}")
        if small_groups not in ("replace", "skip", "error"):
            raise ConfigError(
                f"small_groups must be 'replace', 'skip' or 'error', got {small_groups!r}"
            )
        if batch_size % world_size:
            raise ConfigError(
                f"batch_size = {batch_size} groups cannot be shared by {world_size} processes: "
                f"use a multiple of {world_size}."
            )
        self.views, self.batch_size = int(views), int(batch_size)
        self.seed, self.stream = int(seed), int(stream)
        self.rank, self.world_size = int(rank), int(world_size)
        self.split = split
        self.epoch = 0
        self.group_ids, self.members = group_members(group_ids, indices)
        self.view_groups = None if view_groups is None else np.asarray(view_groups)
        self._handle_small_groups(small_groups)
        if not self.members:
            raise DataError(f"view sampler: the {split} split has no maps")
        if self.n_groups < batch_size:
            raise ConfigError(
                f"batch_size = {batch_size} groups but the {split} split has only "
                f"{self.n_groups} groups: lower batch_size (train.batch_size in a run file) to "
                f"at most {self.n_groups}."
            )
        if steps_per_epoch is not None and steps_per_epoch < 1:
            raise ConfigError(f"steps_per_epoch must be ≥ 1, got {steps_per_epoch}")
        self.steps_per_epoch = int(steps_per_epoch or self.n_groups // batch_size)
        self._order_cache: tuple[int, np.ndarray] | None = None

    @classmethod
    def from_mapset(
        cls, mapset: MapSet, split: str, level: str, views: int, batch_size: int, **kwargs
    ) -> ViewSampler:
        """The sampler of one split of ``mapset`` grouped at ``level``; ``stream`` defaults to
        the split's code (:class:`~cosmossl.data.splits.Split`). Other arguments as for the
        constructor."""
        kwargs.setdefault("stream", int(Split.parse(split)))
        if level in ACROSS_SIMULATIONS:
            kwargs.setdefault("view_groups", mapset.simulation_id)
        return cls(
            mapset.group_ids(level), mapset.indices(split), views, batch_size, split=split, **kwargs
        )

    @property
    def n_groups(self) -> int:
        return len(self.members)

    def _distinct(self, members: np.ndarray) -> int:
        """How many different views a group can give (maps, or simulations across which)."""
        if self.view_groups is None:
            return len(members)
        return len(np.unique(self.view_groups[members]))

    def _handle_small_groups(self, policy: SmallGroups) -> None:
        small = [i for i, m in enumerate(self.members) if self._distinct(m) < self.views]
        if not small:
            return
        examples = ", ".join(str(self.group_ids[i]) for i in small[:5])
        unit = "maps" if self.view_groups is None else "simulations"
        what = (
            f"view sampler ({self.split} split): {len(small)} of {len(self.members)} groups have "
            f"fewer than {self.views} {unit} (e.g. group {examples})"
        )
        if policy == "error":
            raise DataError(
                f"{what}; lower views, or set small_groups = 'replace' (repeat maps within a "
                "group) or 'skip'"
            )
        if policy == "skip":
            keep = np.setdiff1d(np.arange(len(self.members)), small)
            warnings.warn(f"{what}; skipping them", stacklevel=3)
            self.group_ids = self.group_ids[keep]
            self.members = [self.members[i] for i in keep]
        else:
            warnings.warn(
                f"{what}; their views are drawn with replacement, so a pair may be the same map "
                "(differing only by augmentation)",
                stacklevel=3,
            )

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch that iterating over the sampler draws."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.steps_per_epoch

    def __iter__(self) -> Iterator[np.ndarray]:
        """This process's batches of the current epoch (:meth:`set_epoch`), step 0 onwards."""
        epoch = self.epoch
        return (self.batch(epoch, step) for step in range(self.steps_per_epoch))

    def batch(self, epoch: int, step: int) -> np.ndarray:
        """Map indices ``[batch_size / world_size, views]`` of this process at ``(epoch, step)``."""
        if not 0 <= step < self.steps_per_epoch:
            raise ValueError(f"step {step} is outside 0..{self.steps_per_epoch - 1}")
        order = self._order(epoch)
        chosen = order[step * self.batch_size : (step + 1) * self.batch_size]
        # Views come from a generator keyed by the step, so batch k never depends on batch k-1;
        # every process draws the whole global batch (cheap: indices only) and keeps its share.
        rng = np.random.default_rng([self.seed, self.stream, epoch, step])
        rows = np.stack([self._draw(self.members[g], rng) for g in chosen])
        share = self.batch_size // self.world_size
        return rows[self.rank * share : (self.rank + 1) * share]

    def _order(self, epoch: int) -> np.ndarray:
        """The epoch's group order: enough permutations to fill ``steps_per_epoch`` batches."""
        if self._order_cache is not None and self._order_cache[0] == epoch:
            return self._order_cache[1]
        # Keyed on the epoch only (not on the rank), so every process agrees on the global batch.
        rng = np.random.default_rng([self.seed, self.stream, epoch])
        repeats = -(-self.batch_size * self.steps_per_epoch // self.n_groups)
        order = np.concatenate([rng.permutation(self.n_groups) for _ in range(repeats)])
        self._order_cache = (epoch, order)
        return order

    def _draw(self, members: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.view_groups is not None:
            subgroups = self.view_groups[members]
            distinct = np.unique(subgroups)
            if len(distinct) >= self.views:
                # One map from each of `views` different simulations: positives never share one.
                chosen = rng.choice(distinct, size=self.views, replace=False)
                return np.array([rng.choice(members[subgroups == sub]) for sub in chosen])
        if len(members) >= self.views:
            return rng.choice(members, size=self.views, replace=False)
        # Too few maps ("replace"): use each map once before any repeats, in random positions.
        return rng.permutation(np.resize(rng.permutation(members), self.views))


def group_members(group_ids: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, list]:
    """Sorted unique group ids of ``indices`` and, per group, its sorted map indices."""
    indices = np.sort(np.asarray(indices).astype(np.int64))
    ids = np.asarray(group_ids)[indices]
    order = np.argsort(ids, kind="stable")
    unique, starts = np.unique(ids[order], return_index=True)
    members = np.split(indices[order], starts[1:]) if len(unique) else []
    return unique, members


def make_views(
    mapset: MapSet,
    batch_indices: np.ndarray,
    augmentations: Sequence[Callable[[torch.Tensor, torch.Generator], torch.Tensor]],
    generator: torch.Generator,
    device: torch.device | str = "cpu",
    *,
    standardize: Callable[[torch.Tensor], torch.Tensor] | None = None,
    maps: np.ndarray | torch.Tensor | None = None,
) -> torch.Tensor:
    """Read the maps of ``batch_indices`` ``[B, V]`` and augment each view independently.

    Maps are read once (or taken from ``maps``, the already read ``[B·V, C, H, W]`` array of
    ``batch_indices.reshape(-1)``, e.g. read ahead in a background thread, or a tensor of freshly
    simulated maps, :mod:`cosmossl.training.fresh`), moved to ``device``
    and passed through each augmentation in order: every map of every view draws its own random
    transform from ``generator``, which must live on ``device``, so one call over all B·V maps
    treats the views independently. ``standardize`` (e.g. the run's
    :class:`~cosmossl.data.standardize.Standardizer`) is applied AFTER the augmentations on purpose:
    noise levels, beams and masks are specified in the units of the data, so they must act on
    the maps as stored, before the network's input scaling.

    Returns:
        ``[B, V, C, H, W]`` float32 views on ``device``.
    """
    batch_indices = np.asarray(batch_indices)
    if batch_indices.ndim != 2:
        raise ValueError(f"batch_indices must be [B, V], got shape {batch_indices.shape}")
    if maps is None:
        maps = mapset.read(batch_indices.reshape(-1))
    x = torch.as_tensor(maps).to(device, non_blocking=True)
    for augmentation in augmentations:
        x = augmentation(x, generator)
    if standardize is not None:
        x = standardize(x)
    return x.reshape(*batch_indices.shape, *x.shape[1:])

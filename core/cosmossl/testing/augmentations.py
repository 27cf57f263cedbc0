"""``check_augmentation``: batched, on the maps' device, reproducible from the generator."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import get_args

import torch

from cosmossl.components.augmentation import Augmentation, Role
from cosmossl.components.meta import MapMeta
from cosmossl.testing.inputs import (
    devices,
    factory_name,
    fail,
    first_difference,
    generator,
    global_rngs_scrambled,
    keeps_global_rngs,
    name_of,
    non_finite,
    random_maps,
    run,
    sample_meta,
)


@keeps_global_rngs
def check_augmentation(
    augmentation: Augmentation | Callable[..., Augmentation],
    *,
    meta: MapMeta | None = None,
    batch: int = 8,
    random: bool = True,
    on: Sequence[str] | None = None,
    seed: int = 0,
) -> torch.Tensor:
    """Check an augmentation; returns its output on the check's CPU batch.

    ``augmentation`` is a built component (``cosmossl.create("augmentation", NAME,
    meta=meta)``) or a factory called as ``factory(meta=meta)``; ``meta`` (default
    :func:`sample_meta`: ``(1, 32, 32)`` maps of a 100 Mpc/h box holding δ) sets the maps'
    shape. On ``batch`` random float32 maps, on every device of ``on`` (the CPU, and CUDA when
    it is there), it checks that the augmentation:

    - declares ``role`` as ``"symmetry"`` or ``"systematic"``;
    - returns a tensor of the same shape, dtype and device, finite, for a batch and for one map,
      and leaves its input unchanged;
    - draws every random number from ``generator``: the same generator state gives the same
      output, whatever the state of torch's, numpy's and Python's global generators;
    - with ``random`` (the default; pass ``random=False`` for a deterministic transform): another
      generator state gives another output, and the maps of one batch get their own draws.
    """
    __tracebackhide__ = True
    meta = meta or sample_meta()
    if not isinstance(augmentation, Augmentation):
        augmentation = run(factory_name(augmentation), "building it", augmentation, meta=meta)
    what = name_of(augmentation)
    if not isinstance(augmentation, Augmentation):
        fail(what, "is not a cosmossl.Augmentation")
    role = getattr(type(augmentation), "role", None)
    if role not in get_args(Role):
        fail(
            what,
            f"role is {role!r}: set the class attribute role = 'symmetry' (the data is "
            "invariant under it) or role = 'systematic' (a nuisance effect to become "
            "insensitive to)",
        )
    first = None
    for device in on or devices():
        out = _check_on(what, augmentation, meta, batch, random, device, seed)
        first = out if first is None else first
    return first


def _check_on(
    what: str,
    augmentation: Augmentation,
    meta: MapMeta,
    batch: int,
    random: bool,
    device: str,
    seed: int,
) -> torch.Tensor:
    __tracebackhide__ = True
    maps = random_maps(batch, tuple(meta.shape), seed).to(device)
    kept = maps.clone()

    def apply(x: torch.Tensor, draw: int) -> torch.Tensor:
        out = run(
            what, f"on maps {list(x.shape)} ({device})", augmentation, x, generator(draw, device)
        )
        if not isinstance(out, torch.Tensor):
            fail(what, f"returned {type(out).__name__}, not a tensor")
        return out

    out = apply(maps, seed + 1)
    if not torch.equal(maps, kept):
        fail(what, "changed its input maps in place: return a new tensor (maps.clone() first)")
    for label, got, want in (
        ("shape", tuple(out.shape), tuple(maps.shape)),
        ("dtype", out.dtype, maps.dtype),
        ("device", out.device, maps.device),
    ):
        if got != want:
            fail(what, f"returned {label} {got} for maps of {label} {want} ({device})")
    problem = non_finite(out)
    if problem:
        fail(what, f"output on {device}: {problem}")
    one = apply(maps[:1], seed + 1)
    if tuple(one.shape) != tuple(maps[:1].shape):
        fail(what, f"returned shape {tuple(one.shape)} for a batch of one map")
    with global_rngs_scrambled(seed + 100):
        again = apply(maps, seed + 1)
    if not torch.equal(again, out):
        fail(
            what,
            f"the same generator state gave another output on {device} "
            f"({first_difference(again, out)}): draw every random number from `generator` "
            "(torch.rand(..., generator=generator, device=maps.device)), never from torch's, "
            "numpy's or Python's global generators",
        )
    if random:
        _check_random(what, apply, maps, out, seed, device)
    return out


def _check_random(
    what: str,
    apply: Callable[[torch.Tensor, int], torch.Tensor],
    maps: torch.Tensor,
    out: torch.Tensor,
    seed: int,
    device: str,
) -> None:
    __tracebackhide__ = True
    if all(torch.equal(apply(maps, seed + k), out) for k in range(2, 6)):
        fail(
            what,
            f"other generator states gave the same output on {device}: it ignores "
            "`generator` (pass random=False if it is deterministic on purpose)",
        )
    same = maps[:1].expand_as(maps).contiguous()
    transformed = apply(same, seed + 3)
    if all(torch.equal(transformed[i], transformed[0]) for i in range(1, len(transformed))):
        fail(
            what,
            f"every map of a batch got the same transform on {device}: each map must draw "
            "its own (e.g. torch.rand(maps.shape[0], generator=generator, ...))",
        )

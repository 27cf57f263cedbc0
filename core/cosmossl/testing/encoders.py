"""``check_encoder`` and ``check_statistic``: maps ``[B, C, H, W]`` (volumes ``[B, C, D, H, W]``)
→ summaries ``[B, D]``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from cosmossl.components.encoder import Encoder, EncoderParams
from cosmossl.components.statistic import Statistic
from cosmossl.testing.inputs import (
    factory_name,
    fail,
    first_difference,
    keeps_global_rngs,
    name_of,
    non_finite,
    random_maps,
    run,
    shape_of,
)

#: Map shapes an encoder is built for by default: "any map size", and more than one channel.
INPUT_SHAPES: tuple[tuple[int, ...], ...] = ((1, 16, 16), (1, 32, 32), (2, 24, 24))
#: Volume shapes for an encoder that takes 3D volumes (``spatial_dims`` with 3):
#: ``check_encoder(factory, input_shapes=VOLUME_SHAPES)``.
VOLUME_SHAPES: tuple[tuple[int, ...], ...] = ((1, 8, 8, 8), (2, 12, 12, 12))


@keeps_global_rngs
def check_encoder(
    encoder_factory: Callable[..., Encoder],
    *,
    input_shapes: Sequence[tuple[int, ...]] = INPUT_SHAPES,
    batch: int = 4,
    seed: int = 0,
) -> Encoder:
    """Check an encoder for every shape of ``input_shapes``; returns the last one built.

    ``encoder_factory(input_shape=...)`` builds it, as the engine does: the class, or
    ``functools.partial(cosmossl.create, "encoder", NAME, summary_dim=8)``. For each shape it
    checks that the encoder:

    - is a :class:`cosmossl.Encoder` whose parameters derive from ``cosmossl.EncoderParams``;
    - maps ``[batch, *shape]`` float32 to finite float32 summaries ``[batch, D]``, D its
      ``summary_dim``, in training and in evaluation mode, and one map to ``[1, D]``;
    - gives every trainable parameter a finite gradient (DDP stops on unused parameters);
    - in evaluation mode: is deterministic, gives each map the summary it gets alone (maps are
      compressed in batches of any size), and gives different maps different summaries.
    """
    __tracebackhide__ = True
    encoder = None
    for shape in input_shapes:
        encoder = _check_shape(encoder_factory, tuple(shape), batch, seed)
    return encoder


def _check_shape(
    factory: Callable[..., Encoder], shape: tuple[int, ...], batch: int, seed: int
) -> Encoder:
    __tracebackhide__ = True
    torch.manual_seed(seed)
    what = f"{factory_name(factory)} (input_shape={shape})"
    encoder = run(what, "building it", factory, input_shape=shape)
    what = f"{name_of(encoder)} (input_shape={shape})"
    if not isinstance(encoder, Encoder):
        fail(what, "is not a cosmossl.Encoder")
    if not issubclass(encoder.Params, EncoderParams):
        fail(what, "its Params must derive from cosmossl.EncoderParams (it holds summary_dim)")
    dim = encoder.summary_dim
    maps = random_maps(batch, shape, seed + 1)
    encoder.train()
    out = _summaries(what, encoder, maps, dim)
    run(what, "backward from the summaries", out.pow(2).mean().backward)
    for name, p in encoder.named_parameters():
        if not p.requires_grad:
            continue
        if p.grad is None:
            fail(
                what,
                f"parameter '{name}' got no gradient: DDP stops on unused parameters; use it, "
                "or freeze it with requires_grad_(False)",
            )
        problem = non_finite(p.grad)
        if problem:
            fail(what, f"the gradient of '{name}' is not finite: {problem}")
    encoder.eval()
    with torch.no_grad():
        first = _summaries(what, encoder, maps, dim)
        again = _summaries(what, encoder, maps, dim)
        alone = _summaries(what, encoder, maps[:1], dim)
    if not torch.equal(first, again):
        fail(
            what,
            f"in eval mode, the same maps gave other summaries ({first_difference(first, again)})",
        )
    if not torch.allclose(alone[0], first[0], rtol=1e-4, atol=1e-5):
        fail(
            what,
            "in eval mode, a map's summary depends on the other maps of its batch "
            f"({first_difference(alone[0], first[0])}): compression runs in batches of any "
            "size; use batch statistics only in training mode",
        )
    if torch.allclose(first[0], first[1]):
        fail(what, "gives two different maps the same summary: the summary ignores its input")
    return encoder


def _summaries(what: str, summary: Callable, maps: torch.Tensor, dim: int | None) -> torch.Tensor:
    """``summary(maps)``, checked: finite float32 ``[len(maps), dim]`` (any width for ``None``)."""
    __tracebackhide__ = True
    out = run(what, f"on maps {list(maps.shape)}", summary, maps)
    rows = len(maps)
    if (
        not isinstance(out, torch.Tensor)
        or out.ndim != 2
        or out.shape[0] != rows
        or (dim is not None and out.shape[1] != dim)
    ):
        expected = f"[{rows}, {'F' if dim is None else dim}]"
        fail(what, f"maps {list(maps.shape)} gave {shape_of(out)}, expected {expected}")
    if out.dtype != torch.float32:
        fail(what, f"summaries must be float32 for float32 maps, got {out.dtype}")
    problem = non_finite(out)
    if problem:
        fail(what, f"summaries: {problem}")
    return out


@keeps_global_rngs
def check_statistic(statistic: Statistic, *, batch: int = 4, seed: int = 0) -> torch.Tensor:
    """Check a statistic built for its ``meta``; returns its summaries of the check's maps.

    On ``batch`` random float32 maps of ``statistic.meta.shape`` it checks float32, finite
    ``[batch, F]`` output, the same output again, each map's summary independent of its batch,
    and different maps with different summaries.
    """
    __tracebackhide__ = True
    what = name_of(statistic)
    if not isinstance(statistic, Statistic):
        fail(what, "is not a cosmossl.Statistic")
    maps = random_maps(batch, tuple(statistic.meta.shape), seed)
    out = _summaries(what, statistic, maps, None)
    if not torch.equal(statistic(maps), out):
        fail(what, "the same maps gave other summaries")
    if not torch.allclose(statistic(maps[1:2])[0], out[1], rtol=1e-4, atol=1e-6):
        fail(what, "a map's summary depends on the other maps of its batch")
    if torch.allclose(out[0], out[1]):
        fail(what, "gives two different maps the same summary")
    return out

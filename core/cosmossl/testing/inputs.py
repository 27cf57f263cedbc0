"""Small, fixed inputs for the contract checks, and how their failures are worded."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import numpy as np
import torch
from torch import nn

from cosmossl.components.meta import MapMeta

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def sample_meta(
    shape: tuple[int, ...] = (1, 32, 32),
    box_size: float | None = 100.0,
    content: str | None = "overdensity",
) -> MapMeta:
    """The map geometry the checks use by default: one channel of 32², a 100 Mpc/h box, δ."""
    return MapMeta(shape=shape, box_size=box_size, content=content)


def keeps_global_rngs(check: F) -> F:
    """Run ``check`` in a forked torch RNG state: the checks seed torch as the engine does,
    and leave the caller's random state as it was."""

    @functools.wraps(check)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        cuda = [torch.cuda.current_device()] if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=cuda):
            return check(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def fail(what: str, message: str) -> NoReturn:
    """Raise the check's :class:`AssertionError`: ``"<what>: <message>"``."""
    __tracebackhide__ = True
    raise AssertionError(f"{what}: {message}")


def run(what: str, action: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)``; an exception it raises fails the check, saying which
    ``action`` raised it (an :class:`AssertionError` of a nested check passes through)."""
    __tracebackhide__ = True
    try:
        return function(*args, **kwargs)
    except AssertionError:
        raise
    except Exception as exc:
        fail(what, f"{action} raised {type(exc).__name__}: {exc}")


def name_of(component: Any) -> str:
    """``"loss VICReg"``: the kind (when it has one) and class of a component, for messages."""
    kind = getattr(component, "kind", None)
    cls = component if isinstance(component, type) else type(component)
    return f"{kind} {cls.__name__}" if kind else cls.__name__


def factory_name(factory: Any) -> str:
    """``"loss vicreg"`` for ``partial(cosmossl.create, "loss", "vicreg")``, ``"loss MyLoss"``
    for a class, the factory's repr otherwise."""
    args = getattr(factory, "args", ())
    if getattr(getattr(factory, "func", None), "__name__", "") == "create" and len(args) >= 2:
        return f"{args[0]} {args[1]}"
    return name_of(factory) if isinstance(factory, type) else repr(factory)


def generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def random_maps(
    n: int, shape: tuple[int, ...], seed: int, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """``[n, *shape]`` standard-normal maps drawn from ``seed`` (on the CPU)."""
    return torch.randn(n, *shape, generator=generator(seed), dtype=dtype)


def small_encoder(input_shape: tuple[int, ...], summary_dim: int, seed: int) -> nn.Module:
    """A plain MLP ``[B, *input_shape] → [B, D]`` (no batch statistics), built from ``seed``."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(int(np.prod(input_shape)), 16),
        nn.Tanh(),
        nn.Linear(16, summary_dim),
    )


@contextmanager
def global_rngs_scrambled(seed: int) -> Iterator[None]:
    """Reseed torch's, numpy's and Python's global generators with ``seed`` (restored after):
    a component whose output changes with it draws from them instead of from what it was
    given."""
    import random

    python, numpy = random.getstate(), np.random.get_state()
    cuda = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        np.random.seed(seed)
        random.seed(seed)
        try:
            yield
        finally:
            random.setstate(python)
            np.random.set_state(numpy)


def first_difference(a: torch.Tensor, b: torch.Tensor) -> str:
    """Where two tensors of one shape differ most, for messages."""
    diff = (a.detach().double() - b.detach().double()).abs()
    if diff.numel() == 0:
        return "empty"
    index = np.unravel_index(int(diff.argmax()), tuple(diff.shape))
    return f"largest difference {float(diff.max()):.3g} at index {tuple(int(i) for i in index)}"


def shape_of(value: Any) -> tuple[int, ...] | str:
    """A tensor's shape, or the type name of something that is not a tensor (for messages)."""
    return tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__


def non_finite(x: torch.Tensor) -> str | None:
    """``None`` when ``x`` is all finite, else how many values are NaN or infinite."""
    bad = ~torch.isfinite(x.detach())
    if not bool(bad.any()):
        return None
    nan = int(torch.isnan(x.detach()).sum())
    return f"{int(bad.sum())} of {x.numel()} values are not finite ({nan} NaN)"


def devices() -> list[str]:
    """The devices the checks run on: the CPU, and CUDA when it is there."""
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]

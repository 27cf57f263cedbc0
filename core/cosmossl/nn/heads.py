"""Building blocks of the SSL losses: heads on top of the encoder (expanders, projectors,
predictors), encoding all views in one pass, and running the loss maths in full precision.

The summary kept after training is always the encoder output; heads exist only for the loss.
Batch norm inside a head can use the statistics of the local batch (``"local"``) or of the
global batch over all processes (``"sync"``). ``"sync"`` is what the official VICReg, Barlow Twins
and BYOL code do (SyncBatchNorm); here it is implemented with :func:`cosmossl.nn.distributed.
gather_with_grad`, so it also works on CPU with the gloo backend, and equals plain batch norm in
a single process.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

import torch
from torch import nn

from cosmossl.nn.distributed import gather_with_grad, is_distributed

BatchNormScope = Literal["sync", "local"]
F = TypeVar("F", bound=Callable)


class GlobalBatchNorm1d(nn.BatchNorm1d):
    """``BatchNorm1d`` whose training statistics are those of the batch gathered over processes.

    Gradients flow through the gathered statistics, so under DDP the result matches one process
    on the concatenated batch. Running statistics (used in eval mode) track the global batch.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and is_distributed()):
            return super().forward(x)
        full = gather_with_grad(x)
        mean = full.mean(dim=0)
        var = full.var(dim=0, unbiased=False)
        if self.track_running_stats:
            with torch.no_grad():
                n = full.shape[0]
                momentum = 0.1 if self.momentum is None else self.momentum
                self.running_mean.lerp_(mean.detach(), momentum)
                self.running_var.lerp_(var.detach() * n / max(n - 1, 1), momentum)
                self.num_batches_tracked.add_(1)
        out = (x - mean) / torch.sqrt(var + self.eps)
        if self.affine:
            out = out * self.weight + self.bias
        return out


def batch_norm_1d(dim: int, scope: BatchNormScope = "sync", affine: bool = True) -> nn.Module:
    """A 1D batch norm over ``dim`` features with statistics of the ``scope`` batch."""
    if scope == "sync":
        return GlobalBatchNorm1d(dim, affine=affine)
    if scope == "local":
        return nn.BatchNorm1d(dim, affine=affine)
    raise ValueError(f"batch-norm scope must be 'sync' or 'local', got {scope!r}")


def expander(
    in_dim: int, dims: Sequence[int] | None = None, *, batch_norm: BatchNormScope = "sync"
) -> nn.Sequential:
    """VICReg/Barlow Twins expander: (Linear–BN–ReLU) per hidden width, final Linear, no bias.

    ``dims`` lists the hidden widths followed by the output width, e.g. ``[64, 64, 64]`` for two
    hidden layers of 64 and a 64-d output; the default is ``[4·in_dim] * 3`` (two hidden layers
    of 4·D, as the reference paper).
    """
    if dims is None:
        dims = [4 * in_dim] * 3
    if not dims:
        raise ValueError("an expander needs at least its output width in 'dims'")
    layers: list[nn.Module] = []
    width = in_dim
    for hidden in dims[:-1]:
        layers += [nn.Linear(width, hidden), batch_norm_1d(hidden, batch_norm), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, dims[-1], bias=False))
    return nn.Sequential(*layers)


def regression_head(in_dim: int, hidden_dims: Sequence[int], out_dim: int) -> nn.Sequential:
    """A head from the summary to ``out_dim`` numbers: (Linear–ReLU) per hidden width, then a
    Linear layer (a linear head when ``hidden_dims`` is empty). No batch statistics, so its
    output for a map does not depend on the batch (and it is the same under DDP)."""
    layers: list[nn.Module] = []
    width = in_dim
    for hidden in hidden_dims:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


def byol_mlp(
    in_dim: int, hidden_dim: int, out_dim: int, *, batch_norm: BatchNormScope = "sync"
) -> nn.Sequential:
    """BYOL projector/predictor: Linear–BN–ReLU–Linear (Grill et al. 2020)."""
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim),
        batch_norm_1d(hidden_dim, batch_norm),
        nn.ReLU(),
        nn.Linear(hidden_dim, out_dim),
    )


def encode_views(encoder: nn.Module, views: torch.Tensor) -> torch.Tensor:
    """Encoder outputs of all views: ``views`` ``[B, V, C, H, W]`` → ``[V, B, D]``.

    All views go through the encoder in one call (view-major order), so batch-norm statistics are
    taken over all views together, as in SimCLR's code (the official VICReg code calls the
    backbone once per view). One forward pass per step is also what DDP expects.
    """
    if views.ndim < 3:
        raise ValueError(f"views must be [B, V, ...] with V ≥ 1, got shape {tuple(views.shape)}")
    batch, n_views = views.shape[:2]
    flat = views.transpose(0, 1).reshape(batch * n_views, *views.shape[2:])
    return encoder(flat).unflatten(0, (n_views, batch))


def encode_labelled_views(
    encoder: nn.Module, views: torch.Tensor, theta: torch.Tensor | None, loss: str = "this loss"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Summaries ``[V·B, D]`` of every view (one encoder call) and the parameters of each,
    ``[V·B, P]``: for a supervised loss, every view of a group is a sample with its group's θ
    (``theta`` ``[B, P]``; ``None`` is an error naming ``loss``)."""
    if theta is None:
        raise ValueError(f"{loss} needs the parameters theta [B, P]")
    summaries = encode_views(encoder, views)  # [V, B, D]
    return summaries.flatten(0, 1), theta.repeat(summaries.shape[0], 1)


def average_over_pairs(
    loss: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, dict[str, torch.Tensor]]],
    z: Sequence[torch.Tensor],
    name: str = "this loss",
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """A two-view ``loss(z_a, z_b) -> (loss, terms)`` averaged over all pairs of the views ``z``.

    With k views this is the mean over the k(k − 1)/2 pairs (for k = 2 the two-view loss
    itself); ``name`` goes into the error for fewer than two views.
    """
    pairs = list(itertools.combinations(range(len(z)), 2))
    if not pairs:
        raise ValueError(f"{name} needs at least 2 views per group")
    results = [loss(z[i], z[j]) for i, j in pairs]
    total = sum(r[0] for r in results) / len(pairs)
    terms = {key: sum(r[1][key] for r in results) / len(pairs) for key in results[0][1]}
    return total, terms


def per_view(head: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply ``head`` to ``x`` ``[V, B, D]`` in one call → ``[V, B, D']``."""
    return head(x.flatten(0, 1)).unflatten(0, x.shape[:2])


def full_precision(fn: F) -> F:
    """Run a loss function with autocast off and half-precision tensor arguments cast to float32.

    Covariances, softmax over many negatives and batch statistics lose too much in bf16; float32
    and float64 inputs are left as they are. Tensor arguments may also come in lists.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = tuple(_upcast(a) for a in args)
        kwargs = {k: _upcast(v) for k, v in kwargs.items()}
        with torch.autocast(device_type=_device_type((*args, *kwargs.values())), enabled=False):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _upcast(x):
    if isinstance(x, torch.Tensor) and x.dtype in (torch.float16, torch.bfloat16):
        return x.float()
    if isinstance(x, list | tuple):
        return type(x)(_upcast(item) for item in x)
    return x


def _device_type(values: tuple) -> str:
    for value in values:
        for item in value if isinstance(value, list | tuple) else (value,):
            if isinstance(item, torch.Tensor):
                return item.device.type
    return "cpu"

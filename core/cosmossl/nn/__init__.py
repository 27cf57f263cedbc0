"""Toolkit for loss and encoder plugins: heads, collapse monitors, distributed gathers.

A public module: third-party plugins may import from it (``from cosmossl.nn import expander``).
Names resolve lazily (they import torch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._util.lazy import lazy_attributes

_LAZY: dict[str, str] = {
    # heads (expanders, projectors, predictors) and helpers for views
    "BatchNormScope": "cosmossl.nn.heads",
    "average_over_pairs": "cosmossl.nn.heads",
    "GlobalBatchNorm1d": "cosmossl.nn.heads",
    "batch_norm_1d": "cosmossl.nn.heads",
    "byol_mlp": "cosmossl.nn.heads",
    "encode_views": "cosmossl.nn.heads",
    "encode_labelled_views": "cosmossl.nn.heads",
    "expander": "cosmossl.nn.heads",
    "full_precision": "cosmossl.nn.heads",
    "per_view": "cosmossl.nn.heads",
    "regression_head": "cosmossl.nn.heads",
    # the Gaussian Fisher information of a summary (differentiable), finite-difference stencils
    "FisherTerms": "cosmossl.nn.fisher",
    "STENCILS": "cosmossl.nn.fisher",
    "gaussian_fisher": "cosmossl.nn.fisher",
    "stencil_derivatives": "cosmossl.nn.fisher",
    # symmetries of square periodic maps (D4) and cubic periodic volumes (O_h)
    "CUBE_ORDER": "cosmossl.nn.symmetry",
    "CUBE_ROTATIONS": "cosmossl.nn.symmetry",
    "D4_ORDER": "cosmossl.nn.symmetry",
    "cube_average": "cosmossl.nn.symmetry",
    "cube_element": "cosmossl.nn.symmetry",
    "cube_is_rotation": "cosmossl.nn.symmetry",
    "cube_transform": "cosmossl.nn.symmetry",
    "d4_average": "cosmossl.nn.symmetry",
    "d4_transform": "cosmossl.nn.symmetry",
    # collapse monitors
    "collapse_monitors": "cosmossl.nn.monitors",
    "embedding_std": "cosmossl.nn.monitors",
    "rankme": "cosmossl.nn.monitors",
    # distributed training (global-batch statistics with correct gradients)
    "all_reduce_mean": "cosmossl.nn.distributed",
    "gather_with_grad": "cosmossl.nn.distributed",
    "is_distributed": "cosmossl.nn.distributed",
    "is_main_process": "cosmossl.nn.distributed",
    "rank": "cosmossl.nn.distributed",
    "world_size": "cosmossl.nn.distributed",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

if TYPE_CHECKING:
    from cosmossl.nn.distributed import (
        all_reduce_mean,
        gather_with_grad,
        is_distributed,
        is_main_process,
        rank,
        world_size,
    )
    from cosmossl.nn.fisher import STENCILS, FisherTerms, gaussian_fisher, stencil_derivatives
    from cosmossl.nn.heads import (
        BatchNormScope,
        GlobalBatchNorm1d,
        average_over_pairs,
        batch_norm_1d,
        byol_mlp,
        encode_labelled_views,
        encode_views,
        expander,
        full_precision,
        per_view,
        regression_head,
    )
    from cosmossl.nn.monitors import collapse_monitors, embedding_std, rankme
    from cosmossl.nn.symmetry import (
        CUBE_ORDER,
        CUBE_ROTATIONS,
        D4_ORDER,
        cube_average,
        cube_element,
        cube_is_rotation,
        cube_transform,
        d4_average,
        d4_transform,
    )

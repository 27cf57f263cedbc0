"""Collapse monitors for self-supervised embeddings.

- :func:`embedding_std`: the standard deviation, across the batch, of the L2-normalised
  embeddings, averaged over dimensions (Chen & He 2021, SimSiam, arXiv:2011.10566). About
  ``1/sqrt(D)`` for healthy embeddings, → 0 under complete collapse.
- :func:`rankme`: RankMe, the effective rank ``exp(H(p))`` with ``p`` the normalised singular
  values of the embedding matrix (Garrido et al. 2023, arXiv:2210.02885). Between 1 and
  ``min(N, D)``; a low value signals dimensional collapse.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


@torch.no_grad()
def embedding_std(z: torch.Tensor) -> torch.Tensor:
    """Mean over dimensions of the batch std of ``z`` ``[N, D]`` after L2 normalisation per row."""
    z = F.normalize(z.detach().float(), dim=1)
    return z.std(dim=0).mean()


@torch.no_grad()
def rankme(z: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """RankMe of ``z`` ``[N, D]``: exp of the entropy of its normalised singular values."""
    singular = torch.linalg.svdvals(z.detach().float())
    p = singular / singular.sum() + eps
    return torch.exp(-(p * torch.log(p)).sum())


def collapse_monitors(z: torch.Tensor) -> dict[str, torch.Tensor]:
    """``{"embedding_std": ..., "rankme": ...}`` of embeddings ``z`` ``[N, D]`` (detached)."""
    return {"embedding_std": embedding_std(z), "rankme": rankme(z)}

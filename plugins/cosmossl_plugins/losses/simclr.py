"""SimCLR's NT-Xent (normalised temperature-scaled cross-entropy) contrastive loss.

Chen, Kornblith, Norouzi & Hinton (2020), "A Simple Framework for Contrastive Learning of Visual
Representations", ICML, arXiv:2002.05709.

Embeddings are L2-normalised and logits are cosine similarities divided by the temperature. Each
of the 2N local rows has one positive (the other view of its group) and 2·N·W − 2 negatives
(all other rows of both views, gathered over the W processes); self-similarity is masked out.
The loss is the **mean over the 2N rows** of the cross-entropy, as most PyTorch libraries report
it (Google's code reports the sum of the two directions, i.e. twice this). With k > 2 views the
loss is averaged over all pairs of views.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field, PositiveInt
from torch import nn

from cosmossl import Loss, LossOutput, Params
from cosmossl.nn import (
    average_over_pairs,
    encode_views,
    expander,
    full_precision,
    gather_with_grad,
    per_view,
    rank,
)


@full_precision
def nt_xent_loss(
    z_a: torch.Tensor, z_b: torch.Tensor, temperature: float = 0.1
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """NT-Xent of two views ``z_a``, ``z_b`` ``[N, D]`` (row i of each is a positive pair).

    Returns the loss and the terms ``nt_xent`` and ``positive_similarity`` (mean cosine of pairs).
    """
    n = z_a.shape[0]
    local = F.normalize(torch.cat([z_a, z_b]), dim=1)  # [2N, D]: view a rows, then view b rows
    keys_a = gather_with_grad(local[:n])
    keys_b = gather_with_grad(local[n:])
    keys = torch.cat([keys_a, keys_b])  # [2NW, D]: all view-a rows, then all view-b rows
    total = keys_a.shape[0]  # N·W
    logits = local @ keys.T / temperature
    offset = rank() * n
    rows = torch.arange(n, device=z_a.device)
    own = torch.cat([rows + offset, rows + offset + total])  # where each local row sits in keys
    positive = torch.cat([rows + offset + total, rows + offset])
    logits = logits.masked_fill(F.one_hot(own, num_classes=2 * total).bool(), float("-inf"))
    loss = F.cross_entropy(logits, positive)
    similarity = (local[:n] * local[n:]).sum(dim=1).mean()
    return loss, {"nt_xent": loss.detach(), "positive_similarity": similarity.detach()}


class SimCLR(Loss):
    """SimCLR with an MLP projector (Chen et al. 2020, arXiv:2002.05709)."""

    class Params(Params):
        temperature: float = Field(
            0.1, gt=0, description="Softmax temperature T (0.1: official and reference paper)."
        )
        projector_dims: list[PositiveInt] | None = Field(
            None,
            description="Projector widths: hidden layers then output (Linear–BN–ReLU blocks, "
            "last Linear without bias). Default [4D, 4D, 4D].",
        )
        batch_norm: Literal["sync", "local"] = Field(
            "sync", description="Batch-norm statistics in the projector: global ('sync') or local."
        )

    def __init__(self, params=None, *, summary_dim: int, param_dim: int | None = None) -> None:
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        p = self.params
        self.projector = expander(self.summary_dim, p.projector_dims, batch_norm=p.batch_norm)

    def forward(
        self, encoder: nn.Module, views: torch.Tensor, theta: torch.Tensor | None = None
    ) -> LossOutput:
        summaries = encode_views(encoder, views)
        z = list(per_view(self.projector, summaries))
        temperature = self.params.temperature
        loss, terms = average_over_pairs(lambda a, b: nt_xent_loss(a, b, temperature), z, "SimCLR")
        embeddings = summaries.flatten(0, 1).detach()
        return LossOutput(loss=loss, terms=terms, embeddings=embeddings)

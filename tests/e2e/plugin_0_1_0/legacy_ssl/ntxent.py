import torch
import torch.nn.functional as F
from pydantic import Field

import cosmossl
from cosmossl.distributed import gather_with_grad, rank
from cosmossl.heads import encode_views, expander, per_view


class NTXent(cosmossl.Loss):
    """NT-Xent (Chen et al. 2020, arXiv:2002.05709) with negatives from the global batch."""

    class Params(cosmossl.Params):
        temperature: float = Field(0.1, gt=0, description="Softmax temperature.")
        projector_dims: list[int] = Field([32, 16], description="Projector widths.")

    def __init__(self, params=None, *, summary_dim, param_dim=None):
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        self.projector = expander(summary_dim, self.params.projector_dims)

    def forward(self, encoder, views, theta=None):
        z = F.normalize(per_view(self.projector, encode_views(encoder, views)), dim=-1)
        a, b = z[:, 0], z[:, 1]
        every_b = gather_with_grad(b)
        logits = a @ every_b.T / self.params.temperature
        targets = torch.arange(len(a), device=a.device) + rank() * len(a)
        loss = F.cross_entropy(logits, targets)
        return cosmossl.LossOutput(loss, {"ntxent": loss.detach()}, embeddings=a.detach())

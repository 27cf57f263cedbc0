"""Components for the tests of the testing kit: a good one of each kind and broken variants,
each broken in the one way its name says."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import cosmossl
from cosmossl import Augmentation, Backend, Dataset, Encoder, Loss, LossOutput, MapMeta, MapSet
from cosmossl.inference import FitData, Posterior, SavedPosterior
from cosmossl.nn import encode_views, gather_with_grad

# ---- losses ----------------------------------------------------------------------------------


class GoodLoss(Loss):
    """Invariance plus a variance hinge over the global batch (gathered across processes)."""

    def __init__(self, params=None, *, summary_dim, param_dim=None):
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        self.projector = nn.Linear(summary_dim, 6)

    def project(self, encoder, views):
        summaries = encode_views(encoder, views)  # [V, B, D]
        return summaries, self.projector(summaries)

    def forward(self, encoder, views, theta=None):
        summaries, z = self.project(encoder, views)
        invariance = (z[0] - z[1]).pow(2).mean()
        every = gather_with_grad(z[0])
        variance = torch.relu(1 - every.std(dim=0)).mean() + every.mean(dim=0).pow(2).mean()
        loss = invariance + variance
        terms = {"invariance": invariance.detach(), "variance": variance.detach()}
        return LossOutput(loss, terms, summaries.flatten(0, 1).detach())


class LocalStatisticsLoss(GoodLoss):
    """The variance over this process's rows only: wrong under DDP."""

    def forward(self, encoder, views, theta=None):
        summaries, z = self.project(encoder, views)
        loss = (z[0] - z[1]).pow(2).mean() + torch.relu(1 - z[0].std(dim=0)).mean()
        return LossOutput(loss, {}, summaries.flatten(0, 1).detach())


class CastingLoss(GoodLoss):
    """Right under DDP, but computes in float32 whatever its inputs (``z.float()``)."""

    def project(self, encoder, views):
        summaries, z = super().project(encoder, views)
        return summaries, z.float()


class NaNGradientLoss(GoodLoss):
    """sqrt at zero: a finite loss whose gradient is NaN."""

    def forward(self, encoder, views, theta=None):
        out = super().forward(encoder, views, theta)
        z = encode_views(encoder, views)
        out.loss = out.loss + torch.sqrt((z - z.detach()) ** 2).sum()
        return out


class AttachedTermLoss(GoodLoss):
    def forward(self, encoder, views, theta=None):
        out = super().forward(encoder, views, theta)
        out.terms["invariance"] = out.loss * 1.0
        return out


class ReservedTermLoss(GoodLoss):
    def forward(self, encoder, views, theta=None):
        out = super().forward(encoder, views, theta)
        out.terms["rankme"] = out.loss.detach()
        return out


class ProjectorEmbeddingsLoss(GoodLoss):
    def forward(self, encoder, views, theta=None):
        out = super().forward(encoder, views, theta)
        _, z = self.project(encoder, views)
        out.embeddings = z.flatten(0, 1).detach()
        return out


class NumpyRandomLoss(GoodLoss):
    """Weights its terms with numpy's global generator: not reproducible."""

    def forward(self, encoder, views, theta=None):
        out = super().forward(encoder, views, theta)
        out.loss = out.loss * float(np.random.uniform(0.5, 1.5))
        return out


class PeekingLoss(GoodLoss):
    """Says supervised = False but uses theta."""

    def forward(self, encoder, views, theta=None):
        out = super().forward(encoder, views, theta)
        out.loss = out.loss + theta.mean()
        return out


class LazyHeadLoss(GoodLoss):
    def forward(self, encoder, views, theta=None):
        if not hasattr(self, "late"):
            self.late = nn.Linear(self.summary_dim, 2)
        out = super().forward(encoder, views, theta)
        out.loss = out.loss + self.late(encode_views(encoder, views)).mean()
        return out


class UnusedParameterLoss(GoodLoss):
    def __init__(self, params=None, *, summary_dim, param_dim=None):
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        self.spare = nn.Linear(3, 3)


class UnsavedStateLoss(GoodLoss):
    """A centre updated in after_step but kept in a plain attribute, not a buffer."""

    def __init__(self, params=None, *, summary_dim, param_dim=None):
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        self.centre = torch.zeros(6)

    def forward(self, encoder, views, theta=None):
        out = super().forward(encoder, views, theta)
        _, z = self.project(encoder, views)
        out.loss = out.loss + (z - self.centre).pow(2).mean()
        return out

    def after_step(self, encoder, step, total_steps):
        self.centre = self.centre + 1.0


# ---- augmentations ---------------------------------------------------------------------------


class GoodFlip(Augmentation):
    role = "symmetry"

    def __call__(self, maps, generator):
        flip = torch.rand(maps.shape[0], generator=generator, device=maps.device) < 0.5
        return torch.where(flip[:, None, None, None], maps.flip(-1), maps)


class GlobalRandomFlip(GoodFlip):
    """Ignores the generator: draws from torch's global one."""

    def __call__(self, maps, generator):
        flip = torch.rand(maps.shape[0], device=maps.device) < 0.5
        return torch.where(flip[:, None, None, None], maps.flip(-1), maps)


class InPlaceNoise(GoodFlip):
    role = "systematic"

    def __call__(self, maps, generator):
        return maps.add_(torch.randn(maps.shape, generator=generator, device=maps.device))


class Float64Noise(GoodFlip):
    role = "systematic"

    def __call__(self, maps, generator):
        noise = torch.randn(maps.shape, generator=generator, device=maps.device)
        return maps.double() + noise.double()


class RolelessFlip(Augmentation):
    def __call__(self, maps, generator):
        return GoodFlip.__call__(self, maps, generator)


class OneDrawFlip(GoodFlip):
    """Flips the whole batch or none of it: one draw for every map."""

    def __call__(self, maps, generator):
        if torch.rand((), generator=generator, device=maps.device) < 0.5:
            return maps.flip(-1)
        return maps.clone()


# ---- encoders --------------------------------------------------------------------------------


class GoodEncoder(Encoder):
    def __init__(self, params=None, *, input_shape):
        super().__init__(params, input_shape=input_shape)
        self.conv = nn.Conv2d(input_shape[0], 4, 3, padding=1)
        self.head = nn.Linear(4, self.summary_dim)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x)).mean(dim=(-2, -1)))


class FixedSizeEncoder(Encoder):
    """Built for 16×16 maps whatever it is given."""

    def __init__(self, params=None, *, input_shape):
        super().__init__(params, input_shape=input_shape)
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(16 * 16, self.summary_dim))

    def forward(self, x):
        return self.net(x)


class WrongDimEncoder(GoodEncoder):
    def forward(self, x):
        return super().forward(x)[:, :1]


class BatchMeanEncoder(GoodEncoder):
    """Subtracts the batch mean, also in eval mode."""

    def forward(self, x):
        out = super().forward(x)
        return out - out.mean(dim=0, keepdim=True)


class SpareParameterEncoder(GoodEncoder):
    def __init__(self, params=None, *, input_shape):
        super().__init__(params, input_shape=input_shape)
        self.spare = nn.Linear(2, 2)


# ---- datasets --------------------------------------------------------------------------------


class GoodDataset(Dataset):
    """8 cosmologies × 3 maps of 8², amplitude ∝ the parameter; split by cosmology."""

    n_groups, per_group = 8, 3

    def load(self, *, seed, progress=False):
        rng = np.random.default_rng(seed)
        group = np.repeat(np.arange(self.n_groups), self.per_group)
        theta = rng.uniform(0.5, 1.5, size=(self.n_groups, 1)).astype(np.float32)
        maps = theta[group, :, None, None] * rng.normal(size=(len(group), 1, 8, 8))
        return MapSet(
            maps=maps.astype(np.float32),
            params=theta[group],
            param_names=("a",),
            cosmology_id=group,
            simulation_id=np.arange(len(group)),
            split=self.split(group, seed),
            meta=MapMeta(shape=(1, 8, 8), box_size=10.0, content="overdensity"),
            priors={"a": (0.5, 1.5)},
        )

    def split(self, group, seed):
        return cosmossl.split_by_group(group, (0.5, 0.25, 0.25), seed)


class MixedGroupDataset(GoodDataset):
    def load(self, *, seed, progress=False):
        mapset = super().load(seed=seed)
        mapset.params[1] += 0.1  # map 1 has other parameters than map 0 of its cosmology
        return mapset


class SplitByMapDataset(GoodDataset):
    def split(self, group, seed):
        return (np.arange(len(group)) % 3).astype(np.int8)


class UnseededDataset(GoodDataset):
    def load(self, *, seed, progress=False):
        return super().load(seed=int(np.random.randint(1 << 30)))


class HalfSimulator(GoodDataset):
    """Has simulate but none of the other members of cosmossl.Simulator."""

    def simulate(self, theta, seeds, nuisance=None):
        return np.zeros((len(theta), 1, 8, 8), dtype=np.float32)


class GoodSimulator(GoodDataset):
    param_names = ("a",)
    meta = MapMeta(shape=(1, 8, 8), box_size=10.0, content="overdensity")
    fiducial = np.array([1.0])

    def simulate(self, theta, seeds, nuisance=None):
        theta = np.atleast_2d(theta)
        noise = np.stack([np.random.default_rng(s).normal(size=(1, 8, 8)) for s in seeds])
        return (theta[:, :, None, None] * noise).astype(np.float32)

    def fisher_limit(self, theta_fiducial=None):
        return np.array([[2 * 64 / self.fiducial[0] ** 2]])


class NuisanceSimulatorKit(GoodSimulator):
    """A NuisanceSimulator: the map's amplitude is θ · η."""

    nuisance_names = ("eta",)
    nuisance_fiducial = np.array([2.0])

    def simulate(self, theta, seeds, nuisance=None):
        eta = self.nuisance_fiducial if nuisance is None else np.atleast_2d(nuisance)[:, 0]
        return super().simulate(np.atleast_2d(theta) * np.reshape(eta, (-1, 1)), seeds)


class NuisanceOffFiducialSimulator(NuisanceSimulatorKit):
    """Holds the nuisance at 1 by default, not at its declared fiducial value 2."""

    def simulate(self, theta, seeds, nuisance=None):
        return super().simulate(theta, seeds, np.ones(1) if nuisance is None else nuisance)


class SeedlessNoiseSimulator(GoodSimulator):
    """The noise comes from the parameters' hash, not from the seed alone."""

    def simulate(self, theta, seeds, nuisance=None):
        theta = np.atleast_2d(theta)
        noise = [
            np.random.default_rng([s, int(t[0] * 1e6)]).normal(size=(1, 8, 8))
            for s, t in zip(seeds, theta)
        ]
        return (theta[:, :, None, None] * np.stack(noise)).astype(np.float32)


# ---- backends --------------------------------------------------------------------------------


class GaussianPosterior(Posterior):
    """q(θ | x) = N(W x + b, Σ) truncated to the prior box (rejection sampling)."""

    def __init__(self, weight, bias, scale_tril, *, backend, prior, x_standardizer):
        super().__init__(backend=backend, params={}, prior=prior, x_standardizer=x_standardizer)
        self.weight, self.bias, self.scale_tril = weight, bias, scale_tril

    def _normal(self, x):
        mean = x @ self.weight.T + self.bias
        return torch.distributions.MultivariateNormal(mean, scale_tril=self.scale_tril)

    def sample_standardized(self, x, n):
        normal = self._normal(x)
        out = normal.sample((n,))
        for _ in range(100):
            outside = ~self.prior.contains(out)
            if not outside.any():
                break
            out = torch.where(outside[..., None], normal.sample((n,)), out)
        return torch.clamp(out, self.prior.low, self.prior.high)

    def log_prob_standardized(self, theta, x):
        return self._normal(x).log_prob(theta)

    def state(self):
        tensors = {"weight": self.weight, "bias": self.bias, "scale_tril": self.scale_tril}
        return tensors, {"kind": "linear-gaussian"}


class LinearBackend(Backend):
    """Least squares θ ≈ W x + b and the residual covariance: exact for linear-Gaussian data."""

    name = "linear"
    posterior_class = GaussianPosterior

    def fit_posterior(self, data: FitData) -> Posterior:
        x = torch.cat([data.x_train, torch.ones(len(data.x_train), 1)], dim=1).double()
        solution = torch.linalg.lstsq(x, data.theta_train.double()).solution
        residual = data.theta_train.double() - x @ solution
        cov = residual.T @ residual / len(residual)
        return self.posterior_class(
            solution[:-1].T.float(),
            solution[-1].float(),
            torch.linalg.cholesky(cov).float(),
            backend=self.name,
            prior=data.prior,
            x_standardizer=data.x_standardizer,
        )

    @classmethod
    def posterior_from_saved(cls, saved: SavedPosterior, device: str = "cpu") -> Posterior:
        t = saved.tensors
        return cls.posterior_class(
            t["weight"],
            t["bias"],
            t["scale_tril"],
            backend=saved.backend,
            prior=saved.prior,
            x_standardizer=saved.x_standardizer,
        )


class ArrayConfigPosterior(GaussianPosterior):
    def state(self):
        tensors, _ = super().state()
        return tensors, {"weight": self.weight.numpy()}


class ArrayConfigBackend(LinearBackend):
    posterior_class = ArrayConfigPosterior


class ForgetfulBackend(LinearBackend):
    """Rebuilds a saved posterior without its weights."""

    @classmethod
    def posterior_from_saved(cls, saved: SavedPosterior, device: str = "cpu") -> Posterior:
        t = saved.tensors
        return GaussianPosterior(
            torch.zeros_like(t["weight"]),
            t["bias"],
            t["scale_tril"],
            backend=saved.backend,
            prior=saved.prior,
            x_standardizer=saved.x_standardizer,
        )

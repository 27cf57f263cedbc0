"""NRE posterior sampling (SIR + Metropolis) against an exactly known posterior."""

from __future__ import annotations

import numpy as np
import torch

from cosmossl.inference import LinearGaussian, SamplerStats, sample_prior_ratio


def test_prior_ratio_sampler_recovers_the_analytic_posterior():
    lg = LinearGaussian.make(noise=0.2, seed=1)
    prior = lg.box()
    _, x = lg.simulate(200, seed=5)
    keep = lg.interior(x)
    x = torch.tensor(x[keep][:40], dtype=torch.float64)
    A = torch.tensor(lg.A)
    b = torch.tensor(lg.b)

    def log_ratio(t: torch.Tensor) -> torch.Tensor:
        # exact log-likelihood up to an x-dependent constant (which the sampler ignores)
        resid = x - (t.double() @ A.T + b)
        return (-0.5 * (resid**2).sum(-1) / lg.noise**2).float()

    stats = SamplerStats()
    torch.manual_seed(0)
    samples = sample_prior_ratio(log_ratio, prior, x.shape[0], 2000, stats=stats).double()
    mean, cov = lg.posterior(x.numpy())
    std = np.sqrt(np.diag(cov))
    assert samples.shape == (2000, x.shape[0], 2)
    err = (samples.mean(0).numpy() - mean) / std
    assert np.abs(err).max() < 0.15
    ratio = samples.std(0).numpy() / std
    assert np.abs(ratio - 1).max() < 0.1
    assert 0.1 < stats.acceptance < 0.9
    assert prior.contains(samples.float()).all()

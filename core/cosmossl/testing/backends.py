"""``check_backend``: fit, sample, densities and a save/load round trip on a known posterior."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import torch

from cosmossl.components.backend import Backend
from cosmossl.inference.fitting import fit
from cosmossl.inference.posterior import Posterior, load_posterior
from cosmossl.inference.simulators.linear_gaussian import LinearGaussian
from cosmossl.plugin.registry import Registry
from cosmossl.testing.inputs import (
    fail,
    first_difference,
    keeps_global_rngs,
    name_of,
    non_finite,
    run,
)


@keeps_global_rngs
def check_backend(
    backend: Backend,
    *,
    n_train: int = 1000,
    n_val: int = 200,
    n_test: int = 40,
    n_samples: int = 300,
    max_mean_error: float = 1.0,
    std_ratio: tuple[float, float] = (0.5, 2.0),
    seed: int = 0,
) -> Posterior:
    """Check a backend on the linear-Gaussian problem (known posterior); returns the posterior.

    ``backend`` is a built component; give it a small training budget (a few seconds). It is
    fitted through :func:`cosmossl.inference.fit` on ``n_train`` rows of
    :class:`cosmossl.inference.LinearGaussian` (2 parameters, 4 summaries). Then it checks:

    - ``name`` is set and the posterior records it (``load_posterior`` finds the backend by it);
    - ``sample`` ``[n, P]`` and ``sample_batched`` ``[n, B, P]`` are finite, inside the prior,
      the same for the same seed (``sample(x[0])`` is ``sample_batched(x[:1])[:, 0]``);
    - ``log_prob`` ``[B]`` is finite inside the prior and agrees with ``log_prob_batched``;
    - the posterior is roughly right where the prior's edges do not matter: the mean of its
      samples within ``max_mean_error`` analytic standard deviations of the analytic mean, its
      standard deviation within the ``std_ratio`` range of the analytic one;
    - the saved folder's config is JSON, and the posterior loaded back gives the same samples
      and densities.
    """
    __tracebackhide__ = True
    what = name_of(backend)
    if not isinstance(backend, Backend):
        fail(what, "is not a cosmossl.Backend")
    if not getattr(type(backend), "name", ""):
        fail(what, "has no `name`: set the class attribute to its registry name")
    problem = LinearGaussian.make(n_params=2, n_summaries=4, noise=0.3, seed=seed)
    posterior = run(
        what,
        "fit",
        fit,
        backend,
        problem.simulate(n_train, seed=seed + 1),
        problem.simulate(n_val, seed=seed + 2),
        problem.box(),
        seed=seed,
        progress=False,
    )
    if not isinstance(posterior, Posterior):
        fail(what, f"fit_posterior returned {type(posterior).__name__}, not a Posterior")
    if posterior.backend != type(backend).name:
        fail(
            what,
            f"the posterior says backend {posterior.backend!r}, the class name is "
            f"{type(backend).name!r}: load_posterior finds the backend by the posterior's",
        )
    theta, x = (torch.as_tensor(a) for a in problem.simulate(n_test, seed=seed + 3))
    samples = _check_sampling(what, posterior, x, n_samples)
    _check_densities(what, posterior, theta, x, samples)
    _check_accuracy(what, problem, x.numpy(), samples.numpy(), max_mean_error, std_ratio)
    _check_round_trip(what, backend, posterior, theta, x, n_samples)
    return posterior


def _check_sampling(what: str, posterior: Posterior, x: torch.Tensor, n: int) -> torch.Tensor:
    __tracebackhide__ = True
    samples = run(what, "sample_batched", posterior.sample_batched, x, n, seed=1)
    expected = (n, len(x), posterior.prior.dim)
    if tuple(samples.shape) != expected:
        fail(what, f"sample_batched gave {list(samples.shape)}, expected {list(expected)}")
    problem = non_finite(samples)
    if problem:
        fail(what, f"samples: {problem}")
    if not bool(posterior.prior.contains(samples).all()):
        fail(what, "some samples lie outside the prior box")
    if not torch.equal(posterior.sample_batched(x, n, seed=1), samples):
        fail(what, "sample_batched with the same seed gave other samples")
    single = posterior.sample(x[0], n, seed=1)
    if tuple(single.shape) != (n, posterior.prior.dim):
        fail(what, f"sample(x[0], {n}) gave {list(single.shape)}, expected {[n, expected[2]]}")
    first = posterior.sample_batched(x[:1], n, seed=1)[:, 0]
    if not torch.allclose(single, first, rtol=1e-5, atol=1e-6):
        fail(what, "sample(x[0]) differs from sample_batched(x[:1])[:, 0] with the same seed")
    return samples


def _check_densities(
    what: str, posterior: Posterior, theta: torch.Tensor, x: torch.Tensor, samples: torch.Tensor
) -> None:
    __tracebackhide__ = True
    lp = run(what, "log_prob", posterior.log_prob, theta, x)
    if tuple(lp.shape) != (len(x),):
        fail(what, f"log_prob gave {list(lp.shape)}, expected [{len(x)}]")
    problem = non_finite(lp)
    if problem:
        fail(what, f"log_prob inside the prior: {problem}")
    batched = posterior.log_prob_batched(theta[None], x)
    if tuple(batched.shape) != (1, len(x)) or not torch.allclose(
        batched[0], lp, rtol=1e-4, atol=1e-4
    ):
        fail(what, "log_prob_batched(theta[None], x)[0] differs from log_prob(theta, x)")
    at_samples = posterior.log_prob_batched(samples[:10], x)
    problem = non_finite(at_samples)
    if problem:
        fail(what, f"log_prob_batched at its own samples: {problem}")


def _check_accuracy(
    what: str,
    problem: LinearGaussian,
    x: np.ndarray,
    samples: np.ndarray,
    max_mean_error: float,
    std_ratio: tuple[float, float],
) -> None:
    __tracebackhide__ = True
    inside = problem.interior(x, margin=3.0)
    if inside.sum() < 5:
        return
    mean, cov = problem.posterior(x[inside])
    sigma = np.sqrt(np.diag(cov))
    error = (np.abs(samples[:, inside].mean(0) - mean) / sigma).mean(0)
    ratio = samples[:, inside].std(0).mean(0) / sigma
    if error.max() > max_mean_error:
        fail(
            what,
            f"the posterior mean is off by {error.max():.2f} analytic σ on average (allowed "
            f"{max_mean_error}) on a linear-Gaussian problem: is it trained long enough?",
        )
    low, high = std_ratio
    if not (low <= ratio.min() and ratio.max() <= high):
        fail(
            what,
            f"posterior σ / analytic σ is {np.round(ratio, 2).tolist()} (allowed {low} to "
            f"{high}) on a linear-Gaussian problem",
        )


def _check_round_trip(
    what: str,
    backend: Backend,
    posterior: Posterior,
    theta: torch.Tensor,
    x: torch.Tensor,
    n: int,
) -> None:
    __tracebackhide__ = True
    _, config = posterior.state()
    try:
        json.dumps(config)
    except (TypeError, ValueError) as exc:
        fail(
            what,
            f"state()'s config is not JSON ({exc}): the saved posterior.json must hold plain "
            "numbers, strings, lists and dicts (weights go in the tensors)",
        )
    registry = Registry()
    registry.add("backend", type(backend).name, type(backend))
    with tempfile.TemporaryDirectory() as folder:
        path = posterior.save(Path(folder) / "posterior")
        try:
            loaded = load_posterior(path, registry=registry)
        except Exception as exc:
            fail(what, f"the saved posterior does not load back: {type(exc).__name__}: {exc}")
    lp, again = posterior.log_prob(theta, x), loaded.log_prob(theta, x)
    if not torch.allclose(again, lp, rtol=1e-5, atol=1e-5):
        fail(what, f"the loaded posterior gives other densities ({first_difference(again, lp)})")
    samples, resampled = posterior.sample_batched(x, n, seed=2), loaded.sample_batched(x, n, seed=2)
    if not torch.allclose(resampled, samples, rtol=1e-5, atol=1e-5):
        fail(
            what,
            f"the loaded posterior draws other samples with the same seed "
            f"({first_difference(resampled, samples)})",
        )

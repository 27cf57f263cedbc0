"""How much information summaries keep: the Fisher matrix of a summary from simulations (and
its marginal over nuisance parameters), the information check against a simulator's analytic
limit, probes, and nuisance hardening of any summary.

A public module: plugins and users may import from it (``from cosmossl.information import
estimate_fisher``). Names resolve lazily.

Example::

    from cosmossl.information import estimate_fisher, fom_fraction, simulate_summaries
    fid, derivatives = simulate_summaries(simulator.simulate, summarize, theta, 0.005 * theta)
    estimate = estimate_fisher(fid, derivatives)  # .fisher (debiased), .raw, .noise_share
    print(fom_fraction(estimate.fisher, simulator.fisher_limit(theta)))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._util.lazy import lazy_attributes

_LAZY: dict[str, str] = {
    # the estimator of a summary's Fisher matrix
    "FisherEstimate": "cosmossl.information.fisher",
    "NOISE_SHARE_LIMIT": "cosmossl.information.fisher",
    "STENCILS": "cosmossl.information.fisher",
    "central_differences": "cosmossl.information.fisher",
    "cramer_rao": "cosmossl.information.fisher",
    "estimate_fisher": "cosmossl.information.fisher",
    "fom_fraction": "cosmossl.information.fisher",
    "fom_fraction_interval": "cosmossl.information.fisher",
    "hartlap_factor": "cosmossl.information.fisher",
    "marginal_fisher": "cosmossl.information.fisher",
    "simulate_summaries": "cosmossl.information.fisher",
    # nuisance hardening (Alsing & Wandelt 2019) of any summary
    "NuisanceHardening": "cosmossl.information.hardening",
    "fit_hardening": "cosmossl.information.hardening",
    "simulate_with_nuisance": "cosmossl.information.hardening",
    # the information check: every summary against the analytic limit
    "information": "cosmossl.information.check",
    # probes: how much of a quantity summaries keep
    "linear_probe_r2": "cosmossl.information.probes",
    "mlp_probe_r2": "cosmossl.information.probes",
    "r2_score": "cosmossl.information.probes",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

if TYPE_CHECKING:
    from cosmossl.information.check import information
    from cosmossl.information.fisher import (
        NOISE_SHARE_LIMIT,
        STENCILS,
        FisherEstimate,
        central_differences,
        cramer_rao,
        estimate_fisher,
        fom_fraction,
        fom_fraction_interval,
        hartlap_factor,
        marginal_fisher,
        simulate_summaries,
    )
    from cosmossl.information.hardening import (
        NuisanceHardening,
        fit_hardening,
        simulate_with_nuisance,
    )
    from cosmossl.information.probes import linear_probe_r2, mlp_probe_r2, r2_score

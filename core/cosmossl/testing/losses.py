"""``check_loss``: what the training loop needs from a loss component, in one process."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from cosmossl.components.loss import Loss, LossOutput
from cosmossl.components.training_data import FiducialBatch, FiducialSimulations, TrainingData
from cosmossl.testing.inputs import (
    factory_name,
    fail,
    first_difference,
    keeps_global_rngs,
    name_of,
    non_finite,
    random_maps,
    run,
    shape_of,
    small_encoder,
)

#: Keys the metrics log writes next to a loss's terms: a term must not take one of them.
RESERVED_TERMS = frozenset({"loss", "embedding_std", "rankme", "lr", "step", "epoch", "kind"})

LossFactory = Callable[..., Loss]


@dataclass(frozen=True)
class LossCase:
    """The inputs of a loss check: ``views [B, V, *map_shape]``, ``theta [B, P]``."""

    batch: int = 8
    views: int = 2
    map_shape: tuple[int, ...] = (1, 8, 8)
    summary_dim: int = 4
    param_dim: int = 2
    seed: int = 0

    def inputs(self, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        views = random_maps(self.batch * self.views, self.map_shape, self.seed, dtype)
        theta = random_maps(self.batch, (self.param_dim,), self.seed + 1, dtype)
        return views.reshape(self.batch, self.views, *self.map_shape), theta

    def fiducial(
        self, design: FiducialSimulations, dtype: torch.dtype = torch.float32
    ) -> FiducialBatch:
        """Simulations at a fiducial point as the loop makes them for ``design``: maps whose
        mean moves linearly with θ (one fixed pattern per parameter) over noise that one seed
        shares across the shifted points."""
        p = self.param_dim
        patterns = random_maps(p, self.map_shape, self.seed + 4, dtype)
        theta = torch.linspace(0.3, 0.8, p, dtype=dtype)
        delta = design.step * theta.abs()

        def at(point: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
            return noise + torch.einsum("a,a...->...", point, patterns)

        fiducial = at(theta, random_maps(design.n_fiducial, self.map_shape, self.seed + 5, dtype))
        noise = random_maps(design.n_derivative, self.map_shape, self.seed + 6, dtype)
        shifted = torch.stack([
            torch.stack([at(theta + k * delta[a] * torch.eye(p, dtype=dtype)[a], noise)
                         for k in design.offsets])
            for a in range(p)
        ])  # fmt: skip
        return FiducialBatch(fiducial, shifted, theta, delta, design.stencil)

    def arguments(
        self,
        loss: Loss,
        dtype: torch.dtype = torch.float32,
        *,
        theta: torch.Tensor | None = None,
        rank: int = 0,
        world: int = 1,
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """What the training loop passes to ``loss`` for this case (process ``rank`` of
        ``world``: its share of the groups and of the fiducial simulations)."""
        views, given = self.inputs(dtype)
        rows = _share(self.batch, rank, world)
        needs = loss.training_data(loss.params)
        given = given if theta is None else theta
        args = (views[rows] if needs.views else None, given[rows])
        kwargs: dict[str, Any] = {}
        if needs.fiducial is not None:
            batch = self.fiducial(needs.fiducial, dtype)
            n, m = batch.fiducial.shape[0], batch.shifted.shape[2]
            kwargs["fiducial"] = FiducialBatch(
                batch.fiducial[_share(n, rank, world)],
                batch.shifted[:, :, _share(m, rank, world)],
                batch.theta,
                batch.delta,
                batch.stencil,
            )
        return args, kwargs

    def needs(self, loss: Loss) -> TrainingData:
        return loss.training_data(loss.params)

    def build(self, factory: LossFactory) -> tuple[Loss, nn.Module]:
        """A fresh loss (``summary_dim``, ``param_dim`` as the engine passes them) and encoder,
        both initialised from the case's seed."""
        encoder = small_encoder(self.map_shape, self.summary_dim, self.seed)
        torch.manual_seed(self.seed + 2)
        loss = run(
            factory_name(factory),
            "building it",
            factory,
            summary_dim=self.summary_dim,
            param_dim=self.param_dim,
        )
        if not isinstance(loss, Loss):
            fail(
                f"loss factory {factory!r}",
                f"returned {type(loss).__name__}, not a cosmossl.Loss: pass the component "
                "class or functools.partial(cosmossl.create, 'loss', NAME)",
            )
        return loss, encoder

    def forward(
        self, loss: Loss, encoder: nn.Module, theta: torch.Tensor | None = None, **kw: Any
    ) -> LossOutput:
        args, kwargs = self.arguments(loss, theta=theta, **kw)
        torch.manual_seed(self.seed + 3)  # a loss may draw random numbers (dropout, masks)
        views = args[0]
        what = "forward on " + ("no views" if views is None else f"views {list(views.shape)}")
        if kwargs:
            what += " and fiducial simulations"
        return run(name_of(loss), what, loss, encoder, *args, **kwargs)


def _share(total: int, rank: int, world: int) -> slice:
    """Process ``rank``'s contiguous share of ``total`` rows."""
    share = total // world
    return slice(rank * share, (rank + 1) * share)


@keeps_global_rngs
def check_loss(
    loss_factory: LossFactory,
    *,
    batch: int = 8,
    views: int = 2,
    map_shape: tuple[int, ...] = (1, 8, 8),
    summary_dim: int = 4,
    param_dim: int = 2,
    seed: int = 0,
) -> LossOutput:
    """Check a loss component; returns its output on the check's batch.

    ``loss_factory(summary_dim=..., param_dim=...)`` must build a fresh loss: the component
    class itself, or ``functools.partial(cosmossl.create, "loss", "my-loss", **params)``. On a
    batch of ``batch`` groups × ``views`` views of ``map_shape`` maps, encoded by a small MLP
    to ``summary_dim``, it checks that:

    - ``forward`` returns a :class:`~cosmossl.LossOutput` whose ``loss`` is a finite scalar
      with a gradient;
    - every term is a detached, finite scalar whose name the metrics log does not use itself;
    - ``embeddings`` is ``None`` or the detached summaries of the views, ``[batch·views, D]``
      (of the fiducial maps, ``[n_fiducial, D]``, for a loss that trains on no views);
    - every encoder parameter and every trainable parameter of the loss gets a finite gradient
      (an unused one stops DDP), and ``forward`` creates no trainable parameter (the optimiser
      is built before the first step);
    - the same seed gives the same loss and gradients;
    - an SSL loss (``supervised = False``) does not use ``theta``;
    - ``after_step`` runs, and a fresh loss that loads the state dict computes the same loss
      (checkpoints restore it).

    A loss that declares other training data (``Loss.training_data``) gets it as the loop
    gives it: simulations at a fiducial point are made for its declared counts and stencil
    (maps whose mean moves linearly with θ, seed-matched noise).
    """
    __tracebackhide__ = True
    case = LossCase(batch, views, map_shape, summary_dim, param_dim, seed)
    loss, encoder = case.build(loss_factory)
    what = name_of(loss)
    before = _trainable(loss)
    out = case.forward(loss, encoder)
    _check_output(what, out, case, case.needs(loss))
    created = sorted(set(_trainable(loss)) - set(before))
    if created:
        fail(
            what,
            f"forward created trainable parameters {created}: the optimiser is built before the "
            "first step and would not train them; create them in __init__ (summary_dim and "
            "param_dim are given there)",
        )
    run(what, "backward", out.loss.backward)
    grads = _check_gradients(what, encoder, loss)
    _check_determinism(what, loss_factory, case, out, grads)
    if not loss.supervised:
        _check_ignores_theta(what, loss_factory, case)
    _check_state_round_trip(what, loss_factory, loss, encoder, case)
    return out


def _trainable(module: nn.Module) -> list[str]:
    return [name for name, p in module.named_parameters() if p.requires_grad]


def _check_output(what: str, out: Any, case: LossCase, needs: TrainingData) -> None:
    __tracebackhide__ = True
    if not isinstance(out, LossOutput):
        fail(what, f"forward returned {type(out).__name__}, not a cosmossl.LossOutput")
    value = out.loss
    if not isinstance(value, torch.Tensor) or value.ndim != 0:
        fail(what, f"LossOutput.loss must be a scalar tensor (shape ()), got {shape_of(value)}")
    if not value.is_floating_point():
        fail(what, f"LossOutput.loss must be a floating-point tensor, got {value.dtype}")
    if not torch.isfinite(value):
        fail(what, f"LossOutput.loss is not finite ({value.item()})")
    if not value.requires_grad:
        fail(what, "LossOutput.loss has no gradient: it does not depend on the encoder's output")
    if not isinstance(out.terms, dict):
        fail(what, f"LossOutput.terms must be a dict of scalars, got {type(out.terms).__name__}")
    for name, term in out.terms.items():
        where = f"term '{name}'"
        if not isinstance(name, str) or name in RESERVED_TERMS:
            fail(
                what,
                f"{where}: the metrics log already writes {', '.join(sorted(RESERVED_TERMS))}; "
                "name the term otherwise",
            )
        if not isinstance(term, torch.Tensor) or term.ndim != 0:
            fail(what, f"{where} must be a scalar tensor (shape ()), got {shape_of(term)}")
        if term.requires_grad:
            fail(
                what,
                f"{where} is not detached: terms are logged, not differentiated; return "
                "term.detach() (a graph kept for logging costs memory every step)",
            )
        if not torch.isfinite(term):
            fail(what, f"{where} is not finite ({term.item()})")
    _check_embeddings(what, out.embeddings, case, needs)


def _check_embeddings(what: str, embeddings: Any, case: LossCase, needs: TrainingData) -> None:
    __tracebackhide__ = True
    if embeddings is None:
        return
    if needs.views:
        expected = (case.batch * case.views, case.summary_dim)
        rows = (
            f"every view, [B·V, D] = {list(expected)} for {case.batch} groups × {case.views} views"
        )
    else:
        assert needs.fiducial is not None  # TrainingData holds views or simulations
        expected = (needs.fiducial.n_fiducial, case.summary_dim)
        rows = f"the fiducial maps, [n_fiducial, D] = {list(expected)}"
    if not isinstance(embeddings, torch.Tensor) or tuple(embeddings.shape) != expected:
        fail(
            what,
            f"LossOutput.embeddings must be the summaries of {rows} (the collapse monitors "
            f"watch the summary, not a projector's output), got {shape_of(embeddings)}",
        )
    if embeddings.requires_grad:
        fail(what, "LossOutput.embeddings is not detached: return summaries.detach()")
    problem = non_finite(embeddings)
    if problem:
        fail(what, f"LossOutput.embeddings: {problem}")


def _check_gradients(what: str, encoder: nn.Module, loss: Loss) -> dict[str, torch.Tensor]:
    __tracebackhide__ = True
    grads = {}
    params = [(f"encoder.{n}", p) for n, p in encoder.named_parameters()]
    params += [(f"loss.{n}", p) for n, p in loss.named_parameters() if p.requires_grad]
    for name, p in params:
        if p.grad is None:
            fail(
                what,
                f"parameter '{name}' got no gradient from the loss: DDP stops on unused "
                "parameters; use it in the loss, or freeze it with requires_grad_(False)",
            )
        problem = non_finite(p.grad)
        if problem:
            fail(what, f"the gradient of '{name}' is not finite: {problem}")
        grads[name] = p.grad.detach().clone()
    if all(float(g.abs().max()) == 0 for n, g in grads.items() if n.startswith("encoder.")):
        fail(what, "the gradient reaching the encoder is zero everywhere: nothing would train")
    return grads


def _check_determinism(
    what: str,
    factory: LossFactory,
    case: LossCase,
    out: LossOutput,
    grads: dict[str, torch.Tensor],
) -> None:
    __tracebackhide__ = True
    loss, encoder = case.build(factory)
    again = case.forward(loss, encoder)
    if not torch.equal(again.loss.detach(), out.loss.detach()):
        fail(
            what,
            f"not deterministic: the same seed gave loss {out.loss.item()!r} then "
            f"{again.loss.item()!r}; draw random numbers from torch (seeded by the run) only, "
            "never from numpy, random or the clock",
        )
    again.loss.backward()
    for name, p in [*(("encoder." + n, p) for n, p in encoder.named_parameters()),
                    *(("loss." + n, p) for n, p in loss.named_parameters())]:  # fmt: skip
        if name in grads and not torch.equal(p.grad, grads[name]):
            fail(
                what,
                f"not deterministic: the same seed gave another gradient of '{name}' "
                f"({first_difference(p.grad, grads[name])})",
            )


def _check_ignores_theta(what: str, factory: LossFactory, case: LossCase) -> None:
    __tracebackhide__ = True
    loss, encoder = case.build(factory)
    reference = case.forward(loss, encoder).loss.detach()
    loss, encoder = case.build(factory)
    try:
        changed = case.forward(loss, encoder, theta=torch.full((case.batch, case.param_dim), 9.0))
    except Exception as exc:
        fail(what, f"an SSL loss (supervised = False) failed with other theta: {exc!r}")
    if not torch.allclose(changed.loss.detach(), reference, rtol=1e-6, atol=1e-7):
        fail(
            what,
            "the loss changes with theta but the class says supervised = False: an SSL loss "
            "must not see the parameters (set supervised = True for a supervised one)",
        )


def _check_state_round_trip(
    what: str, factory: LossFactory, loss: Loss, encoder: nn.Module, case: LossCase
) -> None:
    __tracebackhide__ = True
    try:
        loss.after_step(encoder, step=0, total_steps=10)
    except Exception as exc:
        fail(what, f"after_step(encoder, step=0, total_steps=10) raised {exc!r}")
    state = copy.deepcopy(loss.state_dict())
    reference = case.forward(loss, encoder).loss.detach()
    fresh, _ = case.build(factory)
    try:
        fresh.load_state_dict(state)
    except Exception as exc:
        fail(
            what,
            "a fresh loss cannot load the state dict of a trained one, so a checkpoint "
            f"cannot be resumed: {exc}",
        )
    restored = case.forward(fresh, encoder).loss.detach()
    if not torch.allclose(restored, reference, rtol=1e-6, atol=1e-7):
        fail(
            what,
            f"a fresh loss that loaded the state dict computes {restored.item()!r}, the "
            f"original {reference.item()!r}: some state (an EMA target, a buffer) is not in "
            "state_dict, so a resumed training would differ",
        )

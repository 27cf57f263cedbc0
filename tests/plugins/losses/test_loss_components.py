"""The loss components: heads, terms and monitors, BYOL's EMA target, the supervised head."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import cosmossl
from cosmossl.nn.heads import GlobalBatchNorm1d, byol_mlp, encode_views, expander
from cosmossl.nn.monitors import embedding_std, rankme
from cosmossl.training.metrics import step_metrics

D = 4


def _encoder() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, D))


def _views(b: int = 6, v: int = 2) -> torch.Tensor:
    return torch.randn(b, v, 1, 4, 4, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize(
    ("name", "terms"),
    [
        ("vicreg", {"invariance", "variance", "covariance"}),
        ("simclr", {"nt_xent", "positive_similarity"}),
        ("barlow", {"on_diagonal", "off_diagonal"}),
        ("byol", {"cosine", "tau"}),
        ("supervised", {"nll", "mse"}),
    ],
)
def test_loss_reports_its_terms_and_collapse_monitors(name, terms):
    loss = cosmossl.create("loss", name, summary_dim=D, param_dim=2)
    encoder = _encoder()
    out = loss(encoder, _views(), theta=torch.randn(6, 2))
    assert set(out.terms) == terms
    assert out.embeddings.shape == (12, D)
    # The collapse monitors come from the embeddings, once, in the metrics log.
    logged = step_metrics(out.loss.detach(), out.terms, out.embeddings)
    assert set(logged) == {"loss"} | terms | {"embedding_std", "rankme"}
    out.loss.backward()
    assert encoder[1].weight.grad.abs().sum() > 0


def test_vicreg_default_expander_has_two_hidden_layers_of_4d_and_no_final_bias():
    loss = cosmossl.create("loss", "vicreg", summary_dim=D)
    linears = [m for m in loss.expander if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(4, 16), (16, 16), (16, 16)]
    assert linears[-1].bias is None


def test_vicreg_weights_are_configurable():
    loss = cosmossl.create(
        "loss", "vicreg", summary_dim=D, sim_weight=5, var_weight=5, expander_dims=[8, 6]
    )
    out = loss(_encoder(), _views())
    t = out.terms
    expected = 5 * t["invariance"] + 5 * t["variance"] + t["covariance"]
    assert out.loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert loss.expander[-1].out_features == 6


def test_vicreg_uses_all_views_of_a_group():
    loss = cosmossl.create("loss", "vicreg", summary_dim=D)
    out = loss(_encoder(), _views(b=5, v=4))
    assert out.embeddings.shape == (20, D)


def test_unknown_batch_norm_scope_is_a_config_error():
    with pytest.raises(cosmossl.ConfigError, match="batch_norm"):
        cosmossl.create("loss", "barlow", summary_dim=D, batch_norm="global")


def test_byol_target_is_an_ema_of_the_online_network():
    loss = cosmossl.create("loss", "byol", summary_dim=D, tau_base=0.9)
    encoder = _encoder()
    loss(encoder, _views())
    before = loss.target_encoder[1].weight.clone()
    with torch.no_grad():
        encoder[1].weight.add_(1.0)
    loss.after_step(encoder, step=0, total_steps=10)  # τ = τ_base at step 0
    assert torch.allclose(loss.target_encoder[1].weight, before + 0.1, atol=1e-6)
    assert not any(p.requires_grad for p in loss.target_encoder.parameters())


def test_byol_target_weights_survive_a_checkpoint_loaded_before_the_first_step():
    encoder = _encoder()
    trained = cosmossl.create("loss", "byol", summary_dim=D)
    trained(encoder, _views())
    with torch.no_grad():
        trained.target_encoder[1].weight.fill_(0.25)
    fresh = cosmossl.create("loss", "byol", summary_dim=D)
    fresh.load_state_dict(trained.state_dict())
    fresh(encoder, _views())
    assert torch.all(fresh.target_encoder[1].weight == 0.25)


def test_byol_alone_keeps_its_last_epoch_rather_than_its_lowest_validation_loss():
    # Its loss is the distance to a moving EMA target: the value does not rank epochs.
    ranked = {name: cosmossl.create("loss", name, summary_dim=8, param_dim=2).select_by_validation
              for name in ("vicreg", "simclr", "barlow", "byol", "supervised")}  # fmt: skip
    assert ranked == {"vicreg": True, "simclr": True, "barlow": True, "byol": False,
                      "supervised": True}  # fmt: skip


def test_supervised_loss_needs_theta():
    loss = cosmossl.create("loss", "supervised", summary_dim=D, param_dim=2)
    assert loss.supervised
    with pytest.raises(ValueError, match="needs the parameters theta"):
        loss(_encoder(), _views())


def test_supervised_loss_needs_param_dim():
    with pytest.raises(ValueError, match="needs param_dim"):
        cosmossl.create("loss", "supervised", summary_dim=D)


def test_embedding_std_is_near_one_over_sqrt_d_when_healthy_and_zero_when_collapsed():
    z = torch.randn(4000, 16, generator=torch.Generator().manual_seed(0))
    assert embedding_std(z).item() == pytest.approx(16**-0.5, rel=0.03)
    assert embedding_std(torch.ones(100, 16)).item() == pytest.approx(0.0, abs=1e-6)


def test_rankme_is_the_exponential_entropy_of_singular_values():
    z = torch.diag(torch.tensor([3.0, 1.0, 0.0]))
    p = torch.tensor([0.75, 0.25])
    assert rankme(z).item() == pytest.approx(torch.exp(-(p * p.log()).sum()).item(), rel=1e-5)
    assert rankme(torch.ones(10, 4)).item() == pytest.approx(1.0, rel=1e-4)


def test_global_batch_norm_is_plain_batch_norm_in_one_process():
    x = torch.randn(10, 3)
    sync, plain = GlobalBatchNorm1d(3), nn.BatchNorm1d(3)
    torch.testing.assert_close(sync(x), plain(x))


def test_byol_mlp_is_linear_bn_relu_linear():
    kinds = [type(m).__name__ for m in byol_mlp(4, 8, 2, batch_norm="local")]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Linear"]


def test_expander_needs_an_output_width():
    with pytest.raises(ValueError, match="at least its output width"):
        expander(4, [])


def test_encode_views_returns_views_first():
    views = _views(b=3, v=2)
    out = encode_views(nn.Flatten(), views)
    assert out.shape == (2, 3, 16)
    torch.testing.assert_close(out[1, 2], views[2, 1].flatten())


def test_loss_maths_runs_in_float32_under_bf16_autocast():
    from cosmossl_plugins.losses.simclr import nt_xent_loss
    from cosmossl_plugins.losses.vicreg import vicreg_loss

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(32, 8, generator=g), torch.randn(32, 8, generator=g)
    for fn in (vicreg_loss, nt_xent_loss):
        reference, _ = fn(a, b)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss, _ = fn(a.bfloat16(), b.bfloat16())
        assert loss.dtype == torch.float32
        assert loss.item() == pytest.approx(reference.item(), rel=2e-2)

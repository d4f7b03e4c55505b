"""Tests of galbias.losses: the DDB likelihood and cross-entropy (property tests)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from galbias.methods.losses import cross_entropy, ddb_log_likelihood, ddb_nll, get_loss, log1mexp, needs_theta

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def batches(draw, logit_max: float = 1e4, alpha_min: float = 0.0, alpha_max: float = 1e4, n_max: int = 12):
    n = draw(st.integers(1, n_max))
    floats = st.floats(-logit_max, logit_max, allow_nan=False, allow_infinity=False, width=32)
    logits = draw(st.lists(st.tuples(floats, floats), min_size=n, max_size=n))
    observed = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    alpha = draw(st.lists(st.floats(alpha_min, alpha_max, allow_nan=False, width=32), min_size=n, max_size=n))
    return (torch.tensor(logits, dtype=torch.float32), torch.tensor(observed),
            torch.tensor(alpha, dtype=torch.float32))


thetas = st.one_of(st.floats(1e-6, 1e6, allow_nan=False), st.sampled_from([1e-6, 1e-3, 11.25, 1e6]))


def _loss_and_grad(logits, observed, alpha, theta, reduction="mean"):
    logits = logits.clone().requires_grad_(True)
    loss = ddb_nll(logits, observed, alpha, theta, reduction=reduction)
    loss.sum().backward()
    return loss.detach(), logits.grad


@SETTINGS
@given(batches(), thetas)
def test_finite_loss_and_gradients_everywhere(batch, theta):
    logits, observed, alpha = batch
    loss, grad = _loss_and_grad(logits, observed, alpha, theta)
    assert torch.isfinite(loss).all()
    assert torch.isfinite(grad).all()
    assert loss >= 0  # a negative log probability


@pytest.mark.parametrize("alpha", [0.0, 1e-20, 1e-6, 1e6])
@pytest.mark.parametrize("theta", [1e-6, 1.0, 11.25, 1e6, math.inf])
def test_extreme_corners_finite(alpha, theta):
    logits = torch.tensor([[1e4, -1e4], [-1e4, 1e4], [0.0, 0.0], [1e4, -1e4], [-1e4, 1e4], [0.0, 0.0]])
    observed = torch.tensor([0, 0, 0, 1, 1, 1])
    a = torch.full((6,), alpha)
    loss, grad = _loss_and_grad(logits, observed, a, theta, reduction="none")
    assert torch.isfinite(loss).all() and torch.isfinite(grad).all()


@SETTINGS
@given(batches(logit_max=50.0, alpha_min=1.0, alpha_max=1e4), st.floats(1e-6, 1e-2))
def test_b_zero_is_cross_entropy(batch, theta):
    # alpha >= 1 and theta <= 0.01: alpha^2 / 2 theta^2 >= 5000, so b underflows to exactly 0
    logits, observed, alpha = batch
    ours = ddb_nll(logits, observed, alpha, theta, reduction="none")
    ref = F.cross_entropy(logits, observed, reduction="none")
    torch.testing.assert_close(ours, ref, atol=1e-6, rtol=0)
    torch.testing.assert_close(cross_entropy(logits, observed), F.cross_entropy(logits, observed))


@SETTINGS
@given(batches(logit_max=50.0, alpha_min=1e6, alpha_max=1e7), thetas.filter(lambda t: t <= 100))
def test_huge_alpha_is_cross_entropy(batch, theta):
    logits, observed, alpha = batch
    ours = ddb_nll(logits, observed, alpha, theta, reduction="none")
    torch.testing.assert_close(ours, F.cross_entropy(logits, observed, reduction="none"), atol=1e-6, rtol=0)


def _naive(logits, observed, alpha, theta):
    """Probability-space float64 reference (fine where nothing under- or overflows)."""
    z = logits.double()
    p_d = torch.softmax(z, dim=1)[:, 1]
    b = torch.exp(-alpha.double() ** 2 / (2 * theta**2))
    p = torch.where(observed == 1, (1 - b) * p_d, 1 - p_d + b * p_d)
    return -torch.log(p)


@SETTINGS
@given(batches(logit_max=8.0, alpha_min=0.5, alpha_max=30.0), st.floats(2.0, 40.0))
def test_matches_naive_probability_space(batch, theta):
    logits, observed, alpha = batch
    b = torch.exp(-alpha.double() ** 2 / (2 * theta**2))
    keep = (b > 1e-4) & (b < 1 - 1e-4)  # well conditioned: 1 - b and b p_d representable
    if not keep.any():
        return
    logits, observed, alpha = logits[keep], observed[keep], alpha[keep]
    ours = ddb_nll(logits, observed, alpha, theta, reduction="none").double()
    ref = _naive(logits, observed, alpha, theta)
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-5)
    # float64 inputs stay float64 and agree to much better precision
    ours64 = ddb_nll(logits.double(), observed, alpha.double(), theta, reduction="none")
    assert ours64.dtype == torch.float64
    torch.testing.assert_close(ours64, ref, rtol=1e-9, atol=1e-10)


def test_gradient_of_smooth_label_vanishes_when_unresolved():
    """b -> 1 (alpha -> 0): a smooth label carries no information about the true class."""
    logits = torch.tensor([[0.3, -0.2]])
    observed = torch.tensor([0])
    grads = []
    for alpha in [20.0, 5.0, 1.0, 0.1, 0.01, 0.0]:
        _, g = _loss_and_grad(logits, observed, torch.tensor([alpha]), theta=10.0)
        grads.append(g.abs().max().item())
    assert grads == sorted(grads, reverse=True)
    assert grads[-1] == 0.0 and grads[-2] < 1e-5
    # analytic value: d(-log p)/d z_d = (1 - b) p_d p_s / p  at alpha = 1
    b = math.exp(-1 / 200)
    p_d = torch.softmax(logits.double(), 1)[0, 1].item()
    expected = (1 - b) * p_d * (1 - p_d) / (1 - (1 - b) * p_d)
    assert grads[2] == pytest.approx(expected, rel=1e-4)


def test_disk_label_gradient_is_cross_entropy_gradient():
    # log(1 - b) does not depend on the network, so a disk label pushes exactly like CE
    logits = torch.tensor([[0.5, -1.0], [2.0, 3.0]])
    observed = torch.tensor([1, 1])
    _, g = _loss_and_grad(logits, observed, torch.tensor([3.0, 30.0]), theta=10.0)
    ref = logits.clone().requires_grad_(True)
    F.cross_entropy(ref, observed).backward()
    torch.testing.assert_close(g, ref.grad)


def test_log1mexp_accuracy():
    near = torch.tensor([-1e-10, -1e-3, -0.5, -0.7, -1.0], dtype=torch.float64)
    np.testing.assert_allclose(log1mexp(near).numpy(), np.log(-np.expm1(near.numpy())), rtol=1e-12)
    # far from 0, log(1 - e^x) = -e^x - e^{2x}/2 - ...; the naive log(-expm1) loses digits here
    far = torch.tensor([-30.0, -60.0, -1e4, -math.inf], dtype=torch.float64)
    np.testing.assert_allclose(log1mexp(far).numpy(), -np.exp(far.numpy()), rtol=1e-12, atol=0)
    # x = 0 is clamped to a finite value
    assert torch.isfinite(log1mexp(torch.tensor([0.0]))).all()


def test_reductions_and_log_likelihood():
    logits = torch.randn(7, 2, generator=torch.Generator().manual_seed(0))
    observed = torch.tensor([0, 1, 0, 1, 1, 0, 0])
    alpha = torch.linspace(1, 30, 7)
    none = ddb_nll(logits, observed, alpha, 10.0, reduction="none")
    assert none.shape == (7,)
    torch.testing.assert_close(ddb_nll(logits, observed, alpha, 10.0), none.mean())
    torch.testing.assert_close(ddb_nll(logits, observed, alpha, 10.0, reduction="sum"), none.sum())
    torch.testing.assert_close(-ddb_log_likelihood(logits, observed, alpha, torch.tensor(10.0)), none)
    # the two observed-class probabilities sum to 1 for every object
    p_s = ddb_log_likelihood(logits, torch.zeros(7, dtype=torch.long), alpha, 10.0).exp()
    p_d = ddb_log_likelihood(logits, torch.ones(7, dtype=torch.long), alpha, 10.0).exp()
    torch.testing.assert_close(p_s + p_d, torch.ones(7))


def test_bf16_logits_are_promoted():
    logits = torch.randn(4, 2).bfloat16()
    out = ddb_nll(logits, torch.tensor([0, 1, 0, 1]), torch.ones(4) * 5, 10.0)
    assert out.dtype == torch.float32


def test_bad_arguments_are_named():
    logits = torch.zeros(3, 2)
    obs = torch.tensor([0, 1, 0])
    alpha = torch.ones(3)
    with pytest.raises(ValueError, match="theta must be a positive"):
        ddb_nll(logits, obs, alpha, 0.0)
    with pytest.raises(ValueError, match="theta must be a positive"):
        ddb_nll(logits, obs, alpha, float("nan"))
    with pytest.raises(ValueError, match="must not be a trainable"):
        ddb_nll(logits, obs, alpha, torch.tensor(10.0, requires_grad=True))
    with pytest.raises(ValueError, match=r"logits must have shape \(N, 2\)"):
        ddb_nll(torch.zeros(3, 3), obs, alpha, 10.0)
    with pytest.raises(ValueError, match="alpha must have shape"):
        ddb_nll(logits, obs, torch.ones(4), 10.0)
    with pytest.raises(ValueError, match="unknown reduction"):
        ddb_nll(logits, obs, alpha, 10.0, reduction="avg")


def test_get_loss():
    assert get_loss("ce") is cross_entropy
    assert get_loss("ddb") is ddb_nll
    assert needs_theta("ddb") and not needs_theta("ce")
    with pytest.raises(ValueError, match="unknown loss 'mse'; use one of bce, ce, ddb"):
        get_loss("mse")
    # all accept the same call
    logits, obs, alpha = torch.zeros(2, 2), torch.tensor([0, 1]), torch.ones(2)
    for name in ("ce", "ddb"):
        assert torch.isfinite(get_loss(name)(logits, obs, alpha, 10.0))
    assert torch.isfinite(get_loss("bce")(torch.zeros(2, 1), obs, alpha, 10.0))


def test_bce_is_two_class_cross_entropy_of_the_logit_difference():
    """A single logit z equals two logits (0, z): sigmoid(z) is their softmax's disk share."""
    from galbias.methods.losses import binary_cross_entropy, p_disk

    z = torch.tensor([-2.0, 0.3, 4.0])
    obs = torch.tensor([0, 1, 1])
    two = torch.stack([torch.zeros(3), z], dim=1)
    torch.testing.assert_close(binary_cross_entropy(z[:, None], obs), cross_entropy(two, obs))
    torch.testing.assert_close(p_disk(z[:, None]), p_disk(two))
    with pytest.raises(ValueError, match="shape"):
        binary_cross_entropy(z, obs[:2])


def test_ddb_shape_with_k2_is_ddb_and_infinite_alpha_is_cross_entropy():
    import math

    from galbias.methods.losses import check_bias_parameter, ddb_nll, ddb_shape_nll

    g = torch.Generator().manual_seed(0)
    logits = torch.randn(64, 2, generator=g, dtype=torch.float64)
    y = torch.randint(0, 2, (64,), generator=g)
    alpha = torch.rand(64, generator=g, dtype=torch.float64) * 30 + 0.5
    assert torch.allclose(ddb_shape_nll(logits, y, alpha, (7.0, 2.0)), ddb_nll(logits, y, alpha, 7.0))
    assert not torch.allclose(ddb_shape_nll(logits, y, alpha, (7.0, 1.0)), ddb_nll(logits, y, alpha, 7.0))
    inf = torch.full((64,), math.inf, dtype=torch.float64)
    ce = torch.nn.functional.cross_entropy(logits, y)
    assert torch.allclose(ddb_shape_nll(logits, y, inf, (7.0, 1.3)), ce)
    assert check_bias_parameter("ddb_shape", [7, 1.5]) == (7.0, 1.5) and check_bias_parameter("ce", None) is None
    with pytest.raises(ValueError, match=r"theta = \(theta, k\)"):
        ddb_shape_nll(logits, y, alpha, 7.0)
    with pytest.raises(ValueError, match="positive, finite theta"):
        check_bias_parameter("ddb", -1)

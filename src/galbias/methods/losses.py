r"""Loss functions: the DDB marginal likelihood (paper §4.3) and plain cross-entropy.

Both are small pure functions of tensors, so they can be tested on their own and used by
any training loop.  Class codes follow the rest of the package: 0 = smooth, 1 = disk, and
``logits[:, 0]`` / ``logits[:, 1]`` are the network's scores for the *true* class.

The DDB likelihood
------------------
The network models the true class, :math:`p_d = p(y = d \mid x, w)`.  The volunteers'
label :math:`\tilde y` depends only on the true class and on the resolution parameter
:math:`\alpha` through the bias model :math:`b(\alpha;\theta) = e^{-\alpha^2/2\theta^2}`
(a disk is called smooth with probability *b*; a smooth galaxy is never called a disk).
Summing over the unknown true class,

.. math::

    p(\tilde y = d \mid x) = (1 - b)\, p_d, \qquad
    p(\tilde y = s \mid x) = (1 - p_d) + b\, p_d ,

and the loss is the mean of :math:`-\log p(\tilde y_i \mid x_i)`.  Everything is computed
in log space: :math:`\log p_d` from ``log_softmax``, :math:`\log b = -\alpha^2/2\theta^2`
written down directly (never ``log(exp(...))``), :math:`\log(1-b)` with a stable
:func:`log1mexp`, and the smooth case as a ``logsumexp`` of :math:`\log p_s` and
:math:`\log b + \log p_d`.  theta is a fixed number fitted beforehand (chapter 3), never a
trainable parameter.

Two limits worth knowing:

- **b = 0** (theta -> 0+, or alpha very large): the loss *is* the cross-entropy.
- **b -> 1** (alpha -> 0, the galaxy is unresolved): a *smooth* label has probability
  :math:`1 - (1-b) p_d \to 1` whatever the network says, so its gradient with respect to
  the logits vanishes like :math:`(1 - b)`.  The model learns nothing from a smooth label
  on an unresolved galaxy -- which is the point: such a label says nothing about the true
  class.  A *disk* label there is (nearly) impossible under the model; its loss stays
  finite (``log(1-b)`` is clamped, see :func:`log1mexp`) and its gradient is the ordinary
  cross-entropy gradient, because :math:`\log(1-b)` does not depend on the network.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["LOSSES", "THETA_LOSSES", "binary_cross_entropy", "check_bias_parameter", "cross_entropy",
           "ddb_log_likelihood", "ddb_nll", "ddb_shape_nll", "get_loss", "log1mexp", "log_bias", "needs_theta", "p_disk"]

#: upper bound applied to log b inside log(1 - b), so b = 1 (alpha = 0) gives a finite value
#: (log(1 - b) >= log(1e-12) ~ -27.6) rather than -inf.
LOG_B_MAX = -1e-12

_REDUCTIONS = ("mean", "sum", "none")


def _float_dtype(t: torch.Tensor) -> torch.dtype:
    """At least float32 (bf16/fp16 logits from autocast are promoted), float64 kept."""
    return torch.promote_types(t.dtype, torch.float32) if t.is_floating_point() else torch.float32


def log1mexp(x: torch.Tensor) -> torch.Tensor:
    r""":math:`\log(1 - e^{x})` for :math:`x \le 0`, accurate over the whole range.

    Uses ``log(-expm1(x))`` near 0 and ``log1p(-exp(x))`` far from 0 (Mächler 2012).  ``x``
    is first clamped to :data:`LOG_B_MAX` so that ``x = 0`` gives a large negative but finite
    value.  Both branches are fed only inputs valid for them (the "double where"), so no
    NaN leaks into the gradient from the branch that is not taken.
    """
    x = torch.clamp(x, max=LOG_B_MAX)
    near = x > -math.log(2.0)
    x_near = torch.where(near, x, torch.full_like(x, -1.0))
    x_far = torch.where(near, torch.full_like(x, -1.0), x)
    return torch.where(near, torch.log(-torch.expm1(x_near)), torch.log1p(-torch.exp(x_far)))


def log_bias(alpha: torch.Tensor, theta: float | torch.Tensor) -> torch.Tensor:
    r""":math:`\log b(\alpha;\theta) = -\tfrac12 (\alpha/\theta)^2` (ratio first: no overflow of alpha^2)."""
    return -0.5 * torch.square(alpha / theta)


def _theta_value(theta: float | torch.Tensor) -> float:
    if isinstance(theta, torch.Tensor):
        if theta.numel() != 1:
            raise ValueError(f"theta must be a single number, got a tensor of shape {tuple(theta.shape)}")
        if theta.requires_grad:
            raise ValueError("theta is fitted beforehand (chapter 3) and must not be a trainable tensor")
        theta = theta.item()
    try:
        value = float(theta)
    except (TypeError, ValueError):
        raise ValueError(f"theta must be a positive number, got {theta!r}") from None
    if not value > 0 or math.isnan(value):
        raise ValueError(f"theta must be a positive number (alpha units), got {value}")
    return value


def _check_inputs(logits: torch.Tensor, observed: torch.Tensor, alpha: torch.Tensor | None) -> None:
    if logits.ndim != 2 or logits.shape[1] != 2:
        raise ValueError(f"logits must have shape (N, 2) [smooth, disk], got {tuple(logits.shape)}")
    n = logits.shape[0]
    if observed.shape != (n,):
        raise ValueError(f"observed labels must have shape ({n},) to match the logits, got {tuple(observed.shape)}")
    if alpha is not None and alpha.shape != (n,):
        raise ValueError(f"alpha must have shape ({n},) to match the logits, got {tuple(alpha.shape)}")


def _reduce(nll: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return nll.mean()
    if reduction == "sum":
        return nll.sum()
    if reduction == "none":
        return nll
    raise ValueError(f"unknown reduction {reduction!r}; use one of {', '.join(_REDUCTIONS)}")


def ddb_log_likelihood(logits: torch.Tensor, observed: torch.Tensor, alpha: torch.Tensor,
                       theta: float | torch.Tensor) -> torch.Tensor:
    r"""Per-object :math:`\log p(\tilde y_i \mid x_i)` under the DDB model (shape (N,))."""
    _check_inputs(logits, observed, alpha)
    theta = _theta_value(theta)
    dtype = _float_dtype(logits)
    logp = F.log_softmax(logits.to(dtype), dim=1)
    log_ps, log_pd = logp[:, 0], logp[:, 1]
    log_b = log_bias(alpha.to(device=logits.device, dtype=dtype), theta)
    # observed disk: log(1 - b) + log p_d
    ll_disk = log1mexp(log_b) + log_pd
    # observed smooth: log(p_s + b p_d)
    ll_smooth = torch.logsumexp(torch.stack([log_ps, log_b + log_pd], dim=1), dim=1)
    is_disk = observed.to(logits.device) == 1
    return torch.where(is_disk, ll_disk, ll_smooth)


def ddb_nll(logits: torch.Tensor, observed: torch.Tensor, alpha: torch.Tensor,
            theta: float | torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Negative log of the DDB marginal likelihood (paper eq. 8 with the §4.2 bias model).

    Parameters
    ----------
    logits : (N, 2) tensor
        Network scores for the *true* class, column 0 smooth, column 1 disk.
    observed : (N,) integer tensor
        The biased (volunteer) labels, 0 = smooth, 1 = disk.
    alpha : (N,) tensor
        Resolution parameter of each object (Petrosian radius / PSF sigma), >= 0.
    theta : float or 0-dim tensor
        Bias-model scale, fitted beforehand; must be positive and is never trained.
        ``theta = inf`` gives b = 1 everywhere (nothing can be learnt).
    reduction : "mean" (default), "sum" or "none"

    Computed in float32 at least (float64 inputs stay float64).  With b = 0 this equals
    ``torch.nn.functional.cross_entropy``; as b -> 1 the gradient of a smooth label vanishes
    (see the module docstring).
    """
    return _reduce(-ddb_log_likelihood(logits, observed, alpha, theta), reduction)


def ddb_shape_nll(logits: torch.Tensor, observed: torch.Tensor, alpha: torch.Tensor,
                  theta: tuple[float, float], reduction: str = "mean") -> torch.Tensor:
    r"""The DDB likelihood with the two-parameter bias shape
    :math:`b = \exp(-\tfrac12(\alpha/\theta)^k)` (:func:`galbias.methods.bias.bias_shape_probability`).

    ``theta`` is the pair ``(theta, k)`` fitted beforehand (chapter 3, unbinned maximum
    likelihood); ``k = 2`` is exactly :func:`ddb_nll`.  Galaxies with ``alpha = inf`` have b = 0:
    their labels count as plain cross-entropy (used for degraded copies of resolved galaxies,
    whose labels were made at high resolution).
    """
    t, k = check_bias_parameter("ddb_shape", theta)
    _check_inputs(logits, observed, alpha)
    dtype = _float_dtype(logits)
    logp = F.log_softmax(logits.to(dtype), dim=1)
    log_ps, log_pd = logp[:, 0], logp[:, 1]
    a = alpha.to(device=logits.device, dtype=dtype)
    log_b = -0.5 * torch.pow(a / t, k)
    ll_disk = log1mexp(log_b) + log_pd
    ll_smooth = torch.logsumexp(torch.stack([log_ps, log_b + log_pd], dim=1), dim=1)
    ll = torch.where(observed.to(logits.device) == 1, ll_disk, ll_smooth)
    return _reduce(-ll, reduction)


def check_bias_parameter(loss: str, theta: object) -> float | tuple[float, float] | None:
    """The bias parameter of ``loss`` in its normal form, or a ``ValueError`` saying what is wrong:
    a positive finite float for ``ddb``, a pair ``(theta, k)`` of positive finite floats for
    ``ddb_shape``, None for the losses that take none."""
    if not needs_theta(loss):
        return None
    if loss == "ddb_shape":
        try:
            t, k = (float(v) for v in theta)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise ValueError(f"loss 'ddb_shape' needs theta = (theta, k), two positive numbers; got {theta!r}") from None
        if not all(math.isfinite(v) and v > 0 for v in (t, k)):
            raise ValueError(f"loss 'ddb_shape' needs theta = (theta, k), two positive numbers; got {theta!r}")
        return (t, k)
    try:
        v = float(theta)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"loss {loss!r} needs a positive, finite theta; got {theta!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"loss {loss!r} needs a positive, finite theta; got {theta!r}")
    return v


def cross_entropy(logits: torch.Tensor, observed: torch.Tensor, alpha: torch.Tensor | None = None,
                  theta: float | torch.Tensor | None = None, reduction: str = "mean") -> torch.Tensor:
    """Ordinary cross-entropy on the observed labels (``alpha`` and ``theta`` are ignored).

    It takes the same arguments as :func:`ddb_nll` so a training loop can call either.
    """
    _check_inputs(logits, observed, None)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; use one of {', '.join(_REDUCTIONS)}")
    logits = logits.to(_float_dtype(logits))
    return F.cross_entropy(logits, observed.to(logits.device).long(), reduction=reduction)


def binary_cross_entropy(logits: torch.Tensor, observed: torch.Tensor, alpha: torch.Tensor | None = None,
                         theta: float | torch.Tensor | None = None, reduction: str = "mean") -> torch.Tensor:
    """Binary cross-entropy of a single-logit network (``logits`` (N,) or (N, 1): the disk/spiral score).

    Dhar & Shamir's network (chapter 9) has one sigmoid output; this is that loss, computed stably
    from the logit.  Same call signature as :func:`ddb_nll` (``alpha``, ``theta`` ignored).
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; use one of {', '.join(_REDUCTIONS)}")
    z = logits.reshape(-1).to(_float_dtype(logits))
    if observed.shape != z.shape:
        raise ValueError(f"observed labels must have shape {tuple(z.shape)} to match the logits, "
                         f"got {tuple(observed.shape)}")
    return F.binary_cross_entropy_with_logits(z, observed.to(z.device, z.dtype), reduction=reduction)


def p_disk(logits: torch.Tensor) -> torch.Tensor:
    """p(disk) from a network's output: softmax of two logits [smooth, disk], or sigmoid of one."""
    logits = logits.float()
    if logits.ndim == 2 and logits.shape[1] == 2:
        return torch.softmax(logits, dim=1)[:, 1]
    return torch.sigmoid(logits.reshape(-1))


LossFn = Callable[..., torch.Tensor]

#: loss names accepted by :func:`get_loss` (and by the training engine, :mod:`galbias.methods.engine`)
LOSSES: dict[str, LossFn] = {"ce": cross_entropy, "ddb": ddb_nll, "ddb_shape": ddb_shape_nll,
                             "bce": binary_cross_entropy}
#: the losses that use the bias-model parameter theta
THETA_LOSSES = {"ddb", "ddb_shape"}


def get_loss(name: str) -> LossFn:
    """The loss called ``name``: ``"ce"`` (cross-entropy), ``"ddb"`` (the DDB likelihood) or
    ``"bce"`` (binary cross-entropy of a single-logit network).

    Every loss is called as ``loss(logits, observed, alpha, theta, reduction="mean")``.
    """
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {name!r}; use one of {', '.join(sorted(LOSSES))}") from None


def needs_theta(name: str) -> bool:
    """Whether the loss called ``name`` uses the bias-model parameter theta."""
    get_loss(name)
    return name in THETA_LOSSES

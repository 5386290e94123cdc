"""The authors' association head (batch normalisation, max-min normalised softmax) and the
rates of their loss as numba kernels with hand-written gradients, for the float32 rewrites of
the step (``float32_rewrites.py``).

The library computes them as chains of torch operations: about fifteen for the batch
normalisation, fifteen for the softmax and forty for the two rates, forward and backward,
each a pass over the (B, I, 256) or (B, I, J) arrays and, at SRL's tens of events, mostly
dispatch. Here each is one pass per event forward and one backward, with the same maths:

- **The batch normalisation** (:func:`batch_norm`): per event and feature over the UEs, with
  the statistics accumulated in float64.
- **The association** (:func:`maxmin_softmax`): ``x_ij = softmax_j((z_ij - max_j z) / (max_j z -
  min_j z) / T)``. With the authors' temperature ``T = 0.001`` an entry more than 10.4% of its
  row's range below the row's maximum has ``x_ij < 2^-149``, zero in float32, so the kernel
  evaluates the exponential only for the entries near the top of their row; the gradient
  flows, as in torch, through the entries and through the row's maximum and minimum. It rounds
  as torch's softmax does on this CPU (the normalised logits divided by the float32
  temperature, the float32 exponentials summed in torch's vector order, each multiplied by the
  float32 reciprocal of the sum), not as a correctly rounded quotient would: the authors' loss
  counts ``1 - x_ij`` of the serving BS's power as interference and so resolves ``x_ij`` at
  float32's last bit (:data:`LANES`).
- **The rates of the loss** (:func:`rate_terms`): ``R_pc`` and ``R_ua`` of
  :func:`hudnlib.gnn.authors.authors_loss_terms` (float64, as the library), with their
  gradients in the powers and in ``x`` (through each UE's signal, its soft load
  ``max_j x_ij sum_k x_kj`` and the column sums inside it) computed in the forward pass. The
  cross-entropy stays torch's.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numba import njit, prange

from hudnlib.gnn.authors import LOSS_WEIGHTS

__all__ = ["maxmin_softmax_kernel", "maxmin_softmax_backward_kernel", "maxmin_softmax", "batch_norm_kernel",
           "batch_norm_backward_kernel", "batch_norm", "rate_terms_kernel", "rate_terms", "loss_terms"]

UNDERFLOW = -104.0
"""Below this exponent ``exp`` is under float32's smallest subnormal (2^-149 = e^-103.3)."""

LANES = 16 if torch.backends.cpu.get_cpu_capability() == "AVX512" else 8
"""The float32 lanes of torch's vectors on this CPU. Torch's softmax sums a row's exponentials
in that many lanes (the first ``LANES`` entries, then each further block added lane by lane,
the last partial block into its first lanes) and then folds the lanes pairwise (lane ``l``
plus lane ``l ^ s`` for ``s = LANES / 2, ..., 1``). The order decides the sum's last bit, and
with it whether a row's largest entry is exactly 1.0. The authors' loss counts ``1 - x_ij``
of the serving BS's received power as interference, so for a UE whose signal exceeds the rest
of its interference more than 2^24 times (72 dB) that bit decides its interference,
and its gradient in ``x`` changes by orders of magnitude with it. The kernel's first form, a
correctly rounded quotient, gave the largest entry another value than torch's in about 0.7% of
a GRL batch's rows, and at some steps one such row carries nearly all of the step's gradient."""

TINY = float(np.finfo(np.float64).tiny)
"""The interference floor of the library's rates (``torch.finfo(torch.float64).tiny``)."""


@njit(cache=True, parallel=True)
def maxmin_softmax_kernel(z: np.ndarray, temperature: float, x: np.ndarray, scale: np.ndarray,
                          top_at: np.ndarray, bottom_at: np.ndarray) -> None:
    """``x[b, i] = softmax((z[b, i] - max) / max(max - min, 1e-12) / temperature)``.

    Parameters
    ----------
    z : ndarray of float32, shape (B, I, J)
        Association logits.
    temperature : float
    x : ndarray of float32, shape (B, I, J)
        The association (out; NaN in a row with a NaN logit, as torch gives).
    scale : ndarray of float32, shape (B, I)
        Each row's ``max(max - min, 1e-12)`` (out).
    top_at, bottom_at : ndarray of int64, shape (B, I)
        Where each row's maximum and minimum are, the first of ties (out).
    """
    n_batch, n_rows, n_cols = z.shape
    t32 = np.float32(temperature)
    for b in prange(n_batch):
        lanes = np.empty(LANES, np.float32)
        for i in range(n_rows):
            row, out = z[b, i], x[b, i]
            hi, lo, invalid = 0, 0, False
            for j in range(n_cols):
                if row[j] > row[hi]:
                    hi = j
                if row[j] < row[lo]:
                    lo = j
                invalid |= np.isnan(row[j])
            if invalid:  # as torch: a NaN logit makes its row NaN
                out[:] = np.nan
                scale[b, i], top_at[b, i], bottom_at[b, i] = np.nan, hi, lo
                continue
            top = row[hi]
            r = max(top - row[lo], np.float32(1e-12))
            for j in range(n_cols):
                v = (row[j] - top) / r / t32
                out[j] = math.exp(v) if v > UNDERFLOW else np.float32(0.0)
            inverse = np.float32(1.0) / _lane_sum(out, lanes)
            for j in range(n_cols):
                out[j] *= inverse
            scale[b, i], top_at[b, i], bottom_at[b, i] = r, hi, lo


@njit(cache=True, inline="always")
def _lane_sum(values, lanes):
    """``values``' float32 sum in torch's vector order (:data:`LANES`), ``lanes`` a scratch
    array of that length."""
    n, width = values.shape[0], lanes.shape[0]
    lanes[:] = 0.0
    for at in range(0, n, width):
        for lane in range(min(width, n - at)):
            lanes[lane] += values[at + lane]
    step = width // 2
    while step > 0:
        for lane in range(width):
            if lane & step == 0:
                lanes[lane] = lanes[lane ^ step] = lanes[lane] + lanes[lane ^ step]
        step //= 2
    return lanes[0]


@njit(cache=True)
def _row_backward(row, xr, g, out, r, hi, lo, inverse_t):
    """:func:`maxmin_softmax_backward_kernel` on one row (a function of its own: inlined in
    the ``prange`` loop, numba's parallel transform dropped the maximum's share of the spread)."""
    through = 0.0
    for j in range(row.shape[0]):
        through += xr[j] * g[j]
    top = np.float64(row[hi])
    total, weighted = 0.0, 0.0
    for j in range(row.shape[0]):
        dn = xr[j] * (g[j] - through) * inverse_t  # the softmax's, over the temperature
        out[j] = dn / r
        total += dn
        weighted += dn * (row[j] - top) / r
    d_top = -total / r
    if row[hi] - row[lo] >= np.float32(1e-12):  # the spread not clamped
        d_spread = -weighted / r
        d_top += d_spread
        out[lo] -= d_spread
    out[hi] += d_top


@njit(cache=True, parallel=True)
def maxmin_softmax_backward_kernel(grad: np.ndarray, z: np.ndarray, x: np.ndarray, scale: np.ndarray,
                                   top_at: np.ndarray, bottom_at: np.ndarray, temperature: float,
                                   grad_z: np.ndarray) -> None:
    """The gradient ``grad_z`` (float32, (B, I, J)) of :func:`maxmin_softmax_kernel` from the
    gradient ``grad`` of ``x``: the softmax's, then the normalisation's, whose maximum and
    minimum pass theirs to the entries they were taken from (as torch's ``max``/``min``)."""
    n_batch, n_rows, _ = z.shape
    inverse_t = 1.0 / temperature
    for b in prange(n_batch):
        for i in range(n_rows):
            _row_backward(z[b, i], x[b, i], grad[b, i], grad_z[b, i], np.float64(scale[b, i]), top_at[b, i],
                          bottom_at[b, i], inverse_t)


class _MaxMinSoftmax(torch.autograd.Function):
    """:func:`maxmin_softmax_kernel` and its gradient as one autograd step."""

    @staticmethod
    def forward(ctx, z: torch.Tensor, temperature: float):
        z = z.detach().contiguous()
        x = np.empty(z.shape, np.float32)
        scale = np.empty(z.shape[:2], np.float32)
        top_at, bottom_at = np.empty(z.shape[:2], np.int64), np.empty(z.shape[:2], np.int64)
        maxmin_softmax_kernel(z.numpy(), temperature, x, scale, top_at, bottom_at)
        x = torch.from_numpy(x)
        ctx.save_for_backward(z, x)
        ctx.rest = (scale, top_at, bottom_at, temperature)
        return x

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        z, x = ctx.saved_tensors
        grad_z = np.empty(z.shape, np.float32)
        maxmin_softmax_backward_kernel(grad.contiguous().numpy(), z.numpy(), x.numpy(), *ctx.rest, grad_z)
        return torch.from_numpy(grad_z), None


def maxmin_softmax(z: torch.Tensor, temperature: float) -> torch.Tensor:
    """The authors' association ``softmax((z - max) / (max - min).clamp(min=1e-12) /
    temperature)`` over the last axis, differentiable in ``z`` (see :func:`maxmin_softmax_kernel`).

    Raises
    ------
    TypeError
        ``z`` is not a float32 CPU tensor of shape (B, I, J).
    """
    if z.dtype != torch.float32 or z.device.type != "cpu" or z.dim() != 3:
        raise TypeError(f"z must be a float32 CPU tensor of shape (B, I, J), got {z.dtype} {tuple(z.shape)} "
                        f"on {z.device}")
    return _MaxMinSoftmax.apply(z, float(temperature))


@njit(cache=True, parallel=True)
def batch_norm_kernel(u: np.ndarray, scale: np.ndarray, shift: np.ndarray, out: np.ndarray, mean: np.ndarray,
                      inverse_std: np.ndarray) -> None:
    """``out[b] = (u[b] - mean) / sqrt(var + 1e-5) * scale[b] + shift[b]``, the statistics per
    event and feature over the rows (the authors' per-event batch normalisation of the UEs).

    Parameters
    ----------
    u : ndarray of float32, shape (B, I, F)
    scale, shift : ndarray of float32, shape (1 or B, F)
    out : ndarray of float32, shape (B, I, F)
        (out)
    mean, inverse_std : ndarray of float64, shape (B, F)
        Each event's means and ``1 / sqrt(var + 1e-5)`` (biased variance; out).
    """
    n_batch, n_rows, n_features = u.shape
    stride = 0 if scale.shape[0] == 1 else 1
    for b in prange(n_batch):
        m, v = np.zeros(n_features), np.zeros(n_features)
        for i in range(n_rows):
            for f in range(n_features):
                m[f] += u[b, i, f]
        m /= n_rows
        for i in range(n_rows):
            for f in range(n_features):
                d = u[b, i, f] - m[f]
                v[f] += d * d
        w = 1.0 / np.sqrt(v / n_rows + 1e-5)
        g, h = scale[b * stride], shift[b * stride]
        for i in range(n_rows):
            for f in range(n_features):
                out[b, i, f] = (u[b, i, f] - m[f]) * w[f] * g[f] + h[f]
        mean[b], inverse_std[b] = m, w


@njit(cache=True, parallel=True)
def batch_norm_backward_kernel(grad: np.ndarray, u: np.ndarray, scale: np.ndarray, mean: np.ndarray,
                               inverse_std: np.ndarray, grad_u: np.ndarray, grad_scale: np.ndarray,
                               grad_shift: np.ndarray) -> None:
    """The gradients of :func:`batch_norm_kernel` from the gradient ``grad`` of its output: in
    ``u`` (``grad_u``, shaped as ``u``) and, per event, in the scale and the shift
    (``grad_scale``, ``grad_shift``, (B, F) float32)."""
    n_batch, n_rows, n_features = u.shape
    stride = 0 if scale.shape[0] == 1 else 1
    for b in prange(n_batch):
        d_shift, d_scale = np.zeros(n_features), np.zeros(n_features)
        m, w, g = mean[b], inverse_std[b], scale[b * stride]
        for i in range(n_rows):
            for f in range(n_features):
                d_shift[f] += grad[b, i, f]
                d_scale[f] += grad[b, i, f] * (u[b, i, f] - m[f]) * w[f]
        for i in range(n_rows):  # the normalised rows' gradient less its mean and its projection on them
            for f in range(n_features):
                normalised = (u[b, i, f] - m[f]) * w[f]
                grad_u[b, i, f] = w[f] * g[f] * (grad[b, i, f] - (d_shift[f] + normalised * d_scale[f]) / n_rows)
        grad_scale[b], grad_shift[b] = d_scale, d_shift


class _BatchNorm(torch.autograd.Function):
    """:func:`batch_norm_kernel` and its gradient as one autograd step."""

    @staticmethod
    def forward(ctx, u: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor):
        u = u.detach().contiguous()
        flat = [v.detach().reshape(-1, u.shape[-1]).contiguous() for v in (scale, shift)]
        out = np.empty(u.shape, np.float32)
        mean, inverse_std = np.empty((u.shape[0], u.shape[-1])), np.empty((u.shape[0], u.shape[-1]))
        batch_norm_kernel(u.numpy(), flat[0].numpy(), flat[1].numpy(), out, mean, inverse_std)
        ctx.save_for_backward(u, flat[0])
        ctx.rest = mean, inverse_std, scale.dim()
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        u, scale = ctx.saved_tensors
        mean, inverse_std, dims = ctx.rest
        grad_u = np.empty(u.shape, np.float32)
        grad_scale, grad_shift = (np.empty((u.shape[0], u.shape[-1]), np.float32) for _ in range(2))
        batch_norm_backward_kernel(grad.contiguous().numpy(), u.numpy(), scale.numpy(), mean, inverse_std, grad_u,
                                   grad_scale, grad_shift)
        grad_scale, grad_shift = torch.from_numpy(grad_scale), torch.from_numpy(grad_shift)
        if dims == 1:  # one scale and shift for every event
            grad_scale, grad_shift = grad_scale.sum(0), grad_shift.sum(0)
        return torch.from_numpy(grad_u), grad_scale, grad_shift


def batch_norm(u: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """The authors' per-event batch normalisation of the UE states ``u`` (B, I, F) over the UEs,
    with ``scale`` and ``shift`` (F,) or one per event (B, F): :meth:`AuthorsHGSAGE.forward`'s
    ``centred * rsqrt(mean(centred^2) + 1e-5) * scale + shift``, differentiable in all three.

    Raises
    ------
    TypeError
        An argument is not a float32 CPU tensor.
    """
    for name, value in (("u", u), ("scale", scale), ("shift", shift)):
        if value.dtype != torch.float32 or value.device.type != "cpu":
            raise TypeError(f"{name} must be a float32 CPU tensor (the kernel's type), got {value.dtype} on "
                            f"{value.device}")
    return _BatchNorm.apply(u, scale, shift)


@njit(cache=True)
def _rate(x, power, active, gain, i, load, tiny):
    """UE ``i``'s ``log2(1 + S / I) / load`` (no noise, the ``active`` BSs transmitting), and the
    derivatives of that in its signal ``S`` and in its total received power."""
    total, signal = 0.0, 0.0
    for j in range(gain.shape[1]):
        received = power[j] * active[j] * gain[i, j]
        total += received
        signal += np.float64(x[i, j]) * received
    interference = total - signal
    floored = interference < tiny
    if floored:
        interference = tiny
    u = signal / interference
    slope = 1.0 / ((1.0 + u) * math.log(2.0) * load)
    d_interference = 0.0 if floored else -slope * u / interference
    return math.log2(1.0 + u) / load, slope / interference - d_interference, d_interference


@njit(cache=True, parallel=True)
def rate_terms_kernel(x: np.ndarray, power: np.ndarray, gain: np.ndarray, rate_pc: np.ndarray,
                      rate_ua: np.ndarray, grad_power: np.ndarray, grad_x: np.ndarray) -> None:
    """The rates ``R_pc`` and ``R_ua`` of :func:`hudnlib.gnn.authors.authors_loss_terms` per event
    and their gradients: ``R_pc``'s in the powers (its association and loads fixed), ``R_ua``'s in
    ``x`` (its powers fixed).

    Parameters
    ----------
    x : ndarray of float32, shape (B, I, J)
        Soft association.
    power : ndarray of float64, shape (B, J)
        Powers (W).
    gain : ndarray of float64, shape (B, I, J)
        Linear gains.
    rate_pc, rate_ua : ndarray of float64, shape (B,)
        The rates (out, bit/s/Hz).
    grad_power : ndarray of float64, shape (B, J)
        ``d R_pc / d power`` (out).
    grad_x : ndarray of float32, shape (B, I, J)
        ``d R_ua / d x`` (out).
    """
    n_batch, n_ue, n_bs = x.shape
    for b in prange(n_batch):
        xb, p, g = x[b], power[b], gain[b]
        hard = np.empty(n_ue, np.int64)
        count, soft_count = np.zeros(n_bs), np.zeros(n_bs)
        for i in range(n_ue):
            at = 0
            for j in range(n_bs):
                soft_count[j] += xb[i, j]
                if xb[i, j] > xb[i, at]:
                    at = j
            hard[i] = at
            count[at] += 1.0
        on_pc, on_ua = (count > 0) * 1.0, (soft_count > 0) * 1.0
        column = np.zeros(n_bs)  # d R_ua / d soft_count, through the soft loads
        grad = np.zeros((n_ue, n_bs))
        pc, ua = 0.0, 0.0
        grad_power[b] = 0.0
        for i in range(n_ue):
            f, d_signal, d_total = _rate(xb, p, on_pc, g, i, count[hard[i]], TINY)
            pc += f
            for j in range(n_bs):
                grad_power[b, j] += on_pc[j] * g[i, j] * (d_signal * xb[i, j] + d_total)
            at = 0
            for j in range(1, n_bs):
                if xb[i, j] * soft_count[j] > xb[i, at] * soft_count[at]:
                    at = j
            load = xb[i, at] * soft_count[at]
            f, d_signal, _ = _rate(xb, p, on_ua, g, i, load, TINY)
            ua += f
            for j in range(n_bs):
                grad[i, j] = d_signal * p[j] * on_ua[j] * g[i, j]
            d_load = -f / load  # f is already over the load
            grad[i, at] += d_load * soft_count[at]
            column[at] += d_load * xb[i, at]
        for i in range(n_ue):
            for j in range(n_bs):
                grad_x[b, i, j] = grad[i, j] + column[j]
        rate_pc[b], rate_ua[b] = pc, ua


class _RateTerms(torch.autograd.Function):
    """:func:`rate_terms_kernel` as one autograd step (its gradients computed forward)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, power: torch.Tensor, gain: torch.Tensor):
        n_batch = x.shape[0]
        rate_pc, rate_ua = np.empty(n_batch), np.empty(n_batch)
        grad_power, grad_x = np.empty(power.shape), np.empty(x.shape, np.float32)
        rate_terms_kernel(x.detach().contiguous().numpy(), power.detach().contiguous().numpy(),
                          gain.contiguous().numpy(), rate_pc, rate_ua, grad_power, grad_x)
        ctx.grads = torch.from_numpy(grad_power), torch.from_numpy(grad_x)
        return torch.from_numpy(rate_pc), torch.from_numpy(rate_ua)

    @staticmethod
    def backward(ctx, g_pc: torch.Tensor, g_ua: torch.Tensor):
        grad_power, grad_x = ctx.grads
        return grad_x * g_ua.float()[:, None, None], grad_power * g_pc[:, None], None


def rate_terms(x: torch.Tensor, power: torch.Tensor, gain: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(R_pc, R_ua)`` per event (B,) of :func:`hudnlib.gnn.authors.authors_loss_terms`,
    differentiable as there: ``R_pc`` in ``power`` only, ``R_ua`` in ``x`` only.

    Raises
    ------
    TypeError
        ``x`` is not float32, or ``power`` or ``gain`` not float64, or one is not on the CPU.
    """
    for name, value, dtype in (("x", x, torch.float32), ("power", power, torch.float64),
                               ("gain", gain, torch.float64)):
        if value.dtype != dtype or value.device.type != "cpu":
            raise TypeError(f"{name} must be a {dtype} CPU tensor (the kernel's type), got {value.dtype} on "
                            f"{value.device}")
    return _RateTerms.apply(x, power, gain)


def loss_terms(z: torch.Tensor, x: torch.Tensor, power: torch.Tensor, gain: torch.Tensor,
               labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """:func:`hudnlib.gnn.authors.authors_loss_terms` (its arguments, terms and gradients) with
    the rates from :func:`rate_terms`; the cross-entropy is torch's, as there."""
    rate_pc, rate_ua = rate_terms(x, power, gain)
    supervised = torch.nn.functional.cross_entropy(z.transpose(1, 2), labels, reduction="none").mean(-1)
    w = LOSS_WEIGHTS
    loss = w["supervised"] * supervised - w["rate_pc"] * rate_pc - w["rate_ua"] * rate_ua
    return {"supervised": supervised, "rate_pc": rate_pc, "rate_ua": rate_ua, "loss": loss}

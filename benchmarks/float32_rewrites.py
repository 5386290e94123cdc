"""Same-maths float32 rewrites of the authors' GRL and SRL step, measured by
``precision_study.py`` (its form ``float32-rewritten``); not (yet) the library's step.

Each rewrite computes what the library computes, in float32, up to the order of the
additions:

- **The power head as one product** (:func:`collapsed_power_head`): the authors' head
  ``sigmoid(w_2^T (W_1 h_j + b_j 1))`` has no nonlinearity between its two linear maps (their
  ``GraphSage_He.py``: ``weight_ap2.mm(weight_ap1.mm(X_ap) + bais_ap)``), so it equals
  ``sigmoid((w_2^T W_1) h_j + b_j sum(w_2))``: a (256 x 1) product per BS instead of a
  (256 x 256) one, 2.6 of the step's 22.2 GFLOP. The parameters stay the factored ones, and
  autograd carries the gradients to them, so Adam's update is the same.
- **A layer after its projections as one kernel** (:func:`fused_layer`): each node averages
  at most 10 drawn neighbours, so the aggregation products of the dense (B, N, M) weight
  matrices are 90% zeros. One numba kernel gathers the drawn rows (the library's own draws,
  listed by node: ``float32_draws.py``, which reads the neighbourhoods from the adjacency
  without building them as dense matrices), adds the nodes' own parts and applies the ReLU,
  writing each new state once (no sums, concatenation or ReLU as separate passes); one more
  masks the gradient and scatters it back to the drawn rows.
- **Events drawn for this model only** (:class:`EventSource`): the library's ``event_batch``
  draws the same UEs and also computes the node and edge features of our own HGSAGE, which the
  authors' model does not read; here the gains and the labels are gathered from maps computed
  once (row-major, so that an event reads whole rows) and the unread fields are left empty.
- **The standardised gains and the logged decision rates as kernels**
  (:func:`standardised`, :func:`decision_rate`): one pass per event each, instead of five
  passes over the float32 gains and of float64 one-hot products over every (UE, BS) pair.
- **The association head and the loss's rates as kernels** (``float32_heads.py``): the batch
  normalisation, the max-min normalised softmax and the two rates of the loss, each one pass
  forward and one backward instead of tens of torch operations.
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit, prange

from hudnlib.gnn.authors import AuthorsHGSAGE, projection_params, torch_seeded_generator
from hudnlib.gnn.graph import DenseBatch, strongest_labels
from hudnlib.scenarios.paper_a import RadioMap

from float32_draws import SampledDraw, layer_draws
from float32_heads import batch_norm, maxmin_softmax

__all__ = ["collapsed_power_head", "fused_layer", "standardised_gain_kernel", "standardised", "RewrittenHGSAGE",
           "EventSource", "decision_rate_kernel", "decision_rate"]


def collapsed_power_head(params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``params`` (the layout of :func:`hudnlib.gnn.authors.projection_params`, with or without a
    leading event axis) with the power head collapsed: ``power_hidden`` becomes ``w_2^T W_1``
    (1, 256) and ``power_bias`` becomes ``b sum(w_2)``, so that the powers are
    ``sigmoid(h_j @ power_hidden^T + power_bias_j) p_max,j``; ``power_out`` is dropped."""
    out = {k: v for k, v in params.items() if k != "power_out"}
    w2 = params["power_out"]
    out["power_hidden"] = w2 @ params["power_hidden"]
    out["power_bias"] = params["power_bias"] * w2.sum(-1)
    return out


@njit(cache=True, inline="always")
def _gather_relu(h, h_col, own, own_col, other, other_col, index, count, b, acc):
    """``h[b, r, h_col:h_col + q] = relu(own[b, r, own_col:...] + mean of the drawn rows of
    other[b, :, other_col:...])`` for every row ``r`` (``q = acc.size``): the drawn rows summed
    in increasing order (two per pass over ``acc``), the sum weighted, then the own part added."""
    width = acc.shape[0]
    for r in range(h.shape[1]):
        acc[:] = 0.0
        n, t = count[b, r], 0
        while t + 1 < n:
            first = other[b, index[b, r, t], other_col:other_col + width]
            second = other[b, index[b, r, t + 1], other_col:other_col + width]
            for f in range(width):
                acc[f] = (acc[f] + first[f]) + second[f]
            t += 2
        if t < n:
            last = other[b, index[b, r, t], other_col:other_col + width]
            for f in range(width):
                acc[f] += last[f]
        weight = np.float32(1.0 / (n + 1))
        out, mine = h[b, r, h_col:h_col + width], own[b, r, own_col:own_col + width]
        for f in range(width):
            out[f] = max(mine[f] + acc[f] * weight, np.float32(0.0))


@njit(cache=True, parallel=True)
def layer_forward_kernel(y_bs: np.ndarray, y_ue: np.ndarray, i_bs_ue: np.ndarray, c_bs_ue: np.ndarray,
                         i_bs_bs: np.ndarray, c_bs_bs: np.ndarray, i_ue_bs: np.ndarray, c_ue_bs: np.ndarray,
                         i_ue_ue: np.ndarray, c_ue_ue: np.ndarray, h_bs: np.ndarray, h_ue: np.ndarray) -> None:
    """One layer of the authors' HGSAGE after its projections.

    Parameters
    ----------
    y_bs, y_ue : ndarray of float32, shape (B, J, 4q) and (B, I, 4q)
        Each node type's projections, in the order of
        :func:`hudnlib.gnn.authors.projection_params`: [first-order self part, second-order
        self part, second-order neighbour part, the part sent to the other type].
    i_bs_ue, c_bs_ue, ..., i_ue_ue, c_ue_ue : ndarray of int32
        The layer's four draws (:class:`SampledDraw`), in the order the model draws them: a
        BS's UEs, a BS's BSs, a UE's BSs, a UE's UEs.
    h_bs, h_ue : ndarray of float32, shape (B, J, 2q) and (B, I, 2q)
        The new states: ``relu([self_1 + mean of the other type's sent parts, self_2 + mean of
        the own type's neighbour parts])``.
    """
    q = y_bs.shape[2] // 4
    for b in prange(y_bs.shape[0]):
        acc = np.empty(q, np.float32)
        _gather_relu(h_bs, 0, y_bs, 0, y_ue, 3 * q, i_bs_ue, c_bs_ue, b, acc)
        _gather_relu(h_bs, q, y_bs, q, y_bs, 2 * q, i_bs_bs, c_bs_bs, b, acc)
        _gather_relu(h_ue, 0, y_ue, 0, y_bs, 3 * q, i_ue_bs, c_ue_bs, b, acc)
        _gather_relu(h_ue, q, y_ue, q, y_ue, 2 * q, i_ue_ue, c_ue_ue, b, acc)


@njit(cache=True, inline="always")
def _scatter(dst, dst_col, src, src_col, index, count, b, width):
    """Adds ``src[b, r, src_col:...] / (count[b, r] + 1)`` to ``dst[b, j, dst_col:...]`` at
    every row ``j`` that row ``r`` drew."""
    for r in range(src.shape[1]):
        weight = np.float32(1.0 / (count[b, r] + 1))
        grad = src[b, r, src_col:src_col + width]
        for t in range(count[b, r]):
            row = dst[b, index[b, r, t], dst_col:dst_col + width]
            for f in range(width):
                row[f] += weight * grad[f]


@njit(cache=True)
def _masked(grad, state, b, grad_y):
    """The first half of ``grad_y[b]`` = ``grad[b]`` where ``state[b] > 0`` (ReLU's gradient);
    the second half zeroed for the scatters."""
    width = grad.shape[2]
    for r in range(grad.shape[1]):
        for f in range(width):
            grad_y[b, r, f] = grad[b, r, f] if state[b, r, f] > 0 else np.float32(0.0)
        grad_y[b, r, width:] = 0.0


@njit(cache=True, parallel=True)
def layer_backward_kernel(g_bs: np.ndarray, g_ue: np.ndarray, h_bs: np.ndarray, h_ue: np.ndarray,
                          i_bs_ue: np.ndarray, c_bs_ue: np.ndarray, i_bs_bs: np.ndarray, c_bs_bs: np.ndarray,
                          i_ue_bs: np.ndarray, c_ue_bs: np.ndarray, i_ue_ue: np.ndarray, c_ue_ue: np.ndarray,
                          gy_bs: np.ndarray, gy_ue: np.ndarray) -> None:
    """The gradient of :func:`layer_forward_kernel` with respect to ``y_bs`` and ``y_ue``
    (into ``gy_bs``, ``gy_ue``), from the gradients ``g_bs``, ``g_ue`` of the new states ``h_bs``,
    ``h_ue``: the ReLU-masked gradients are the self parts' (the first half), and the scatters
    read them from there into the neighbour and sent parts (the second half)."""
    q = g_bs.shape[2] // 2
    for b in prange(g_bs.shape[0]):
        _masked(g_bs, h_bs, b, gy_bs)
        _masked(g_ue, h_ue, b, gy_ue)
        _scatter(gy_ue, 3 * q, gy_bs, 0, i_bs_ue, c_bs_ue, b, q)
        _scatter(gy_bs, 2 * q, gy_bs, q, i_bs_bs, c_bs_bs, b, q)
        _scatter(gy_bs, 3 * q, gy_ue, 0, i_ue_bs, c_ue_bs, b, q)
        _scatter(gy_ue, 2 * q, gy_ue, q, i_ue_ue, c_ue_ue, b, q)


class _FusedLayer(torch.autograd.Function):
    """:func:`layer_forward_kernel` and :func:`layer_backward_kernel` as one autograd step."""

    @staticmethod
    def forward(ctx, y_bs: torch.Tensor, y_ue: torch.Tensor, draws: list[SampledDraw]):
        flat = [array for draw in draws for array in draw]
        h_bs = np.empty((*y_bs.shape[:2], y_bs.shape[2] // 2), np.float32)
        h_ue = np.empty((*y_ue.shape[:2], y_ue.shape[2] // 2), np.float32)
        layer_forward_kernel(y_bs.detach().contiguous().numpy(), y_ue.detach().contiguous().numpy(), *flat,
                             h_bs, h_ue)
        h_bs, h_ue = torch.from_numpy(h_bs), torch.from_numpy(h_ue)
        ctx.save_for_backward(h_bs, h_ue)
        ctx.flat = flat
        return h_bs, h_ue

    @staticmethod
    def backward(ctx, g_bs: torch.Tensor, g_ue: torch.Tensor):
        h_bs, h_ue = ctx.saved_tensors
        gy_bs = np.empty((*h_bs.shape[:2], 2 * h_bs.shape[2]), np.float32)
        gy_ue = np.empty((*h_ue.shape[:2], 2 * h_ue.shape[2]), np.float32)
        layer_backward_kernel(g_bs.contiguous().numpy(), g_ue.contiguous().numpy(), h_bs.numpy(), h_ue.numpy(),
                              *ctx.flat, gy_bs, gy_ue)
        return torch.from_numpy(gy_bs), torch.from_numpy(gy_ue), None


def fused_layer(y_bs: torch.Tensor, y_ue: torch.Tensor,
                draws: list[SampledDraw]) -> tuple[torch.Tensor, torch.Tensor]:
    """The new states ``(h_bs, h_ue)`` of one layer from its projections (the library's
    ``relu(cat([s_1 + W_1 @ sent, s_2 + W_2 @ neighbours]))`` per node type, with the sampled
    means gathered), differentiable in ``y_bs`` and ``y_ue`` (see :func:`layer_forward_kernel`).

    Raises
    ------
    TypeError
        A projection is not a float32 CPU tensor.
    """
    for name, y in (("y_bs", y_bs), ("y_ue", y_ue)):
        if y.dtype != torch.float32 or y.device.type != "cpu":
            raise TypeError(f"{name} must be a float32 CPU tensor (the kernels' type), got {y.dtype} on {y.device}")
    return _FusedLayer.apply(y_bs, y_ue, draws)


@njit(cache=True, parallel=True)
def standardised_gain_kernel(gain: np.ndarray, out: np.ndarray) -> None:
    """``out[b] = (g - mean(g)) / std(g)`` with ``g = float32(gain[b])``, the mean and the
    (population) standard deviation over the event's (I, J) entries accumulated in float64 and
    rounded to float32, as :func:`hudnlib.gnn.authors.standardised_gain` rounds them.

    Parameters
    ----------
    gain : ndarray of float64, shape (B, I, J)
    out : ndarray of float32, shape (B, I, J)
        The standardised gains (out).
    """
    for b in prange(gain.shape[0]):
        g = gain[b].astype(np.float32)
        total = 0.0
        for value in g.flat:
            total += value
        mean = total / g.size
        spread = 0.0
        for value in g.flat:
            spread += (value - mean) ** 2
        mean32, std32 = np.float32(mean), np.float32(np.sqrt(spread / g.size))
        out[b] = (g - mean32) / std32


def standardised(gain: torch.Tensor) -> torch.Tensor:
    """:func:`hudnlib.gnn.authors.standardised_gain` (float32) of a float64 CPU tensor of
    shape (B, I, J), as one kernel (:func:`standardised_gain_kernel`).

    Raises
    ------
    TypeError
        ``gain`` is not a float64 CPU tensor.
    """
    if gain.dtype != torch.float64 or gain.device.type != "cpu":
        raise TypeError(f"gain must be a float64 CPU tensor (the kernel's type), got {gain.dtype} on {gain.device}")
    out = np.empty(gain.shape, np.float32)
    standardised_gain_kernel(gain.contiguous().numpy(), out)
    return torch.from_numpy(out)


class RewrittenHGSAGE(AuthorsHGSAGE):
    """:class:`~hudnlib.gnn.authors.AuthorsHGSAGE` with the power head collapsed and each layer
    after its projections fused (the module docstring): the library's forward (its arguments,
    ``weights`` being :class:`float32_draws.SampledDraw` s; ``allowed`` is not read), parameters,
    state dict and draws, and its outputs up to float32 rounding. CPU only, reading ``authors``
    (association not masked)."""

    def forward(self, batch, rng=None, *, params=None, shared_draws=False, allowed=None, weights=None):
        if self.mask_to_edges:
            raise ValueError("the rewritten step is written for the reading 'authors' (no mask)")
        n_ue, n_bs = batch.gain.shape[-2:]
        if (n_ue, n_bs) != (self.n_ue, self.n_bs):
            raise ValueError(f"batch has events of {n_ue} UEs x {n_bs} BSs; this model was built for "
                             f"{self.n_ue} x {self.n_bs}")
        p = collapsed_power_head(projection_params(self) if params is None else params)
        if weights is None:  # drawn from the adjacency itself: ``allowed`` is not read
            rng = torch_seeded_generator() if rng is None else rng
            weights = [draw for _ in range(2) for draw in layer_draws(batch.adj, self.samples, rng, shared_draws)]
        h_ue = standardised(batch.gain)
        h_bs = h_ue.transpose(-1, -2)
        for layer in range(2):
            h_bs, h_ue = fused_layer(h_bs @ p[f"proj_bs.{layer}"], h_ue @ p[f"proj_ue.{layer}"],
                                     weights[4 * layer:4 * layer + 4])
        hidden = h_bs @ p["power_hidden"].mT + p["power_bias"][..., :, None]
        power = torch.sigmoid(hidden).squeeze(-1).double() * batch.p_max
        # the association head: the per-event batch normalisation over the UEs, the logits and
        # their max-min normalised softmax
        z = batch_norm(h_ue, p["norm_scale"], p["norm_shift"]) @ p["assoc_out"].mT
        return z, self.association(z), power

    def association(self, z: torch.Tensor) -> torch.Tensor:
        """The soft association from the logits ``z``: the max-min normalised softmax kernel."""
        return maxmin_softmax(z, self.temperature)


class EventSource:
    """Events of a radio map drawn as :func:`hudnlib.scenarios.paper_a.draw_event` draws them
    (the same UEs from the same generator), as the dense batch the authors' model reads: gains,
    detection mask and maximum powers, and the strongest-channel labels, from maps computed
    once."""

    def __init__(self, radio_map: RadioMap):
        self.pool = np.flatnonzero(radio_map.eligible)
        self.n_active = radio_map.config.n_active
        # row-major: an event gathers whole rows (the map's loss is column-major, and gathering
        # its rows took 5.3 ms per GRL batch instead of 1.1)
        self.gain = np.ascontiguousarray(10.0 ** (-radio_map.loss_db / 10.0))
        self.detectable = np.ascontiguousarray(radio_map.loss_db < radio_map.config.detection_loss_db)
        # a UE's strongest-channel label depends on its own row only
        self.label = strongest_labels(self.gain, self.detectable).numpy()

    def batch(self, rng: np.random.Generator, size: int, p_max_w: np.ndarray,
              noise_w: float) -> tuple[DenseBatch, torch.Tensor]:
        """``size`` fresh events with their strongest-channel labels (the library's
        ``event_batch``, without the features the authors' model does not read)."""
        index = np.stack([np.sort(rng.choice(self.pool, size=self.n_active, replace=False)) for _ in range(size)])
        gain, detectable = self.gain[index], self.detectable[index]
        if not detectable.any(-1).all():
            raise ValueError("an event leaves a UE with no BS: it would have no edge in the graph")
        empty = torch.empty(0)
        n_bs = gain.shape[-1]
        batch = DenseBatch(adj=torch.from_numpy(detectable.astype(np.float32)), edge=empty, ue_x=empty, bs_x=empty,
                           gain=torch.from_numpy(gain),
                           p_max=torch.from_numpy(np.broadcast_to(p_max_w, (size, n_bs)).copy()), noise_w=noise_w)
        return batch, torch.from_numpy(self.label[index])


@njit(cache=True, parallel=True)
def decision_rate_kernel(association: np.ndarray, power: np.ndarray, gain: np.ndarray, noise_w: float,
                         idle_silent: bool, out: np.ndarray) -> None:
    """Total effective rate per event of hard decisions (float64 throughout).

    Parameters
    ----------
    association : ndarray of int64, shape (B, I)
        Each UE's serving BS.
    power : ndarray of float64, shape (B, J)
        Transmit powers (W); a BS that serves no UE is silent when ``idle_silent``.
    gain : ndarray of float64, shape (B, I, J)
    noise_w : float
    idle_silent : bool
    out : ndarray of float64, shape (B,)
        ``sum_i log2(1 + S_i / (received_i - S_i + noise)) / load(a_i)`` (out), ``S_i`` UE
        ``i``'s signal from its serving BS ``a_i`` and ``load(a_i)`` how many UEs that BS serves.
    """
    n_ue, n_bs = gain.shape[1], gain.shape[2]
    for b in prange(gain.shape[0]):
        count = np.zeros(n_bs)
        for i in range(n_ue):
            count[association[b, i]] += 1.0
        p = power[b].copy()
        if idle_silent:
            for j in range(n_bs):
                if count[j] == 0.0:
                    p[j] = 0.0
        total = 0.0
        for i in range(n_ue):
            received = 0.0
            for j in range(n_bs):
                received += gain[b, i, j] * p[j]
            a = association[b, i]
            signal = gain[b, i, a] * p[a]
            total += np.log2(1.0 + signal / (received - signal + noise_w)) / count[a]
        out[b] = total


def decision_rate(association: torch.Tensor, power: torch.Tensor, batch: DenseBatch,
                  idle_silent: bool) -> torch.Tensor:
    """:func:`hudnlib.gnn.authors_training.decision_rate` (total effective rate per event of hard
    decisions) as one kernel (:func:`decision_rate_kernel`), instead of float64 one-hot
    products over every (UE, BS) pair.

    Raises
    ------
    ValueError
        An association is not a BS of the batch.
    """
    association = association.contiguous().numpy()
    if association.size and not 0 <= association.min() <= association.max() < batch.gain.shape[-1]:
        raise ValueError(f"association must hold BS indices in [0, {batch.gain.shape[-1]}), "
                         f"got [{association.min()}, {association.max()}]")
    out = np.empty(association.shape[0])
    decision_rate_kernel(association.astype(np.int64, copy=False),
                         power.detach().double().contiguous().numpy(), batch.gain.contiguous().numpy(),
                         float(batch.noise_w), idle_silent, out)
    return torch.from_numpy(out)

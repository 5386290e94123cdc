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
- **The sampled mean as a gather** (:class:`SampledDraw`): each node averages at most 10 drawn
  neighbours, so the aggregation products of the dense (B, N, M) weight matrices are 90% zeros.
  Numba kernels gather the drawn rows (and scatter their gradients back), from the library's
  own draws, whose drawn columns :func:`drawn_columns_kernel` lists.
- **Events drawn for this model only** (:class:`EventSource`): the library's ``event_batch``
  draws the same UEs and also computes the node and edge features of our own HGSAGE, which the
  authors' model does not read; here the gains come from a gain map computed once and the
  unread fields are left empty.
- **The logged decision rates by gathers** (:func:`decision_rate`): the rate of a hard
  association from the serving gains and one matrix-vector product per event, instead of
  float64 one-hot products over every (UE, BS) pair.
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit, prange

from hudnlib.gnn.authors import AuthorsHGSAGE, neighbourhoods, projection_params, torch_seeded_generator
from hudnlib.gnn.graph import DenseBatch, strongest_labels
from hudnlib.gnn.sampling import sampled_weights
from hudnlib.scenarios.paper_a import RadioMap

__all__ = ["collapsed_power_head", "SampledDraw", "sampled_draw", "RewrittenHGSAGE", "EventSource",
           "decision_rate"]


def collapsed_power_head(params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``params`` (the layout of :func:`hudnlib.gnn.authors.projection_params`, with or without a
    leading event axis) with the power head rewritten so that the model's forward computes
    ``sigmoid((w_2^T W_1) h_j + b_j sum(w_2))``: ``power_hidden`` becomes ``w_2^T W_1`` (1, 256),
    ``power_bias`` becomes ``b sum(w_2)`` and ``power_out`` the (1, 1) identity."""
    out = dict(params)
    w2 = params["power_out"]
    out["power_hidden"] = w2 @ params["power_hidden"]
    out["power_bias"] = params["power_bias"] * w2.sum(-1)
    out["power_out"] = torch.ones_like(w2[..., :1])
    return out


@njit(cache=True, parallel=True)
def drawn_columns_kernel(weights: np.ndarray, index: np.ndarray, count: np.ndarray) -> None:
    """The columns of row ``(b, i)``'s nonzero ``weights`` into ``index[b, i, :n]`` (increasing)
    and their number ``n`` into ``count[b, i]``.

    Parameters
    ----------
    weights : ndarray of float32, shape (B, N, M)
        A draw of :func:`hudnlib.gnn.sampling.sampled_weights` (at most ``samples`` nonzero
        entries per row).
    index : ndarray of int32, shape (B, N, samples)
    count : ndarray of int32, shape (B, N)
    """
    n_batch, n_rows, n_cols = weights.shape
    for b in prange(n_batch):
        for i in range(n_rows):
            n = 0
            for j in range(n_cols):
                if weights[b, i, j] != 0.0:
                    index[b, i, n] = j
                    n += 1
            count[b, i] = n


@njit(cache=True, parallel=True)
def gather_mean_kernel(x: np.ndarray, index: np.ndarray, count: np.ndarray, out: np.ndarray) -> None:
    """``out[b, i] = sum_t x[b, index[b, i, t]] / (count[b, i] + 1)`` over the drawn ``t``."""
    n_batch, n_rows, _ = index.shape
    width = x.shape[2]
    for b in prange(n_batch):
        acc = np.empty(width, np.float32)
        for i in range(n_rows):
            acc[:] = 0.0
            for t in range(count[b, i]):
                j = index[b, i, t]
                for f in range(width):
                    acc[f] += x[b, j, f]
            weight = np.float32(1.0 / (count[b, i] + 1))
            for f in range(width):
                out[b, i, f] = acc[f] * weight


@njit(cache=True, parallel=True)
def scatter_mean_kernel(grad: np.ndarray, index: np.ndarray, count: np.ndarray, out: np.ndarray) -> None:
    """The gradient of :func:`gather_mean_kernel` with respect to ``x``: ``out`` (zeros on
    entry) receives ``grad[b, i] / (count[b, i] + 1)`` at every drawn row ``index[b, i, t]``."""
    n_batch, n_rows, _ = index.shape
    width = grad.shape[2]
    for b in prange(n_batch):
        for i in range(n_rows):
            weight = np.float32(1.0 / (count[b, i] + 1))
            for t in range(count[b, i]):
                j = index[b, i, t]
                for f in range(width):
                    out[b, j, f] += weight * grad[b, i, f]


class _GatherMean(torch.autograd.Function):
    """``x`` (B, M, F) float32 averaged over each row's drawn neighbours, as a (B, N, F) tensor."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, index: np.ndarray, count: np.ndarray) -> torch.Tensor:
        out = np.empty((*index.shape[:2], x.shape[-1]), np.float32)
        gather_mean_kernel(x.detach().contiguous().numpy(), index, count, out)
        ctx.draw = (index, count, x.shape)
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        index, count, shape = ctx.draw
        out = np.zeros(shape, np.float32)
        scatter_mean_kernel(grad.contiguous().numpy(), index, count, out)
        return torch.from_numpy(out), None, None


class SampledDraw:
    """One neighbour draw held as indices; ``draw @ x`` is the library's ``weights @ x`` (the
    mean over the drawn neighbours and the node itself, without the node's own term), computed
    by gathering the drawn rows. ``to`` returns the draw itself, so the model's forward takes it
    where it takes dense weights."""

    def __init__(self, index: np.ndarray, count: np.ndarray):
        self.index, self.count = index, count

    def __matmul__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != torch.float32 or x.device.type != "cpu":
            raise TypeError(f"a sampled draw averages float32 CPU tensors, got {x.dtype} on {x.device}")
        return _GatherMean.apply(x, self.index, self.count)

    def to(self, dtype: torch.dtype) -> "SampledDraw":
        return self


def sampled_draw(allowed: torch.Tensor, samples: int, rng: np.random.Generator, shared: bool = False) -> SampledDraw:
    """The draw of :func:`hudnlib.gnn.sampling.sampled_weights` (the library's own, from the
    same ``rng``), kept as the drawn columns."""
    weights = sampled_weights(allowed, samples, rng, shared).numpy()
    index = np.zeros((*weights.shape[:2], samples), np.int32)
    count = np.zeros(weights.shape[:2], np.int32)
    drawn_columns_kernel(weights, index, count)
    return SampledDraw(index, count)


class RewrittenHGSAGE(AuthorsHGSAGE):
    """:class:`~hudnlib.gnn.authors.AuthorsHGSAGE` with the power head collapsed and the sampled
    means gathered (the module docstring); the same parameters, state dict, draws and outputs.
    CPU only (the CUDA path keeps the library's dense products)."""

    def forward(self, batch, rng=None, *, params=None, shared_draws=False, allowed=None, weights=None):
        params = collapsed_power_head(projection_params(self) if params is None else params)
        if weights is None:
            allowed = neighbourhoods(batch.adj) if allowed is None else allowed
            rng = torch_seeded_generator() if rng is None else rng
            weights = [sampled_draw(a, self.samples, rng, shared_draws) for _ in range(2) for a in allowed]
        return super().forward(batch, rng, params=params, shared_draws=shared_draws, allowed=allowed,
                               weights=weights)


class EventSource:
    """Events of a radio map drawn as :func:`hudnlib.scenarios.paper_a.draw_event` draws them
    (the same UEs from the same generator), as the dense batch the authors' model reads: gains,
    detection mask and maximum powers, from maps computed once."""

    def __init__(self, radio_map: RadioMap):
        self.pool = np.flatnonzero(radio_map.eligible)
        self.n_active = radio_map.config.n_active
        self.gain = 10.0 ** (-radio_map.loss_db / 10.0)
        self.detectable = radio_map.loss_db < radio_map.config.detection_loss_db

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
        return batch, strongest_labels(gain, detectable)


def decision_rate(association: torch.Tensor, power: torch.Tensor, batch: DenseBatch,
                  idle_silent: bool) -> torch.Tensor:
    """:func:`hudnlib.gnn.authors_training.decision_rate` (total effective rate per event of hard
    decisions) from the serving gains: each UE's signal is one gathered entry, the total it
    receives one matrix-vector product."""
    n_bs = batch.gain.shape[-1]
    count = torch.zeros(association.shape[0], n_bs, dtype=torch.float64).scatter_add_(
        1, association, torch.ones(association.shape, dtype=torch.float64))
    power = power.double()
    if idle_silent:
        power = power * (count > 0)
    received = (batch.gain @ power.unsqueeze(-1)).squeeze(-1)
    signal = batch.gain.gather(-1, association.unsqueeze(-1)).squeeze(-1) * power.gather(-1, association)
    load = count.gather(-1, association)
    return (torch.log2(1.0 + signal / (received - signal + batch.noise_w)) / load).sum(-1)

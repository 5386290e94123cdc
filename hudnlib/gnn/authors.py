"""HGSAGE and its loss as the authors' code runs them (their ``GraphSage_He.py`` and
``main_batchupdate_part_sp.py``), re-implemented batched in torch.

Model (fixed sizes: ``n_ue`` UEs and ``n_bs`` BSs per event):

- Inputs: the event's linear gain matrix standardised by its own mean and standard deviation
  over all entries; a UE's features are its row (its channel to every BS), a BS's its column.
- Aggregator: per layer, node type and order, each node samples up to ``samples`` (10)
  neighbours uniformly without replacement (fresh samples in every forward pass), sums their
  states and divides by ``n + 1``; the result is concatenated with the node's own state and
  mapped by a linear layer without bias and a ReLU. First order: the other type's neighbours.
  Second order: the same type's nodes that share a neighbour, the node itself included; a node
  with no neighbour samples from every node of its type. Two layers, 128 per order (256 per
  node), no L2 normalisation.
- Power head: ``p_j = sigmoid(w_2^T (W_1 h_j + b_j 1)) p_max,j`` with a per-BS bias ``b_j``.
- Association head: per-event batch normalisation of the UE states (statistics over the
  event's UEs, in training and in evaluation alike), then a fixed ``n_bs``-way linear output
  ``z_ij``; ``x_ij = softmax_j(1000 (z_ij - max_j z) / (max_j z - min_j z))`` (max-min
  normalised, temperature 0.001). The authors also add a per-UE bias, which cancels in the
  max-min normalisation and in the cross-entropy, so it is left out. ``mask_to_edges``
  restricts ``z`` to the BSs that detect the UE (our ``corrected`` reading); the authors'
  output is not masked.

Loss per event (:func:`authors_loss_terms`), in bit/s/Hz: ``100 CE - 200 R_pc - 20 R_ua``.
CE is the cross-entropy of the raw ``z`` against the strongest-channel BS. Both rates have no
noise and count only the BSs that serve someone: ``R_pc`` trains the powers with the soft
association ``x`` fixed and the load of the argmax association; ``R_ua`` trains the
association with the powers fixed, the load of UE i being ``max_j x_ij sum_k x_kj``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from hudnlib.gnn.graph import DenseBatch
from hudnlib.gnn.sampling import sampled_weights
from hudnlib.validation import as_count, as_flag, as_positive_scalar

__all__ = ["AuthorsHGSAGE", "standardised_gain", "sample_neighbours", "neighbourhoods", "torch_seeded_generator",
           "projection_params",
           "authors_loss_terms", "LOSS_WEIGHTS"]

LOSS_WEIGHTS = {"supervised": 100.0, "rate_pc": 200.0, "rate_ua": 20.0}
"""The authors' loss weights in bit/s/Hz units (their code: 100, 10 and 1 on rates in a
unit 20 times larger)."""


def standardised_gain(gain: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Each event's (I, J) gain matrix minus its mean, over its standard deviation (in ``dtype``)."""
    g = gain.to(dtype)
    mean = g.mean((-1, -2), keepdim=True)
    std = g.std((-1, -2), keepdim=True, unbiased=False)
    return (g - mean) / std


def sample_neighbours(allowed: torch.Tensor, samples: int) -> torch.Tensor:
    """0/1 mask keeping, per row of the boolean ``allowed`` (..., N, M), ``samples`` entries
    drawn uniformly without replacement (all of them when a row has fewer): one uniform key
    per entry from torch's generator and a ``topk`` per row. The reference form of the draw;
    the model draws with :func:`hudnlib.gnn.sampling.sampled_weights`."""
    scores = torch.rand(allowed.shape, device=allowed.device).masked_fill(~allowed, -1.0)
    kth = scores.topk(min(samples, allowed.shape[-1]), dim=-1).values[..., -1:]
    return (allowed & (scores >= kth)).float()


def neighbourhoods(adj: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The four sets a node may sample from, in the order the model draws them: a BS's UEs,
    a BS's BSs, a UE's BSs, a UE's UEs (boolean, (B, J, I), (B, J, J), (B, I, J), (B, I, I)).

    Second order: the same type's nodes sharing a neighbour (self included); every node of
    the type for a node with no neighbour."""
    adj = adj.bool()
    adj_t = adj.transpose(-1, -2).contiguous()
    return adj_t, _second_order(adj_t), adj, _second_order(adj)


def _second_order(adj: torch.Tensor) -> torch.Tensor:
    a = adj.float()
    two = (a @ a.transpose(-1, -2)) > 0
    isolated = ~adj.any(-1, keepdim=True)
    return two | isolated


def torch_seeded_generator() -> np.random.Generator:
    """A NumPy generator seeded from torch's global generator (one draw), so that
    ``torch.manual_seed`` keeps deciding every neighbour draw of the model."""
    return np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item()))


def projection_params(model: "AuthorsHGSAGE") -> dict[str, torch.Tensor]:
    """The model's parameters laid out for its forward pass: per layer and node type, one
    (F, 512) matrix whose columns are the weight rows that multiply that type's states
    (transposed, so that the product's gradient needs no copy), in the order [own
    first-order self part, own second-order self part, own second-order neighbour part, the
    other type's first-order neighbour part]; the heads' parameters as they are.

    Every weight entry appears exactly once, so an elementwise optimiser (Adam) takes the
    same step in this layout as in the module's.
    """
    p = dict(model.named_parameters())
    out = {k: v for k, v in p.items() if not k.startswith(("bs_", "ue_"))}
    for layer in range(2):
        bs1, bs2 = p[f"bs_first.{layer}.weight"], p[f"bs_second.{layer}.weight"]
        ue1, ue2 = p[f"ue_first.{layer}.weight"], p[f"ue_second.{layer}.weight"]
        f_bs = bs2.shape[-1] // 2
        f_ue = ue2.shape[-1] // 2
        bs1_self, bs1_neigh = bs1.split([f_bs, f_ue], -1)
        ue1_self, ue1_neigh = ue1.split([f_ue, f_bs], -1)
        bs2_self, bs2_neigh = bs2.split([f_bs, f_bs], -1)
        ue2_self, ue2_neigh = ue2.split([f_ue, f_ue], -1)
        out[f"proj_bs.{layer}"] = torch.cat([bs1_self, bs2_self, bs2_neigh, ue1_neigh], -2).mT
        out[f"proj_ue.{layer}"] = torch.cat([ue1_self, ue2_self, ue2_neigh, bs1_neigh], -2).mT
    return out


class _MeanLayer(nn.Module):
    """Weights of ``relu(W [h_self, sum of sampled neighbours / (n + 1)])`` without bias;
    the product is computed by :meth:`AuthorsHGSAGE.forward`."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        nn.init.xavier_uniform_(self.weight)


class AuthorsHGSAGE(nn.Module):
    """The authors' HGSAGE for events of ``n_ue`` UEs and ``n_bs`` BSs.

    Parameters
    ----------
    n_ue, n_bs : int
        Event size (the input features are a UE's row and a BS's column of the gain matrix).
    hidden : int
        Width of each order's output (128; a node's state is twice this).
    samples : int
        Neighbours sampled per node and aggregation (10).
    mask_to_edges : bool
        Restrict the association to BSs that detect the UE (``corrected`` reading).
    temperature : float
        Softmax temperature on the max-min normalised output (0.001).
    """

    def __init__(self, n_ue: int, n_bs: int, hidden: int = 128, samples: int = 10,
                 mask_to_edges: bool = False, temperature: float = 1e-3):
        super().__init__()
        n_ue, n_bs = as_count("n_ue", n_ue, 1), as_count("n_bs", n_bs, 1)
        hidden, samples = as_count("hidden", hidden, 1), as_count("samples", samples, 1)
        temperature = as_positive_scalar("temperature", temperature)
        mask_to_edges = as_flag("mask_to_edges", mask_to_edges)
        self.n_ue, self.n_bs, self.mask_to_edges, self.temperature = n_ue, n_bs, mask_to_edges, temperature
        self.samples = samples
        two = 2 * hidden
        self.bs_first = nn.ModuleList([_MeanLayer(n_ue + n_bs, hidden), _MeanLayer(2 * two, hidden)])
        self.bs_second = nn.ModuleList([_MeanLayer(2 * n_ue, hidden), _MeanLayer(2 * two, hidden)])
        self.ue_first = nn.ModuleList([_MeanLayer(n_ue + n_bs, hidden), _MeanLayer(2 * two, hidden)])
        self.ue_second = nn.ModuleList([_MeanLayer(2 * n_bs, hidden), _MeanLayer(2 * two, hidden)])
        self.power_hidden = nn.Parameter(torch.empty(two, two))
        self.power_out = nn.Parameter(torch.empty(1, two))
        self.power_bias = nn.Parameter(torch.empty(n_bs))
        self.assoc_out = nn.Parameter(torch.empty(n_bs, two))
        self.norm_scale = nn.Parameter(torch.ones(two))
        self.norm_shift = nn.Parameter(torch.zeros(two))
        for w in (self.power_hidden, self.power_out, self.assoc_out):
            nn.init.xavier_uniform_(w)
        nn.init.uniform_(self.power_bias, 0.0, 1.0)

    def forward(self, batch: DenseBatch, rng: np.random.Generator | None = None, *,
                params: dict[str, torch.Tensor] | None = None, shared_draws: bool = False,
                allowed: tuple[torch.Tensor, ...] | None = None,
                weights: list[torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Association logits ``z`` (B, I, J; -inf off the graph when masked), soft association
        ``x`` (B, I, J) and powers (B, J) in W.

        Each aggregation ``relu(W [h, A h_other])`` is computed as ``relu(W_s h + A (W_n
        h_other))`` (the same maths, with the neighbours' states projected before they are
        averaged: half the aggregation's products and no concatenated inputs), and a node
        type's projections share one matrix product.

        Parameters
        ----------
        batch : DenseBatch
        rng : numpy.random.Generator, optional
            Source of the neighbour draws (default: one seeded from torch's generator).
        params : dict, optional
            Parameters to use instead of the module's, in the layout of
            :func:`projection_params`; each may carry a leading axis of size B (one set of
            weights per event: SRL batched over events).
        shared_draws : bool
            Every event gets the same neighbour draws (see :func:`sampled_weights`).
        allowed : tuple of Tensor, optional
            :func:`neighbourhoods` of ``batch.adj``, when already computed.
        weights : list of 8 Tensor, optional
            The aggregation weights to use instead of fresh draws, in the order drawn (per
            layer: a BS's UEs, a BS's BSs, a UE's BSs, a UE's UEs).
        """
        n_ue, n_bs = batch.gain.shape[-2:]
        if (n_ue, n_bs) != (self.n_ue, self.n_bs):
            raise ValueError(f"batch has events of {n_ue} UEs x {n_bs} BSs; this model was built for "
                             f"{self.n_ue} x {self.n_bs}")
        p = projection_params(self) if params is None else params
        allowed = neighbourhoods(batch.adj) if allowed is None else allowed
        if weights is None:
            if rng is None and batch.adj.device.type == "cpu":
                rng = torch_seeded_generator()
            weights = [sampled_weights(a, self.samples, rng, shared_draws) for _ in range(2) for a in allowed]
        h_ue = standardised_gain(batch.gain, p["power_hidden"].dtype)
        h_bs = h_ue.transpose(-1, -2)
        weights = [w.to(h_ue.dtype) for w in weights]
        for layer in range(2):
            w_bs_ue, w_bs_bs, w_ue_bs, w_ue_ue = weights[4 * layer:4 * layer + 4]
            s_bs1, s_bs2, n_bs2, to_ue = (h_bs @ p[f"proj_bs.{layer}"]).chunk(4, -1)
            s_ue1, s_ue2, n_ue2, to_bs = (h_ue @ p[f"proj_ue.{layer}"]).chunk(4, -1)
            h_bs = torch.relu(torch.cat([s_bs1 + w_bs_ue @ to_bs, s_bs2 + w_bs_bs @ n_bs2], -1))
            h_ue = torch.relu(torch.cat([s_ue1 + w_ue_bs @ to_ue, s_ue2 + w_ue_ue @ n_ue2], -1))
        hidden = h_bs @ p["power_hidden"].mT + p["power_bias"][..., :, None]
        power = torch.sigmoid(hidden @ p["power_out"].mT).squeeze(-1).double() * batch.p_max
        # per-event batch normalisation over the UEs (means as products: a strided
        # reduction over the UE axis was twice as slow)
        average = torch.full((1, 1, n_ue), 1.0 / n_ue, dtype=h_ue.dtype, device=h_ue.device)
        centred = h_ue - average @ h_ue
        h_ue = centred * torch.rsqrt(average @ (centred * centred) + 1e-5) * p["norm_scale"][..., None, :] \
            + p["norm_shift"][..., None, :]
        z = h_ue @ p["assoc_out"].mT
        if not self.mask_to_edges:
            top, bottom = z.max(-1, keepdim=True).values, z.min(-1, keepdim=True).values
            normalised = (z - top) / (top - bottom).clamp(min=1e-12)
            return z, torch.softmax(normalised / self.temperature, -1), power
        off = ~allowed[2]
        top = z.masked_fill(off, float("-inf")).max(-1, keepdim=True).values
        bottom = z.masked_fill(off, float("inf")).min(-1, keepdim=True).values
        # masked entries enter the arithmetic as finite numbers (no inf * 0 in the gradient)
        normalised = ((z - top) / (top - bottom).clamp(min=1e-12)).masked_fill(off, float("-inf"))
        z = z.masked_fill(off, float("-inf"))
        return z, torch.softmax(normalised / self.temperature, -1), power


def _rate_in_loss(x: torch.Tensor, power: torch.Tensor, gain: torch.Tensor, active: torch.Tensor,
                  load: torch.Tensor) -> torch.Tensor:
    """``log2(1 + S / I) / load`` per UE with only ``active`` BSs transmitting and no noise."""
    received = (power * active).unsqueeze(1) * gain
    signal = (x * received).sum(-1)
    interference = (received.sum(-1) - signal).clamp(min=torch.finfo(torch.float64).tiny)
    return torch.log2(1.0 + signal / interference) / load


def authors_loss_terms(z: torch.Tensor, x: torch.Tensor, power: torch.Tensor, gain: torch.Tensor,
                       labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """The authors' loss terms per event (B,): ``supervised`` (cross-entropy of the raw
    logits, mean over UEs), ``rate_pc`` and ``rate_ua`` (sums over UEs, bit/s/Hz), and
    ``loss = 100 supervised - 200 rate_pc - 20 rate_ua``.

    Parameters
    ----------
    z, x : Tensor, shape (B, I, J)
        Logits and soft association of :class:`AuthorsHGSAGE`.
    power : Tensor, shape (B, J)
        Powers in W.
    gain : Tensor, shape (B, I, J)
        Linear gains.
    labels : Tensor of int, shape (B, I)
        Strongest-channel BS of each UE.
    """
    x = x.double()
    n_bs = x.shape[-1]
    hard = x.argmax(-1)
    count = nn.functional.one_hot(hard, n_bs).double().sum(1)
    serving_load = count.gather(1, hard)
    rate_pc = _rate_in_loss(x.detach(), power, gain, (count > 0).double(), serving_load).sum(-1)
    soft_count = x.sum(1)
    soft_load = (x * soft_count.unsqueeze(1)).max(-1).values
    rate_ua = _rate_in_loss(x, power.detach(), gain, (soft_count > 0).double().detach(), soft_load).sum(-1)
    supervised = nn.functional.cross_entropy(z.transpose(1, 2), labels, reduction="none").mean(-1)
    w = LOSS_WEIGHTS
    loss = w["supervised"] * supervised - w["rate_pc"] * rate_pc - w["rate_ua"] * rate_ua
    return {"supervised": supervised, "rate_pc": rate_pc, "rate_ua": rate_ua, "loss": loss}

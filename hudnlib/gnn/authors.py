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

import torch
from torch import nn

from hudnlib.gnn.graph import DenseBatch

__all__ = ["AuthorsHGSAGE", "standardised_gain", "sample_neighbours", "authors_loss_terms", "LOSS_WEIGHTS"]

LOSS_WEIGHTS = {"supervised": 100.0, "rate_pc": 200.0, "rate_ua": 20.0}
"""The authors' loss weights in bit/s/Hz units (their code: 100, 10 and 1 on rates in a
unit 20 times larger)."""


def standardised_gain(gain: torch.Tensor) -> torch.Tensor:
    """Each event's (I, J) gain matrix minus its mean, over its standard deviation (float32)."""
    g = gain.float()
    mean = g.mean((-1, -2), keepdim=True)
    std = g.std((-1, -2), keepdim=True, unbiased=False)
    return (g - mean) / std


def sample_neighbours(allowed: torch.Tensor, samples: int) -> torch.Tensor:
    """0/1 mask keeping, per row of the boolean ``allowed`` (..., N, M), ``samples`` entries
    drawn uniformly without replacement (all of them when a row has fewer). Dense: a masked
    matmul was measured faster on CPU than gathering the drawn rows."""
    scores = torch.rand(allowed.shape).masked_fill(~allowed, -1.0)
    kth = scores.topk(min(samples, allowed.shape[-1]), dim=-1).values[..., -1:]
    return (allowed & (scores >= kth)).float()


def _second_order(adj: torch.Tensor) -> torch.Tensor:
    """Same-type nodes sharing a neighbour (self included); every node for an isolated one."""
    two = (adj @ adj.transpose(-1, -2)) > 0
    isolated = ~adj.bool().any(-1, keepdim=True)
    return two | isolated


class _MeanLayer(nn.Module):
    """``relu(W [h_self, sum of sampled neighbours / (n + 1)])`` without bias."""

    def __init__(self, in_features: int, out_features: int, samples: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        nn.init.xavier_uniform_(self.weight)
        self.samples = samples

    def forward(self, h_self: torch.Tensor, h_other: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        mask = sample_neighbours(allowed, self.samples)
        neigh = mask @ h_other / (mask.sum(-1, keepdim=True) + 1.0)
        return torch.relu(torch.cat([h_self, neigh], -1) @ self.weight.T)


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
        for name, value in (("n_ue", n_ue), ("n_bs", n_bs), ("hidden", hidden), ("samples", samples)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.n_ue, self.n_bs, self.mask_to_edges, self.temperature = n_ue, n_bs, mask_to_edges, temperature
        two = 2 * hidden
        self.bs_first = nn.ModuleList([_MeanLayer(n_ue + n_bs, hidden, samples), _MeanLayer(2 * two, hidden, samples)])
        self.bs_second = nn.ModuleList([_MeanLayer(2 * n_ue, hidden, samples), _MeanLayer(2 * two, hidden, samples)])
        self.ue_first = nn.ModuleList([_MeanLayer(n_ue + n_bs, hidden, samples), _MeanLayer(2 * two, hidden, samples)])
        self.ue_second = nn.ModuleList([_MeanLayer(2 * n_bs, hidden, samples), _MeanLayer(2 * two, hidden, samples)])
        self.power_hidden = nn.Parameter(torch.empty(two, two))
        self.power_out = nn.Parameter(torch.empty(1, two))
        self.power_bias = nn.Parameter(torch.empty(n_bs))
        self.assoc_out = nn.Parameter(torch.empty(n_bs, two))
        self.norm_scale = nn.Parameter(torch.ones(two))
        self.norm_shift = nn.Parameter(torch.zeros(two))
        for w in (self.power_hidden, self.power_out, self.assoc_out):
            nn.init.xavier_uniform_(w)
        nn.init.uniform_(self.power_bias, 0.0, 1.0)

    def forward(self, batch: DenseBatch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Association logits ``z`` (B, I, J; -inf off the graph when masked), soft association
        ``x`` (B, I, J) and powers (B, J) in W."""
        n_ue, n_bs = batch.gain.shape[-2:]
        if (n_ue, n_bs) != (self.n_ue, self.n_bs):
            raise ValueError(f"batch has events of {n_ue} UEs x {n_bs} BSs; this model was built for "
                             f"{self.n_ue} x {self.n_bs}")
        adj = batch.adj.bool()
        adj_t = adj.transpose(-1, -2)
        second_ue, second_bs = _second_order(batch.adj), _second_order(batch.adj.transpose(-1, -2))
        h_ue = standardised_gain(batch.gain)
        h_bs = h_ue.transpose(-1, -2)
        for layer in range(2):
            new_bs = torch.cat([self.bs_first[layer](h_bs, h_ue, adj_t),
                                self.bs_second[layer](h_bs, h_bs, second_bs)], -1)
            new_ue = torch.cat([self.ue_first[layer](h_ue, h_bs, adj),
                                self.ue_second[layer](h_ue, h_ue, second_ue)], -1)
            h_bs, h_ue = new_bs, new_ue
        hidden = h_bs @ self.power_hidden.T + self.power_bias[:, None]
        power = torch.sigmoid(hidden @ self.power_out.T).squeeze(-1).double() * batch.p_max
        mean = h_ue.mean(-2, keepdim=True)
        var = h_ue.var(-2, keepdim=True, unbiased=False)
        h_ue = (h_ue - mean) / torch.sqrt(var + 1e-5) * self.norm_scale + self.norm_shift
        z = h_ue @ self.assoc_out.T
        if not self.mask_to_edges:
            adj = torch.ones_like(adj)
        top = z.masked_fill(~adj, float("-inf")).max(-1, keepdim=True).values
        bottom = z.masked_fill(~adj, float("inf")).min(-1, keepdim=True).values
        # masked entries enter the arithmetic as finite numbers (no inf * 0 in the gradient)
        normalised = ((z - top) / (top - bottom).clamp(min=1e-12)).masked_fill(~adj, float("-inf"))
        z = z.masked_fill(~adj, float("-inf"))
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

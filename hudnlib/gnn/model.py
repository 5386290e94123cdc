"""HGSAGE (Algorithm 1 of paper A) with a power head and an association head.

Per layer and node type: a first-order aggregator over the neighbours of the other type and
a second-order aggregator over same-type nodes two hops away, each concatenated with the
node's own state and mapped by a linear layer + ReLU (``o`` and ``s``); the layer output is
``[o, s]`` normalised to unit L2 norm. The first-order aggregator is the mean of the
neighbours' states together with a gain-weighted mean (weights: softmax of the edge
feature over the neighbours), so a node knows which neighbour has which channel. Two
layers of 128 per node (64 + 64), as Table I.

Heads: BS power ``p_j = sigmoid(w^T h_j) p_max,j`` (each BS in its own range); UE-BS
association logits ``z_ij = u_i^T v_j + c e_ij`` (a score per edge, so the model is
equivariant to relabelling UEs and BSs), masked to detectable BSs, standardised per UE,
and ``x_ij = softmax_j(z_ij / T)`` (eq. 8).

Compute path: dense batched tensors. On the dense UE-BS graph of paper A, PyG's
``HeteroConv``/``SAGEConv`` was measured ~12x slower per training step than the same model
as batched matmuls (838 vs 68 ms at batch 64, measured on this project's 2-core machine), so PyG's
``HeteroData`` is the data interface (:mod:`hudnlib.gnn.graph`) and matmuls do the work.
"""

from __future__ import annotations

import torch
from torch import nn

from hudnlib.gnn.graph import DenseBatch
from hudnlib.validation import as_count, as_positive_scalar

__all__ = ["HGSAGE", "HGSAGELayer"]


def _mean(adj: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Row-normalised ``adj @ h`` (mean over neighbours; 0 for an isolated node)."""
    return adj @ h / adj.sum(-1, keepdim=True).clamp(min=1.0)


def _second_order(adj: torch.Tensor) -> torch.Tensor:
    """Same-type nodes two hops away (sharing a neighbour), self excluded."""
    two = (adj @ adj.transpose(-1, -2) > 0).to(adj.dtype)
    return two * (1.0 - torch.eye(two.shape[-1], dtype=adj.dtype))


class HGSAGELayer(nn.Module):
    """One HGSAGE layer for both node types (Algorithm 1, steps 5-12)."""

    def __init__(self, ue_in: int, bs_in: int, half: int = 64):
        super().__init__()
        self.ue_first = nn.Linear(ue_in + 2 * bs_in, half)
        self.ue_second = nn.Linear(2 * ue_in, half)
        self.bs_first = nn.Linear(bs_in + 2 * ue_in, half)
        self.bs_second = nn.Linear(2 * bs_in, half)

    def forward(self, h_ue, h_bs, adj, weights_ue, weights_bs, second_ue, second_bs):
        adj_t = adj.transpose(-1, -2)
        o_ue = torch.relu(self.ue_first(torch.cat([h_ue, _mean(adj, h_bs), weights_ue @ h_bs], -1)))
        s_ue = torch.relu(self.ue_second(torch.cat([h_ue, _mean(second_ue, h_ue)], -1)))
        o_bs = torch.relu(self.bs_first(torch.cat([h_bs, _mean(adj_t, h_ue), weights_bs @ h_ue], -1)))
        s_bs = torch.relu(self.bs_second(torch.cat([h_bs, _mean(second_bs, h_bs)], -1)))
        h_ue = nn.functional.normalize(torch.cat([o_ue, s_ue], -1), dim=-1)
        h_bs = nn.functional.normalize(torch.cat([o_bs, s_bs], -1), dim=-1)
        return h_ue, h_bs


class HGSAGE(nn.Module):
    """HGSAGE with power and association heads.

    Parameters
    ----------
    ue_features, bs_features : int
        Input feature sizes (3 and 4, see :mod:`hudnlib.gnn.graph`).
    hidden : int
        Node state size per layer (128 = 64 first-order + 64 second-order).
    layers : int
        Number of HGSAGE layers (2).
    temperature : float
        Softmax temperature T of eq. (8).
    """

    def __init__(self, ue_features: int = 3, bs_features: int = 4, hidden: int = 128,
                 layers: int = 2, temperature: float = 0.5):
        super().__init__()
        for name, value in (("ue_features", ue_features), ("bs_features", bs_features),
                            ("hidden", hidden), ("layers", layers)):
            as_count(name, value, 2 if name == "hidden" else 1)
        if hidden % 2:
            raise ValueError(f"hidden must be even (two halves), got {hidden}")
        temperature = as_positive_scalar("temperature", temperature)
        sizes = [(ue_features, bs_features)] + [(hidden, hidden)] * (layers - 1)
        self.layers = nn.ModuleList(HGSAGELayer(u, b, hidden // 2) for u, b in sizes)
        self.power_head = nn.Linear(hidden, 1)
        self.ue_key = nn.Linear(hidden, hidden // 2)
        self.bs_key = nn.Linear(hidden, hidden // 2)
        self.gain_weight = nn.Parameter(torch.tensor(1.0))
        self.temperature = temperature

    def forward(self, batch: DenseBatch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Association logits (B, I, J; -inf off the graph), probabilities x (B, I, J) and
        powers p (B, J) in W."""
        adj = batch.adj
        neg = torch.finfo(batch.edge.dtype).min
        weights_ue = torch.softmax(batch.edge.masked_fill(adj == 0, neg), -1) * adj
        weights_bs = torch.softmax(batch.edge.transpose(-1, -2).masked_fill(adj.transpose(-1, -2) == 0, neg), -1)
        weights_bs = weights_bs * adj.transpose(-1, -2)
        second_ue, second_bs = _second_order(adj), _second_order(adj.transpose(-1, -2))
        h_ue, h_bs = batch.ue_x, batch.bs_x
        for layer in self.layers:
            h_ue, h_bs = layer(h_ue, h_bs, adj, weights_ue, weights_bs, second_ue, second_bs)
        power = torch.sigmoid(self.power_head(h_bs)).squeeze(-1).double() * batch.p_max
        z = self.ue_key(h_ue) @ self.bs_key(h_bs).transpose(-1, -2) + self.gain_weight * batch.edge
        deg = adj.sum(-1, keepdim=True).clamp(min=1.0)
        mean = (z * adj).sum(-1, keepdim=True) / deg  # "normalise z" over the UE's BSs
        std = ((((z - mean) * adj) ** 2).sum(-1, keepdim=True) / deg).sqrt().clamp(min=1e-6)
        logits = ((z - mean) / std).masked_fill(adj == 0, float("-inf"))
        return logits, torch.softmax(logits / self.temperature, -1), power

"""The reference form of the authors' HGSAGE forward pass, for tests and benchmarks.

Each layer as first written (and as the authors' code has it): concatenate the node's state
with the mean of its sampled neighbours, then one linear map; the heads with torch's
reductions; neighbours drawn by :func:`~hudnlib.gnn.authors.sample_neighbours` (one key per
entry and a dense ``topk``). :meth:`~hudnlib.gnn.authors.AuthorsHGSAGE.forward` computes the
same maths in fewer, larger products.
"""

from __future__ import annotations

import torch

from hudnlib.gnn.authors import AuthorsHGSAGE, neighbourhoods, sample_neighbours, standardised_gain
from hudnlib.gnn.graph import DenseBatch

__all__ = ["authors_forward_reference"]


def authors_forward_reference(
    model: AuthorsHGSAGE, batch: DenseBatch, masks: list[torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits ``z``, soft association ``x`` and powers of ``model`` on ``batch``, as
    :meth:`~hudnlib.gnn.authors.AuthorsHGSAGE.forward` returns them.

    Parameters
    ----------
    model : AuthorsHGSAGE
    batch : DenseBatch
    masks : list of 8 Tensor, optional
        The 0/1 neighbour masks in the order the model draws them (per layer: a BS's UEs, a
        BS's BSs, a UE's BSs, a UE's UEs); default: drawn with torch's generator.
    """
    p = dict(model.named_parameters())
    if masks is None:
        masks = [sample_neighbours(a, model.samples) for _ in range(2) for a in neighbourhoods(batch.adj)]
    h_ue = standardised_gain(batch.gain, p["power_hidden"].dtype)
    h_bs = h_ue.transpose(-1, -2)

    def layer(weight, h_self, h_other, mask):
        neigh = mask @ h_other / (mask.sum(-1, keepdim=True) + 1.0)
        return torch.relu(torch.cat([h_self, neigh], -1) @ weight.T)

    for i in range(2):
        m = masks[4 * i:4 * i + 4]
        new_bs = torch.cat([layer(p[f"bs_first.{i}.weight"], h_bs, h_ue, m[0]),
                            layer(p[f"bs_second.{i}.weight"], h_bs, h_bs, m[1])], -1)
        new_ue = torch.cat([layer(p[f"ue_first.{i}.weight"], h_ue, h_bs, m[2]),
                            layer(p[f"ue_second.{i}.weight"], h_ue, h_ue, m[3])], -1)
        h_bs, h_ue = new_bs, new_ue
    hidden = h_bs @ p["power_hidden"].T + p["power_bias"][:, None]
    power = torch.sigmoid(hidden @ p["power_out"].T).squeeze(-1).double() * batch.p_max
    var, mean = torch.var_mean(h_ue, -2, keepdim=True, unbiased=False)
    z = ((h_ue - mean) / torch.sqrt(var + 1e-5) * p["norm_scale"] + p["norm_shift"]) @ p["assoc_out"].T
    adj = batch.adj.bool() if model.mask_to_edges else torch.ones_like(batch.adj, dtype=torch.bool)
    top = z.masked_fill(~adj, float("-inf")).max(-1, keepdim=True).values
    bottom = z.masked_fill(~adj, float("inf")).min(-1, keepdim=True).values
    normalised = ((z - top) / (top - bottom).clamp(min=1e-12)).masked_fill(~adj, float("-inf"))
    return z.masked_fill(~adj, float("-inf")), torch.softmax(normalised / model.temperature, -1), power

"""Time one HGSAGE training step: dense batched matmuls (ours) vs PyG message passing.

Both models have two layers of 128 per node with first-order (UE<->BS edges) and
second-order (UE-UE and BS-BS through a shared neighbour) SAGE aggregators, on a batch of
64 events of paper A's circumstance; the step is forward + backward + Adam. The faster path
is the one ``hudnlib.gnn.model`` uses.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch_geometric.data import Batch
from torch_geometric.nn import HeteroConv, SAGEConv

from hudnlib.experiments.paper_a_baselines import BaselineConfig, radio_map_of
from hudnlib.gnn.graph import dense_batch, to_hetero_data
from hudnlib.gnn.model import HGSAGE
from hudnlib.gnn.objective import loss_terms
from hudnlib.radio import dbm_to_w, noise_power_w
from hudnlib.scenarios.paper_a import draw_event


class PygHGSAGE(torch.nn.Module):
    """The same layer structure written with PyG's HeteroConv/SAGEConv."""

    def __init__(self, hidden: int = 128):
        super().__init__()
        half = hidden // 2
        self.convs = torch.nn.ModuleList()
        for _ in range(2):
            self.convs.append(torch.nn.ModuleDict({
                "first": HeteroConv({("ue", "link", "bs"): SAGEConv((-1, -1), half),
                                     ("bs", "rev", "ue"): SAGEConv((-1, -1), half)}),
                "second": HeteroConv({("ue", "shares", "ue"): SAGEConv(-1, half),
                                      ("bs", "shares", "bs"): SAGEConv(-1, half)}),
            }))
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x, edges):
        for conv in self.convs:
            o, s = conv["first"](x, edges), conv["second"](x, edges)
            x = {k: torch.nn.functional.normalize(torch.cat([o[k].relu(), s[k].relu()], -1), dim=-1)
                 for k in x}
        return self.head(x["bs"]).sum() + self.head(x["ue"]).sum()


def with_second_order(data):
    ue, bs = data["ue", "link", "bs"].edge_index
    adj = torch.zeros(data["ue"].num_nodes, data["bs"].num_nodes)
    adj[ue, bs] = 1.0
    for kind, m in (("ue", adj @ adj.T), ("bs", adj.T @ adj)):
        m.fill_diagonal_(0)
        data[kind, "shares", kind].edge_index = (m > 0).nonzero().T
    data["bs", "rev", "ue"].edge_index = torch.stack([bs, ue])
    return data


def time_step(step, repeats=5):
    step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    radio_map = radio_map_of(BaselineConfig(samples=1))
    p_max, noise = dbm_to_w(radio_map.power_dbm), noise_power_w(20e6)
    rng = np.random.default_rng(0)
    graphs, labels = [], []
    for _ in range(64):
        event = draw_event(radio_map, rng)
        graphs.append(to_hetero_data(event.gain, event.detectable, p_max, noise))
        labels.append(np.argmax(np.where(event.detectable, event.gain, 0.0), axis=1))
    torch.manual_seed(0)
    dense, labels = dense_batch(graphs), torch.tensor(np.stack(labels))
    model = HGSAGE()
    opt = torch.optim.Adam(model.parameters())

    def dense_step():
        logits, x, power = model(dense)
        t = loss_terms(logits, x, power, dense, labels, model.temperature)
        loss = 100 * t["supervised"] - t["rate_power"] - t["rate_assoc"]
        opt.zero_grad()
        loss.backward()
        opt.step()

    batch = Batch.from_data_list([with_second_order(g.clone()) for g in graphs])
    pyg = PygHGSAGE()
    pyg(batch.x_dict, batch.edge_index_dict)  # materialise lazy shapes
    opt_pyg = torch.optim.Adam(pyg.parameters())

    def pyg_step():
        loss = pyg(batch.x_dict, batch.edge_index_dict)
        opt_pyg.zero_grad()
        loss.backward()
        opt_pyg.step()

    t_dense, t_pyg = time_step(dense_step), time_step(pyg_step)
    print(f"HGSAGE training step, batch 64 x (120 UEs, 105 BSs), {torch.get_num_threads()} threads:")
    print(f"  dense batched matmuls (hudnlib.gnn.model) {1e3 * t_dense:8.1f} ms")
    print(f"  PyG HeteroConv/SAGEConv                   {1e3 * t_pyg:8.1f} ms  ({t_pyg / t_dense:.1f}x)")


if __name__ == "__main__":
    main()

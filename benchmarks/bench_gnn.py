"""Time one HGSAGE training step: dense batched matmuls (ours) vs PyG message passing; and
the authors' configuration: one GRL step (batch 64) and one SRL event-step batched over
events, each beside its matrix-product floor (the step's own products, shapes recorded by
torch's profiler, replayed alone on the same device) and against the reference forms
(concatenate-then-map layers, torch's dense ``topk`` draw, one event at a time).

``python benchmarks/bench_gnn.py --authors`` runs only the authors' part (on CUDA when
torch finds it, else the CPU).

Both models have two layers of 128 per node with first-order (UE<->BS edges) and
second-order (UE-UE and BS-BS through a shared neighbour) SAGE aggregators, on a batch of
64 events of paper A's circumstance; the step is forward + backward + Adam. The faster path
is the one ``hudnlib.gnn.model`` uses.
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile
from torch_geometric.data import Batch
from torch_geometric.nn import HeteroConv, SAGEConv

from hudnlib.experiments.paper_a_baselines import BaselineConfig, radio_map_of
from hudnlib.gnn.graph import dense_batch, to_hetero_data
from hudnlib.gnn.model import HGSAGE
from hudnlib.gnn.objective import loss_terms
from hudnlib.radio import dbm_to_w, noise_power_w
from hudnlib.scenarios.paper_a import draw_event


BFLOAT16_REPLAY = "the same products in bfloat16 (not what the model computes: the README says why)"
"""Label of the bench's bfloat16 replays of a step's products."""


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


def recorded_products(step) -> list[tuple[tuple[int, ...], tuple[int, ...], int]]:
    """The matrix products one call of ``step`` runs: both operands' shapes and the count, from
    torch's profiler."""
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        step()
    products = []
    for event in prof.key_averages(group_by_input_shape=True):
        if event.key in ("aten::mm", "aten::bmm") and event.input_shapes and len(event.input_shapes[0]) >= 2:
            a, b = event.input_shapes[0], event.input_shapes[1]
            products.append((tuple(a), tuple(b), event.count))
    return products


def product_floor(products, device: torch.device, repeats: int = 5,
                  dtype: torch.dtype = torch.float32) -> tuple[float, float]:
    """(seconds, FLOPs) of :func:`recorded_products` replayed alone on ``device`` (in
    ``dtype``; the model computes in float32): the time the step would take if it did nothing
    else."""
    flops = sum(2.0 * np.prod(a) * b[-1] * count for a, b, count in products)
    tensors = [(torch.randn(a, device=device, dtype=dtype), torch.randn(b, device=device, dtype=dtype), count)
               for a, b, count in products]

    def replay():
        for x, y, count in tensors:
            for _ in range(count):
                torch.matmul(x, y)
        if device.type == "cuda":
            torch.cuda.synchronize()

    return time_step(replay, repeats), flops


def authors_steps(device: torch.device) -> None:
    """The authors' GRL step and batched SRL event-step against their floors and references."""
    from hudnlib.experiments.paper_a_hgsage_authors import AuthorsGNNConfig, checkpoint_path, reading_setting
    from hudnlib.gnn.authors import AuthorsHGSAGE, authors_loss_terms
    from hudnlib.gnn.authors_training import AuthorsTrainConfig, fine_tune_srl_batched, kept_model
    from hudnlib.gnn.training import event_batch, to_device

    config = AuthorsGNNConfig(samples=200, reading="authors", train=AuthorsTrainConfig())
    radio_map, p_max, noise = reading_setting(config)
    n_ue, n_bs = radio_map.config.n_active, len(p_max)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.manual_seed(0)
    model = AuthorsHGSAGE(n_ue, n_bs).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    rng = np.random.default_rng(0)
    batch, labels = event_batch(radio_map, rng, 64, p_max, noise)
    fixed = (to_device(batch, device), labels.to(device))

    def grl_step(draw: bool = True):
        batch, labels = event_batch(radio_map, rng, 64, p_max, noise) if draw else fixed
        batch, labels = to_device(batch, device), labels.to(device)
        z, x, power = model(batch, rng if device.type == "cpu" else None)
        descend(optimizer, authors_loss_terms(z, x, power, batch.gain, labels)["loss"].sum(), device)

    t_grl = time_step(grl_step, repeats=10)
    t_grl_fixed = time_step(lambda: grl_step(False), repeats=10)
    grl_products = recorded_products(lambda: grl_step(False))
    floor, flops = product_floor(grl_products, device)
    print(f"Authors' HGSAGE ({n_ue} UEs x {n_bs} BSs) on {device.type}"
          f"{' (' + torch.cuda.get_device_name(0) + ')' if device.type == 'cuda' else ''}, "
          f"{torch.get_num_threads()} CPU threads:")
    print(f"  GRL step, batch 64:             {1e3 * t_grl:8.1f} ms  (events drawn: "
          f"{1e3 * (t_grl - t_grl_fixed):.1f} ms; 10,000 steps: {t_grl * 1e4 / 60:.1f} min)")
    print(f"    matrix products alone:        {1e3 * floor:8.1f} ms  ({flops / 1e9:.1f} GFLOP at "
          f"{flops / floor / 1e9:.0f} GFLOP/s; step / floor = {t_grl / floor:.2f})")
    half, _ = product_floor(grl_products, device, dtype=torch.bfloat16)
    print(f"    {BFLOAT16_REPLAY}: {1e3 * half:.1f} ms")
    reference = reference_grl_step(model, fixed, device)
    t_ref = time_step(reference, repeats=5)
    print(f"  reference GRL step (concatenate-then-map layers, dense topk draw, fixed batch): "
          f"{1e3 * t_ref:.1f} ms ({t_ref / t_grl_fixed:.2f}x the fast step on the same batch)")
    kept = kept_model(checkpoint_path(config), config.train, n_ue, n_bs)
    for events in ((10, 50) if device.type == "cpu" else (10, 100, 200)):
        batch, labels = event_batch(radio_map, np.random.default_rng(1), events, p_max, noise)
        batch, labels = to_device(batch, device), labels.to(device)

        def srl(steps=10):
            fine_tune_srl_batched(kept, batch, labels, config.train, steps=steps)
            sync()

        t = (time_step(lambda: srl(10), repeats=3) - time_step(lambda: srl(1), repeats=3)) / 9
        srl_products = [recorded_products(lambda: srl(n)) for n in (10, 1)]

        def step_floor(dtype=torch.float32):
            """Products of one SRL step: those of 10 steps less those of 1, over 9 (setup left out as above)."""
            (floor_10, flops_10), (floor_1, flops_1) = (product_floor(p, device, 3, dtype) for p in srl_products)
            return (floor_10 - floor_1) / 9, (flops_10 - flops_1) / 9

        floor, flops = step_floor()
        print(f"  SRL batched over {events:3d} events: {1e3 * t / events:6.2f} ms per event-step "
              f"(10,000 steps x 200 events: {t / events * 2e6 / 3600:.2f} h)")
        print(f"    matrix products alone:        {1e3 * floor / events:8.2f} ms per event-step ({flops / events / 1e9:.2f} "
              f"GFLOP at {flops / floor / 1e9:.0f} GFLOP/s; step / floor = {t / floor:.2f})")
        if events == 10:
            print(f"    {BFLOAT16_REPLAY}: {1e3 * step_floor(torch.bfloat16)[0] / events:.2f} ms per event-step")
    one = type(fixed[0])(**{k: (v[:1] if isinstance(v, torch.Tensor) else v) for k, v in fixed[0].__dict__.items()})
    per_event = reference_srl_step(kept.to(device), one, fixed[1][:1], device)
    t_one = time_step(per_event, repeats=10)
    floor_one, flops_one = product_floor(recorded_products(per_event), device)
    print(f"  SRL one event at a time (reference): {1e3 * t_one:.2f} ms per event-step; its products alone "
          f"{1e3 * floor_one:.2f} ms ({flops_one / 1e9:.2f} GFLOP)")


def descend(optimizer: torch.optim.Optimizer, loss: torch.Tensor, device: torch.device) -> None:
    """One optimiser step on ``loss``, finished on the device before the clock reads."""
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()


def reference_grl_step(model, fixed, device):
    """The reference step: layers as concatenate-then-map, neighbours drawn by torch's dense
    ``topk`` (:func:`hudnlib.gnn.reference.authors_forward_reference`)."""
    from hudnlib.gnn.authors import authors_loss_terms
    from hudnlib.gnn.reference import authors_forward_reference

    batch, labels = fixed
    ref = copy.deepcopy(model)
    optimizer = torch.optim.Adam(ref.parameters(), lr=1e-4)

    def step():
        z, x, power = authors_forward_reference(ref, batch)
        descend(optimizer, authors_loss_terms(z, x, power, batch.gain, labels)["loss"].sum(), device)

    return step


def reference_srl_step(model, batch, labels, device):
    """One SRL step on one event as the per-event loop runs it (the module's own forward)."""
    from hudnlib.gnn.authors import LOSS_WEIGHTS, authors_loss_terms

    tuned = copy.deepcopy(model)
    optimizer = torch.optim.Adam(tuned.parameters(), lr=1e-4)

    def step():
        z, x, power = tuned(batch)
        terms = authors_loss_terms(z, x, power, batch.gain, labels)
        descend(optimizer, (terms["loss"] - LOSS_WEIGHTS["supervised"] * terms["supervised"]).sum(), device)

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authors", action="store_true", help="only the authors' configuration")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    authors_steps(device)
    if args.authors:
        return
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

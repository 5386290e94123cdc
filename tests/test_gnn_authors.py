"""HGSAGE in the authors' configuration: the loss against a hand computation, masking, the
sampled aggregator, resume, and the checkpoint's step check."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from hudnlib.gnn.authors import AuthorsHGSAGE, authors_loss_terms, neighbourhoods, sample_neighbours
from hudnlib.gnn.authors_training import (AuthorsTrainConfig, fine_tune_srl_authors, fine_tune_srl_batched,
                                          kept_model, train_grl_authors)
from hudnlib.gnn.graph import dense_batch, dense_batch_of, strongest_labels, to_hetero_data
from hudnlib.gnn.reference import authors_forward_reference
from hudnlib.gnn.sampling import sampled_weights
from hudnlib.radio import dbm_to_w, noise_power_w
from hudnlib.scenarios.paper_a import HUDNConfig, build_radio_map
from tests.conftest import authors_arrays

NOISE = noise_power_w(20e6)


def test_loss_equals_a_hand_computation_on_two_ues_and_two_bss():
    # UE 0 leans to BS 0, UE 1 to BS 0 as well (argmax), with soft weights.
    x = torch.tensor([[[0.9, 0.1], [0.6, 0.4]]], dtype=torch.float64)
    z = torch.log(x).float()  # logits whose softmax is x
    power = torch.tensor([[2.0, 1.0]], dtype=torch.float64)
    gain = torch.tensor([[[1.0, 0.5], [0.2, 0.8]]], dtype=torch.float64)
    labels = torch.tensor([[0, 1]])
    terms = authors_loss_terms(z, x, power, gain, labels)
    # R_pc: argmax association (0, 0): BS 1 serves no one and is silent; load 2.
    # signal_i = x_i0 p_0 g_i0 (only BS 0 active); interference = p_0 g_i0 - signal.
    s0, i0 = 0.9 * 2.0 * 1.0, 2.0 * 1.0 - 0.9 * 2.0
    s1, i1 = 0.6 * 2.0 * 0.2, 2.0 * 0.2 - 0.6 * 2.0 * 0.2
    rate_pc = math.log2(1 + s0 / i0) / 2 + math.log2(1 + s1 / i1) / 2
    # R_ua: soft counts (1.5, 0.5), both BSs active; load_i = max_j x_ij count_j.
    rx = [[2.0 * 1.0, 1.0 * 0.5], [2.0 * 0.2, 1.0 * 0.8]]
    rate_ua = 0.0
    for i, (a, b) in enumerate(x[0].tolist()):
        signal = a * rx[i][0] + b * rx[i][1]
        load = max(a * 1.5, b * 0.5)
        rate_ua += math.log2(1 + signal / (rx[i][0] + rx[i][1] - signal)) / load
    ce = (-math.log(0.9) - math.log(0.4)) / 2
    assert terms["rate_pc"].item() == pytest.approx(rate_pc, rel=1e-12)
    assert terms["rate_ua"].item() == pytest.approx(rate_ua, rel=1e-12)
    assert terms["supervised"].item() == pytest.approx(ce, rel=1e-6)
    assert terms["loss"].item() == pytest.approx(100 * ce - 200 * rate_pc - 20 * rate_ua, rel=1e-6)


def test_gradients_follow_the_two_paths():
    """R_pc trains the powers only, R_ua the association only."""
    x = torch.tensor([[[0.7, 0.3], [0.2, 0.8]]], dtype=torch.float64, requires_grad=True)
    power = torch.tensor([[1.0, 1.5]], dtype=torch.float64, requires_grad=True)
    gain = torch.tensor([[[1.0, 0.3], [0.4, 0.9]]], dtype=torch.float64)
    terms = authors_loss_terms(torch.log(x).float(), x, power, gain, torch.tensor([[0, 1]]))
    grads = torch.autograd.grad(terms["rate_pc"].sum(), [x, power], allow_unused=True)
    assert grads[0] is None and grads[1].abs().sum() > 0
    grads = torch.autograd.grad(terms["rate_ua"].sum(), [x, power], allow_unused=True)
    assert grads[0].abs().sum() > 0 and grads[1] is None


def _events(rng, n_ue=12, n_bs=7, count=3):
    out = []
    for _ in range(count):
        gain = 10.0 ** rng.uniform(-13, -7, (n_ue, n_bs))
        detectable = gain > 10**-10
        detectable[np.arange(n_ue), rng.integers(0, n_bs, n_ue)] = True
        out.append(to_hetero_data(gain, detectable, dbm_to_w(np.r_[50.0, np.full(n_bs - 1, 20.0)]), NOISE))
    return dense_batch(out)


def test_corrected_model_is_masked_to_detecting_bss_and_authors_model_is_not():
    torch.manual_seed(0)
    batch = _events(np.random.default_rng(1))
    masked = AuthorsHGSAGE(12, 7, mask_to_edges=True)
    z, x, power = masked(batch)
    off = batch.adj == 0
    assert torch.isinf(z[off]).all() and (x[off] == 0).all()
    assert bool((batch.adj.gather(-1, z.argmax(-1, keepdim=True)) == 1).all())
    assert torch.isfinite(torch.autograd.grad(authors_loss_terms(
        z, x, power, batch.gain, batch.gain.argmax(-1))["loss"].sum(), masked.assoc_out)[0]).all()
    free = AuthorsHGSAGE(12, 7, mask_to_edges=False)
    z, x, power = free(batch)
    assert torch.isfinite(z).all() and (x[off] > 0).any()
    assert (power >= 0).all() and (power <= batch.p_max).all()


def test_sampled_neighbours_stay_in_the_allowed_set_and_cap_at_k():
    torch.manual_seed(0)
    allowed = torch.rand(4, 30, 25) < 0.5
    mask = sample_neighbours(allowed, 10)
    assert not bool((mask.bool() & ~allowed).any())
    np.testing.assert_array_equal(mask.sum(-1).numpy(), np.minimum(allowed.sum(-1).numpy(), 10))


def test_a_model_for_another_event_size_is_refused():
    with pytest.raises(ValueError, match="built for"):
        AuthorsHGSAGE(10, 7)(_events(np.random.default_rng(0)))


def _setting():
    radio_map = build_radio_map(HUDNConfig(grid_step_m=5.0, n_small=20, n_active=20), np.random.default_rng(0))
    return radio_map, dbm_to_w(radio_map.power_dbm), NOISE


def test_interrupted_grl_resumes_to_the_identical_history_and_kept_model(tmp_path):
    radio_map, p_max, noise = _setting()
    config = AuthorsTrainConfig(steps=6, batch=3, window=3, checkpoint_every=2)
    straight, history = train_grl_authors(radio_map, p_max, noise, config, tmp_path / "a.pt", progress=False)
    short = AuthorsTrainConfig(steps=4, batch=3, window=3, checkpoint_every=2)
    train_grl_authors(radio_map, p_max, noise, short, tmp_path / "b.pt", progress=False)
    resumed, history_b = train_grl_authors(radio_map, p_max, noise, config, tmp_path / "b.pt", progress=False)
    assert len(history_b) == 6
    for column in ("mean_rate", "total_loss", "lr"):
        np.testing.assert_allclose(history_b[column], history[column], rtol=1e-6)
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b)
    kept_model(tmp_path / "a.pt", config, 20, p_max.size)
    with pytest.raises(ValueError, match="stopped at step 4"):
        kept_model(tmp_path / "a.pt", short, 20, p_max.size)
    with pytest.raises(ValueError, match="past the"):
        train_grl_authors(radio_map, p_max, noise, short, tmp_path / "a.pt", progress=False)


def test_every_shipped_checkpoint_loads_weights_only_and_the_authors_ones_build_their_model():
    from hudnlib.gnn.training import load_checkpoint
    from hudnlib.provenance import CHECKPOINT_DIR

    paths = sorted(CHECKPOINT_DIR.glob("*.pt"))
    authors = [p for p in paths if p.name.startswith("hgsage_authors_")]
    assert authors, "the authors' configuration ships no checkpoint"
    for path in paths:
        assert load_checkpoint(path)["state"]["step"] >= 1  # digest-checked, weights_only=True
    for path in authors:
        kept = load_checkpoint(path)["state"]["best_model"]
        n_ue = kept["bs_second.0.weight"].shape[1] // 2  # a BS's features: its channel to every UE
        n_bs = kept["ue_second.0.weight"].shape[1] // 2
        AuthorsHGSAGE(n_ue, n_bs).load_state_dict(kept)


def test_batch_built_from_arrays_equals_the_batch_of_pyg_graphs():
    gain, detectable, p_max = authors_arrays(np.random.default_rng(3))
    fast = dense_batch_of(gain, detectable, p_max, NOISE)
    slow = dense_batch([to_hetero_data(g, d, p_max, NOISE) for g, d in zip(gain, detectable)])
    for name in ("adj", "edge", "ue_x", "bs_x", "gain", "p_max"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    detectable[1, 4] = False
    with pytest.raises(ValueError, match="UE 4 of event 1"):
        dense_batch_of(gain, detectable, p_max, NOISE)


@pytest.mark.parametrize("mask_to_edges", [False, True])
def test_fast_grl_step_equals_the_reference_step_on_the_same_draws(mask_to_edges):
    """Projection before aggregation, shared products and the product-form batch norm are
    the same maths as the concatenate-then-map layer: same outputs, loss and gradients."""
    torch.manual_seed(0)
    gain, detectable, p_max = authors_arrays(np.random.default_rng(4))
    batch = dense_batch_of(gain, detectable, p_max, NOISE)
    labels = strongest_labels(gain, detectable)
    model = AuthorsHGSAGE(12, 7, samples=3, mask_to_edges=mask_to_edges).double()
    rng = np.random.default_rng(5)
    masks = [(sampled_weights(a, 3, rng) > 0).double() for _ in range(2) for a in neighbourhoods(batch.adj)]
    weights = [m / (m.sum(-1, keepdim=True) + 1.0) for m in masks]
    outputs, grads = [], []
    for forward in (lambda: model(batch, weights=weights), lambda: authors_forward_reference(model, batch, masks)):
        model.zero_grad()
        z, x, power = forward()
        loss = authors_loss_terms(z, x, power, batch.gain, labels)["loss"].sum()
        loss.backward()
        outputs.append((z, x, power, loss))
        grads.append([q.grad.clone() for q in model.parameters()])
    for a, b in zip(*outputs):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-9)


def test_sampled_weights_draw_k_of_the_allowed_uniformly():
    rng = np.random.default_rng(6)
    allowed = torch.rand(5, 40, 30, generator=torch.Generator().manual_seed(1)) < 0.4
    allowed[0, 0] = False  # a row with nothing allowed keeps nothing
    w = sampled_weights(allowed, 4, rng)
    chosen = w > 0
    assert not bool((chosen & ~allowed).any())
    n = np.minimum(allowed.sum(-1).numpy(), 4)
    np.testing.assert_array_equal(chosen.sum(-1).numpy(), n)
    np.testing.assert_allclose(w.sum(-1).numpy(), n / (n + 1), rtol=1e-6)
    # every allowed entry of a row is drawn with probability k / m (uniform without replacement)
    row = torch.zeros(2000, 1, 12, dtype=torch.bool)
    row[..., [0, 2, 3, 5, 7, 8, 10, 11]] = True
    freq = (sampled_weights(row, 3, rng) > 0).double().mean(0)[0].numpy()
    np.testing.assert_allclose(freq[row[0, 0].numpy()], 3 / 8, atol=0.04)
    # shared draws: every batch element draws like the first
    same = sampled_weights(allowed[:1].expand(3, -1, -1).contiguous(), 4, np.random.default_rng(7), shared=True)
    assert bool((same == same[:1]).all())


def test_the_torch_form_of_the_draw_keeps_the_same_sets():
    torch.manual_seed(0)
    allowed = torch.rand(4, 30, 25) < 0.5
    w = sampled_weights(allowed, 10, None)
    np.testing.assert_array_equal((w > 0).sum(-1).numpy(), np.minimum(allowed.sum(-1).numpy(), 10))


def test_batched_srl_equals_srl_one_event_at_a_time():
    """One set of weights per event and shared draws: each event's per-step decisions and
    rates are those of SRL run on it alone from the same seed (first steps, before float
    noise compounds)."""
    gain, detectable, p_max = authors_arrays(np.random.default_rng(8), count=3)
    torch.manual_seed(1)
    model = AuthorsHGSAGE(12, 7)
    config = AuthorsTrainConfig(lr=1e-2, seed=3)
    batch = dense_batch_of(gain, detectable, p_max, NOISE)
    labels = strongest_labels(gain, detectable)
    result = fine_tune_srl_batched(model, batch, labels, config, steps=5, record_at=(2,))
    assert result.steps == (2, 5)
    for e in range(3):
        best, history = fine_tune_srl_authors(model, dense_batch_of(gain[e:e + 1], detectable[e:e + 1], p_max, NOISE),
                                              labels[e:e + 1], config, steps=5)
        np.testing.assert_allclose(result.rate[1, e], best["rate"], rtol=1e-6)
        np.testing.assert_allclose(result.rate[0, e], history["best_rate"].iloc[1], rtol=1e-6)
        np.testing.assert_array_equal(result.association[1, e], best["association"])
        np.testing.assert_allclose(result.power[1, e], best["power"], rtol=1e-4, atol=1e-9)
    per_event = [fine_tune_srl_authors(model, dense_batch_of(gain[e:e + 1], detectable[e:e + 1], p_max, NOISE),
                                       labels[e:e + 1], config, steps=5)[1]["rate"] for e in range(3)]
    np.testing.assert_allclose(result.trace["mean_rate"], np.mean(per_event, axis=0), rtol=1e-6)
    for p in model.parameters():
        assert p.grad is None  # the GRL model is left as it was


def test_step_flops_counts_forward_and_backward_products_linearly_in_the_batch():
    """One GRL step's products: forward plus backward (a product's backward is two
    products, so between 2x and 3x the forward alone), proportional to the batch."""
    from torch.utils.flop_counter import FlopCounterMode

    from hudnlib.experiments.beyond.hgsage_small import SmallHGSAGEConfig, small_circumstance
    from hudnlib.gnn.authors import AuthorsHGSAGE
    from hudnlib.gnn.authors_training import AuthorsTrainConfig, step_flops
    from hudnlib.gnn.training import event_batch

    small, p_max, noise = small_circumstance(SmallHGSAGEConfig(samples=1))
    config = AuthorsTrainConfig(batch=4, mask_to_edges=True, idle_silent=False)
    step = step_flops(small, p_max, noise, config)
    assert step_flops(small, p_max, noise, replace(config, batch=8)) == pytest.approx(2 * step, rel=1e-6)
    model = AuthorsHGSAGE(small.config.n_active, len(p_max), mask_to_edges=True)
    batch, _ = event_batch(small, np.random.default_rng(config.seed), config.batch, p_max, noise)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(batch)
    assert 2.0 <= step / counter.get_total_flops() <= 3.0

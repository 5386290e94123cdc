"""HGSAGE in the authors' configuration: the loss against a hand computation, masking, the
sampled aggregator, resume, and the checkpoint's step check."""

import math

import numpy as np
import pytest
import torch

from hudnlib.gnn.authors import AuthorsHGSAGE, authors_loss_terms, sample_neighbours
from hudnlib.gnn.authors_training import AuthorsTrainConfig, kept_model, train_grl_authors
from hudnlib.gnn.graph import dense_batch, to_hetero_data
from hudnlib.radio import dbm_to_w, noise_power_w
from hudnlib.scenarios.paper_a import HUDNConfig, build_radio_map

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

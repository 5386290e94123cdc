"""HGSAGE: masking, equivariance, one definition of the rate, training, resume."""

import numpy as np
import pytest
import torch

from hudnlib.effective_rate import effective_rates
from hudnlib.gnn.graph import dense_batch, to_hetero_data
from hudnlib.gnn.model import HGSAGE
from hudnlib.gnn.objective import hard_association, loss_terms, rate
from hudnlib.gnn.training import TrainConfig, train_grl
from hudnlib.radio import dbm_to_w, noise_power_w
from hudnlib.scenarios.paper_a import HUDNConfig, build_radio_map

NOISE = noise_power_w(20e6)


def _event(rng, n_ue=12, n_bs=7):
    gain = 10.0 ** rng.uniform(-13, -7, (n_ue, n_bs))
    detectable = gain > 10**-11
    detectable[np.arange(n_ue), rng.integers(0, n_bs, n_ue)] = True
    p_max = dbm_to_w(np.r_[50.0, np.full(n_bs - 1, 20.0)])
    return gain, detectable, p_max


def _batch(events):
    return dense_batch([to_hetero_data(g, d, p, NOISE) for g, d, p in events])


def test_graph_edges_are_the_detectable_pairs():
    gain, detectable, p_max = _event(np.random.default_rng(0))
    data = to_hetero_data(gain, detectable, p_max, NOISE)
    ue, bs = data["ue", "link", "bs"].edge_index.numpy()
    np.testing.assert_array_equal(np.sort(ue * 7 + bs), np.flatnonzero(detectable))
    assert data["ue"].x.shape == (12, 3) and data["bs"].x.shape == (7, 4)


def test_outputs_respect_masks_and_power_ranges():
    torch.manual_seed(0)
    model = HGSAGE()
    events = [_event(np.random.default_rng(s)) for s in range(3)]
    batch = _batch(events)
    logits, x, power = model(batch)
    mask = batch.adj.bool()
    np.testing.assert_allclose(x.sum(-1).detach().numpy(), 1.0, atol=1e-6)
    assert torch.all(x[~mask] == 0) and torch.all(torch.isinf(logits[~mask]))
    assert torch.all(power >= 0) and torch.all(power <= batch.p_max)


def test_permutation_equivariance():
    torch.manual_seed(1)
    model = HGSAGE()
    gain, detectable, p_max = _event(np.random.default_rng(2))
    logits, x, power = model(_batch([(gain, detectable, p_max)]))
    ue_perm, bs_perm = np.random.default_rng(3).permutation(12), np.random.default_rng(4).permutation(7)
    logits_u, _, power_u = model(_batch([(gain[ue_perm], detectable[ue_perm], p_max)]))
    torch.testing.assert_close(logits_u[0], logits[0][ue_perm], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(power_u, power, rtol=1e-5, atol=1e-9)
    logits_b, x_b, power_b = model(_batch([(gain[:, bs_perm], detectable[:, bs_perm], p_max[bs_perm])]))
    torch.testing.assert_close(x_b[0], x[0][:, bs_perm], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(power_b[0], power[0][bs_perm], rtol=1e-5, atol=1e-9)


def test_rate_of_hard_decisions_equals_the_numba_objective():
    torch.manual_seed(2)
    model = HGSAGE()
    events = [_event(np.random.default_rng(s)) for s in range(4)]
    batch = _batch(events)
    logits, _, power = model(batch)
    torch_rate = rate(hard_association(logits), power, batch).detach().numpy()
    for b, (gain, _, _) in enumerate(events):
        assoc = logits[b].argmax(-1).numpy()
        np.testing.assert_allclose(torch_rate[b], effective_rates(gain, power[b].detach().numpy(), NOISE, assoc),
                                   rtol=1e-10)


def test_a_few_steps_reduce_the_loss():
    torch.manual_seed(3)
    model = HGSAGE()
    events = [_event(np.random.default_rng(s)) for s in range(8)]
    batch = _batch(events)
    labels = torch.tensor(np.stack([np.argmax(np.where(d, g, 0), 1) for g, d, _ in events]))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        logits, x, power = model(batch)
        t = loss_terms(logits, x, power, batch, labels, model.temperature)
        loss = 10 * t["supervised"] - (t["rate_power"] + t["rate_assoc"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < np.mean(losses[:5])


@pytest.fixture(scope="module")
def small_map():
    return build_radio_map(HUDNConfig(grid_step_m=5.0, n_small=20, n_active=20), np.random.default_rng(0))


def test_grl_is_deterministic_and_resumes_after_a_kill(small_map, tmp_path, monkeypatch):
    from hudnlib.gnn import training

    p_max, cfg = dbm_to_w(small_map.power_dbm), TrainConfig(steps=6, batch=4, window=5, checkpoint_every=3)
    _, straight = train_grl(small_map, p_max, NOISE, cfg, progress=False)
    _, again = train_grl(small_map, p_max, NOISE, cfg, progress=False)
    np.testing.assert_array_equal(straight["mean_rate"], again["mean_rate"])
    real, calls = training.event_batch, []

    def dying(*args):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt("simulated kill during step 5")
        return real(*args)

    monkeypatch.setattr(training, "event_batch", dying)
    with pytest.raises(KeyboardInterrupt):
        train_grl(small_map, p_max, NOISE, cfg, checkpoint=tmp_path / "grl.pt", progress=False)
    assert torch.load(tmp_path / "grl.pt", weights_only=False)["state"]["step"] == 3
    monkeypatch.setattr(training, "event_batch", real)
    _, resumed = train_grl(small_map, p_max, NOISE, cfg, checkpoint=tmp_path / "grl.pt", progress=False)
    assert len(resumed) == 6
    np.testing.assert_allclose(resumed["mean_rate"], straight["mean_rate"], rtol=1e-9)


def test_bad_settings():
    with pytest.raises(ValueError, match="steps"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match="temperature"):
        HGSAGE(temperature=0.0)


@pytest.mark.parametrize("bad", ["negative gain", "nan mask", "half mask", "lonely UE"])
def test_graph_inputs_are_checked(bad):
    from hudnlib.gnn.graph import to_hetero_data

    rng = np.random.default_rng(0)
    gain = 10.0 ** rng.uniform(-12, -8, (6, 4))
    mask = gain > 1e-10
    mask[np.arange(6), gain.argmax(1)] = True
    if bad == "negative gain":
        gain[1, 1] = -gain[1, 1]
    elif bad == "nan mask":
        mask = np.where(mask, np.nan, 0.0)
    elif bad == "half mask":
        mask = np.where(mask, 0.5, 0.0)
    else:
        mask[3] = False
    with pytest.raises(ValueError, match="gain|detectable"):
        to_hetero_data(gain, mask, np.ones(4), 1e-13)


@pytest.mark.parametrize("rate, expected", [
    ([1.0, 1.0, 1.0, 1.0], 1.0),          # all equal
    ([4.0, 0.0, 0.0, 0.0], 0.25),         # one user takes all: 1 / n
    ([1.0, 2.0, 3.0], 36.0 / (3 * 14.0)),  # (sum r)^2 / (n sum r^2)
    ([0.0, 0.0], 0.0),                    # nobody served
])
def test_jain_index_known_cases(rate, expected):
    from hudnlib.experiments.paper_a_gnn import jain_index

    assert jain_index(np.array(rate)) == pytest.approx(expected)

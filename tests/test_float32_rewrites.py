"""The float32 rewrites of the authors' step (``benchmarks/float32_rewrites.py``) compute what
the library computes: the same draws, events and decision rates, and the library's outputs and
gradients up to float32 rounding."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from hudnlib.gnn.authors import AuthorsHGSAGE, neighbourhoods, projection_params, standardised_gain
from hudnlib.gnn.authors_training import decision_rate
from hudnlib.gnn.sampling import sampled_weights
from hudnlib.gnn.training import event_batch
from hudnlib.radio import dbm_to_w, noise_power_w
from hudnlib.scenarios.paper_a import HUDNConfig, build_radio_map
from tests.conftest import authors_batch, outputs_and_grads

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import float32_draws  # noqa: E402
import float32_rewrites as rewrites  # noqa: E402
from float32_draws import SampledDraw  # noqa: E402


def _dense(draw: SampledDraw, n_cols: int) -> torch.Tensor:
    """The draw as dense aggregation weights, from its drawn columns."""
    out = np.zeros((*draw.count.shape, n_cols), np.float32)
    for (b, i), n in np.ndenumerate(draw.count):
        out[b, i, draw.index[b, i, :n]] = 1.0 / (n + 1)
    return torch.from_numpy(out)


@pytest.mark.parametrize("shared", [False, True])
def test_layer_draws_are_the_library_draws(shared):
    """The neighbourhoods read from bit sets of the adjacency (a wrong second-order rule, a
    node's own membership or the isolated nodes' fallback would change them), the same uniforms
    in the same order (the generator is left where the library leaves it) and the same shuffle;
    more than 64 UEs, so the bit sets span two words."""
    adj = torch.from_numpy(np.random.default_rng(1).random((3, 70, 9)) < 0.1)
    adj[0, 5] = False  # a UE no BS detects: its second order is every UE
    adj[1, :, 2] = False  # a BS that detects no UE: nothing to average, every BS second-order
    adj[2, :, 4] = False
    adj[2, 7, 4] = True  # a BS with one UE: fewer than `samples`
    library_rng, our_rng = np.random.default_rng(2), np.random.default_rng(2)
    library = [sampled_weights(a, 5, library_rng, shared) for a in neighbourhoods(adj)]
    ours = float32_draws.layer_draws(adj, 5, our_rng, shared)
    for mine, theirs in zip(ours, library):
        torch.testing.assert_close(_dense(mine, theirs.shape[-1]), theirs, rtol=0, atol=0)
        assert (np.diff(mine.index, axis=-1)[mine.count[..., None] > np.arange(1, 5)] > 0).all()  # increasing
    assert ours[2].count[0, 5] == 0 and ours[3].count[0, 5] == 5  # the UE no BS detects
    assert ours[0].count[1, 2] == 0 and ours[1].count[1, 2] == 5 and ours[0].count[2, 4] == 1
    assert our_rng.random() == library_rng.random()


def test_fused_layer_and_its_gradient_are_the_library_layer():
    """The library's layer after its projections, ``relu(cat([s_1 + W_1 @ sent, s_2 + W_2 @
    neighbours]))`` per node type with dense weights of the same draws, forward and backward."""
    rng = np.random.default_rng(1)
    adj = torch.from_numpy(rng.random((3, 9, 6)) < 0.5)  # 3 events, 9 UEs, 6 BSs
    adj[:, :, 0] = True
    adj[0, :, 3] = False  # a BS that detects no UE: nothing to average
    allowed = neighbourhoods(adj)
    draws = float32_draws.layer_draws(adj, 4, np.random.default_rng(2))
    assert draws[0].count[0, 3] == 0
    assert {1, 2, 3} <= set(np.concatenate([d.count.ravel() for d in draws]))  # pairs of rows, and one left
    dense = [_dense(draw, a.shape[-1]) for draw, a in zip(draws, allowed)]
    y_bs, y_ue = torch.randn(3, 6, 20, requires_grad=True), torch.randn(3, 9, 20, requires_grad=True)
    up_bs, up_ue = torch.randn(3, 6, 10), torch.randn(3, 9, 10)
    h_bs, h_ue = rewrites.fused_layer(y_bs, y_ue, draws)
    (h_bs * up_bs).sum().add((h_ue * up_ue).sum()).backward()
    ours = (h_bs.detach(), h_ue.detach(), y_bs.grad.clone(), y_ue.grad.clone())
    y_bs.grad = y_ue.grad = None
    w_bs_ue, w_bs_bs, w_ue_bs, w_ue_ue = dense
    s_bs1, s_bs2, n_bs2, to_ue = y_bs.chunk(4, -1)
    s_ue1, s_ue2, n_ue2, to_bs = y_ue.chunk(4, -1)
    h_bs = torch.relu(torch.cat([s_bs1 + w_bs_ue @ to_bs, s_bs2 + w_bs_bs @ n_bs2], -1))
    h_ue = torch.relu(torch.cat([s_ue1 + w_ue_bs @ to_ue, s_ue2 + w_ue_ue @ n_ue2], -1))
    (h_bs * up_bs).sum().add((h_ue * up_ue).sum()).backward()
    for mine, theirs in zip(ours, (h_bs, h_ue, y_bs.grad, y_ue.grad)):
        torch.testing.assert_close(mine, theirs.detach(), rtol=1e-6, atol=1e-6)
    assert (h_bs == 0).any() and (h_bs > 0).any()  # the ReLU's both sides are exercised


def test_fused_layer_refuses_what_its_kernels_do_not_compute():
    draws = float32_draws.layer_draws(torch.ones(1, 2, 2, dtype=torch.bool), 2, np.random.default_rng(0))
    with pytest.raises(TypeError, match="y_ue must be a float32"):
        rewrites.fused_layer(torch.ones(1, 2, 8), torch.ones(1, 2, 8, dtype=torch.float64), draws)


def test_rewritten_step_refuses_the_masked_reading():
    batch, _ = authors_batch()
    with pytest.raises(ValueError, match="reading 'authors'"):
        rewrites.RewrittenHGSAGE(12, 7, samples=3, mask_to_edges=True)(batch)


def _pair():
    torch.manual_seed(0)
    library = AuthorsHGSAGE(12, 7, samples=3)
    ours = rewrites.RewrittenHGSAGE(12, 7, samples=3)
    ours.load_state_dict(library.state_dict())
    return library, ours


def test_rewritten_step_is_the_library_step():
    batch, labels = authors_batch()
    library, ours = _pair()
    (a, a_grads), (b, b_grads) = (outputs_and_grads(m, batch, labels) for m in (ours, library))
    for mine, theirs in zip(a, b):  # the gathers add in another order: float32 rounding
        assert mine.dtype == theirs.dtype
        torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-5)
    for mine, theirs in zip(a_grads, b_grads):  # the softmax at temperature 0.001 amplifies rounding
        assert float((mine - theirs).norm()) <= 1e-3 * float(theirs.norm())


def test_rewritten_step_with_one_set_of_weights_per_event_is_the_library_step():
    """SRL batched over events passes the weights with a leading event axis."""
    batch, labels = authors_batch()
    library, ours = _pair()
    params = {k: v.detach().unsqueeze(0).repeat(3, *([1] * v.dim())) for k, v in projection_params(library).items()}
    with torch.no_grad():
        mine, theirs = ours(batch, np.random.default_rng(5), params=params), library(batch, np.random.default_rng(5),
                                                                                      params=params)
    for a, b in zip(mine, theirs):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_collapsed_power_head_is_the_factored_head():
    library, _ = _pair()
    params = projection_params(library)
    h = torch.randn(3, 7, 256)
    factored = (h @ params["power_hidden"].mT + params["power_bias"][:, None]) @ params["power_out"].mT
    collapsed = rewrites.collapsed_power_head(params)
    torch.testing.assert_close(h @ collapsed["power_hidden"].mT + collapsed["power_bias"][:, None], factored,
                               rtol=1e-5, atol=1e-5)


def test_event_source_draws_the_library_events():
    radio_map = build_radio_map(HUDNConfig(grid_step_m=5.0, n_small=20, n_active=20), np.random.default_rng(0))
    p_max, noise = dbm_to_w(radio_map.power_dbm), noise_power_w(20e6)
    library, library_labels = event_batch(radio_map, np.random.default_rng(6), 5, p_max, noise)
    ours, our_labels = rewrites.EventSource(radio_map).batch(np.random.default_rng(6), 5, p_max, noise)
    torch.testing.assert_close(ours.gain, library.gain, rtol=1e-15, atol=0)
    assert torch.equal(ours.adj, library.adj) and torch.equal(ours.p_max, library.p_max)
    assert torch.equal(our_labels, library_labels)


@pytest.mark.parametrize("idle_silent", [False, True])
def test_decision_rate_is_the_library_rate(idle_silent):
    batch, labels = authors_batch()
    association = torch.from_numpy(np.random.default_rng(7).integers(0, 7, (3, 12)))
    power = batch.p_max * torch.from_numpy(np.random.default_rng(8).random((3, 7)))
    for decision in (association, labels):
        torch.testing.assert_close(rewrites.decision_rate(decision, power, batch, idle_silent),
                                   decision_rate(decision, power, batch, idle_silent), rtol=1e-12, atol=0)


def test_decision_rate_refuses_an_association_outside_the_batch():
    batch, labels = authors_batch()
    with pytest.raises(ValueError, match=r"association must hold BS indices in \[0, 7\)"):
        rewrites.decision_rate(labels + 7, batch.p_max, batch, True)


def test_standardised_gains_are_the_library_ones():
    """Each event standardised on its own, with the population standard deviation: the
    library's float32 gains up to one rounding of their mean and deviation, and the float64
    standardisation within float32's precision."""
    gain = torch.from_numpy(10.0 ** (-np.random.default_rng(3).uniform(60, 140, (3, 12, 7)) / 10))
    gain[1] *= 1e3  # events of different scales
    ours = rewrites.standardised(gain)
    torch.testing.assert_close(ours, standardised_gain(gain), rtol=0, atol=5e-7)
    torch.testing.assert_close(ours.double(), standardised_gain(gain, torch.float64), rtol=0, atol=5e-7)
    with pytest.raises(TypeError, match="gain must be a float64 CPU tensor"):
        rewrites.standardised(gain.float())

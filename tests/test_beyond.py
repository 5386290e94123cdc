"""The "beyond the papers" experiments: scores against independent computations, paper B's
methods reproduced exactly, and the exact referee's invariants on real small events."""

import numpy as np
import pandas as pd
import pytest

from hudnlib.allocation import allocate_bandwidth
from hudnlib.effective_rate import effective_rates
from hudnlib.experiments.beyond.exact_referee import (
    RefereeConfig,
    bound_table,
    cut_paper_a_event,
    gap_table,
    run_referee_samples,
)
from hudnlib.experiments.beyond.metrics import (
    comparison_table,
    decision_scores,
    paired_comparison,
    paired_summary,
    wilson_interval,
)
from hudnlib.experiments.beyond.paper_a_on_b import PaperAOnBConfig, paper_b_static_config, run_a_on_b_samples
from hudnlib.experiments.beyond.paper_b_on_a import CrossConfig, event_alphas, stored_decision_scores
from hudnlib.experiments.paper_a_baselines import BaselineConfig, radio_map_of
from hudnlib.experiments.paper_b.static import prepare_channels, run_static_samples
from hudnlib.radio import sinr_kernel


def test_decision_scores_against_the_papers_own_functions():
    rng = np.random.default_rng(0)
    gain = 10.0 ** rng.uniform(-12, -8, size=(9, 4))
    power, noise = np.full(4, 0.1), 1e-13
    bs = np.array([0, 0, 1, 2, 2, 2, 3, 1, 0])
    se_matrix = np.log2(1.0 + sinr_kernel(gain, power, noise))
    alpha = rng.choice([0.255, 1.0, 2.0, 3.75], size=9)
    scores = decision_scores(bs, se_matrix[np.arange(9), bs], {"x": alpha}, 4, 20.0)
    rate = effective_rates(gain, power, noise, bs)
    assert scores["total rate"] == pytest.approx(rate.sum(), rel=1e-12)
    assert scores["sum log rate"] == pytest.approx(np.log(rate).sum(), rel=1e-12)
    assert scores["jain"] == pytest.approx(rate.sum() ** 2 / (9 * (rate ** 2).sum()))
    assert scores["p5 rate"] == pytest.approx(np.percentile(rate, 5))
    assert scores["haf x"] == pytest.approx(allocate_bandwidth(se_matrix, alpha, bs, 20.0).haf, rel=1e-12)


def test_stored_decisions_are_scored_like_fresh_ones():
    """GRL/SRL rows come as (bs, equal-share rate): the spectral efficiency recovered from
    the load must give the same scores as the decision itself."""
    rng = np.random.default_rng(1)
    n_users, n_bs = 12, 5
    bs = rng.integers(0, n_bs, n_users)
    se = rng.uniform(0.1, 5.0, n_users)
    config = CrossConfig(samples=1)
    frame = pd.DataFrame({"sample": 3, "method": "GRL", "ue": np.arange(n_users)[::-1], "bs": bs[::-1],
                          "rate": (se / np.bincount(bs, minlength=n_bs)[bs])[::-1], "seconds": 0.5})
    stored = stored_decision_scores(frame, config, n_bs).iloc[0]
    fresh = decision_scores(bs, se, event_alphas(config, 3, n_users), n_bs, 20.0)
    for key, value in fresh.items():
        assert stored[key] == pytest.approx(value, rel=1e-12), key


def test_paper_b_methods_on_paper_b_drops_equal_paper_b_experiment():
    """The cross experiment reruns paper B's Ours, Random, Max-SINR, 2RS and GA exactly as
    the selected static experiment does (same drops, alphas and seeds)."""
    config = PaperAOnBConfig(samples=1, ga_generations=20)
    inputs = prepare_channels(paper_b_static_config(config, "low"))
    cross = run_a_on_b_samples(config, np.array([0]), inputs).set_index("method")
    static = run_static_samples(paper_b_static_config(config, "low"), np.array([0]), inputs)
    static = static.loc[static["group"] == -1].set_index("method")
    for name in ("Ours", "Random", "Max-SINR", "2RS", "GA"):
        assert cross.loc[f"{name} [low]", "haf low"] == pytest.approx(static.loc[name, "haf"], rel=1e-12), name
    assert set(cross.loc[cross["changes powers"]].index) == {"MSUAPC", "JUAPCMWSER"}


@pytest.fixture(scope="module")
def referee_frame():
    config = RefereeConfig(samples=3, ga_generations=20)
    inputs = prepare_channels(paper_b_static_config(PaperAOnBConfig(samples=3), "low"))
    return run_referee_samples(config, np.arange(3), inputs)


def test_no_full_power_method_beats_the_exact_optimum(referee_frame):
    full = referee_frame.loc[referee_frame["full power"] & referee_frame["feasible"]]
    assert len(full) > 0
    optimum = full["optimum full power"]
    assert (full["value"] <= optimum + 1e-9 * np.abs(optimum)).all()
    # switching BSs off can only add options
    a = referee_frame.loc[referee_frame["network"] == "paper A"]
    assert (a["optimum on/off"] >= a["optimum full power"] - 1e-12).all()


def test_dual_bounds_lie_above_the_exact_optimum(referee_frame):
    table = bound_table(referee_frame)
    assert set(table["method"]) == {"PF pricing", "Ours"}
    assert (table["bound >= optimum"] == 1.0).all()


def test_gap_table_by_hand():
    frame = pd.DataFrame({
        "network": "n", "objective": "R", "method": ["m", "m", "p"], "value": [9.0, 10.0, 11.0],
        "optimum full power": [10.0, 10.0, 10.0], "optimum on/off": [12.0, 12.0, 12.0],
        "full power": [True, True, False]})
    table = gap_table(frame).set_index("method")
    assert table.loc["m", "mean gap [%]"] == pytest.approx(5.0)
    assert table.loc["m", "at optimum"] == 0.5 and table.loc["m", "worst gap [%]"] == pytest.approx(10.0)
    assert table.loc["p", "referee"] == "on/off" and table.loc["p", "mean gap [%]"] == pytest.approx(100 / 12)


def test_paper_a_cut_is_a_connected_small_event():
    radio_map = radio_map_of(BaselineConfig(samples=1))
    gain, p_max, allowed = cut_paper_a_event(radio_map, np.random.default_rng(4), 8, 6)
    assert gain.shape == allowed.shape == (8, 6) and p_max.shape == (6,)
    assert allowed[:, 0].all()  # every user detects the anchor BS


def test_comparison_and_paired_tables_by_hand():
    scores = pd.DataFrame({"sample": [0, 1, 2, 0, 1, 2], "method": ["a"] * 3 + ["b"] * 3,
                           "total rate": [1.0, 2.0, 3.0, 2.0, 3.0, 5.0],
                           "haf": [1.0, -np.inf, 2.0, 1.0, 1.0, 1.0]})
    table = comparison_table(scores, ["total rate", "haf"], ["b", "a"]).set_index("method")
    assert table.loc["a", "total rate"] == pytest.approx(2.0) and table.loc["a", "haf"] == 1.0
    assert "median" in table.loc["a", "note"] and table.loc["b", "note"] == ""
    summary = paired_summary(scores, {"R vs a": ("total rate", "a"), "HAF vs a": ("haf", "a")}, ["a", "b"])
    summary = summary.set_index("method")
    assert summary.loc["a", "R vs a"] == "(reference)"
    assert summary.loc["b", "R vs a"].startswith("+1.333 [") and summary.loc["b", "HAF vs a"].startswith("33% [")


def test_configs_refuse_bad_sizes():
    with pytest.raises(ValueError, match="samples"):
        CrossConfig(samples=0)
    with pytest.raises(ValueError, match="n_users"):
        PaperAOnBConfig(samples=1, n_users=61)
    with pytest.raises(ValueError, match="n_bs"):
        RefereeConfig(samples=1, n_bs=5)


def test_paired_comparison_reads_the_ci_and_falls_back_to_shares_on_extreme_scores():
    from scipy.stats import binomtest

    from hudnlib.experiments.beyond.answers import paired_answer

    a = np.array([3.0, 4.0, 5.0, 3.5, 4.5, 4.0])
    b = np.array([1.0, 1.5, 2.0, 1.0, 2.5, 1.0])
    c = paired_comparison(a, b)
    assert c["value"] == pytest.approx(2.5) and c["low"] > 0 and c["verdict"] == "ahead"
    assert paired_comparison(b, a)["verdict"] == "behind"
    # -inf or astronomically large scores (a starved user's HAF): the share of events ahead
    huge = np.array([-np.inf, -1e200, 0.0, -np.inf, -1e150, -np.inf])
    c = paired_comparison(np.ones(6), huge)
    assert c["measure"] == "share ahead" and c["value"] == 1.0 and c["verdict"] == "ahead"
    assert (c["low"], c["high"]) == pytest.approx(wilson_interval(6, 6))
    ci = binomtest(7, 20).proportion_ci(method="wilson")
    assert wilson_interval(7, 20) == pytest.approx((ci.low, ci.high), rel=1e-6)
    scores = pd.DataFrame({"sample": list(range(6)) * 2, "method": ["m"] * 6 + ["r"] * 6, "x": np.r_[a, b]})
    assert paired_answer(scores, "x", "m", "r")[3] == "yes" and paired_answer(scores, "x", "r", "m")[3] == "no"


def test_hgsage_small_trains_runs_and_is_refereed(tmp_path, monkeypatch):
    """The small circumstance holds only the anchor's UE spots (each event's UEs detect BS 0);
    GRL trains at its size, GRL/SRL decisions respect the mask, and no method at full power
    beats the exact full-power optimum."""
    from hudnlib.experiments.beyond import hgsage_small
    from hudnlib.gnn.authors_training import AuthorsTrainConfig

    monkeypatch.setattr(hgsage_small, "CHECKPOINT_DIR", tmp_path)
    train = AuthorsTrainConfig(steps=3, batch=4, mask_to_edges=True, idle_silent=False, checkpoint_every=3)
    config = hgsage_small.SmallHGSAGEConfig(samples=2, srl_steps=3, srl_marks=(1,), train=train)
    small, p_max, _ = hgsage_small.small_circumstance(config)
    assert small.bs_xyz.shape[0] == p_max.size == 6 and small.config.n_active == 8
    assert small.detectable[small.eligible, 0].all()
    inputs = hgsage_small._prepare(config)
    assert inputs["detectable"][:, :, 0].all()
    frame = hgsage_small.run_small_samples(config, np.arange(2), inputs)
    assert set(frame["method"]) >= {"GRL", "SRL", "SRL@1", "MARAMP", "JUAPCMWSER"}
    assert frame["feasible"].all() and np.isfinite(frame["value"]).all()
    full = frame[frame["full power"]]
    assert (full["value"] <= full["optimum full power"] * (1 + 1e-9)).all()
    with pytest.raises(ValueError, match="corrected reading"):
        hgsage_small.SmallHGSAGEConfig(samples=1, train=AuthorsTrainConfig())

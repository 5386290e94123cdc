"""Paper B's readings: the ranking's distance, and the registered selection is its winner."""

import numpy as np
import pandas as pd
import pytest

from hudnlib.experiments.paper_b.readings import asinh_distance, reading_ranking
from hudnlib.experiments.paper_b.selected import SELECTED
from hudnlib.experiments.paper_b.targets import COLUMNS, TABLES
from hudnlib.experiments.runner import load


def test_asinh_distance_scales_and_punishes_sign():
    assert asinh_distance(np.array([5.0]), np.array([5.0]))[0] == 0.0
    near = asinh_distance(np.array([0.1]), np.array([0.2]))[0]
    assert near == pytest.approx(0.1, rel=0.02)  # ~ absolute difference near zero
    far = asinh_distance(np.array([1e14]), np.array([1e15]))[0]
    assert far == pytest.approx(np.log(10), rel=1e-6)  # ~ log ratio for large values
    flipped = asinh_distance(np.array([-70.0]), np.array([70.0]))[0]
    assert flipped > 2 * np.arcsinh(70.0) - 1e-9


def test_the_ranking_puts_the_papers_own_numbers_first():
    # a frame whose means are the paper's numbers under one reading scores 0 there
    rows = []
    for fairness, table in TABLES.items():
        for method, values in table.items():
            for network in ("all", "clusters"):
                for variant in {"PF": ("assumed", "real"), "AF-Low": ("assumed", "real"),
                                "AF-High": ("assumed", "real"), "Min-Latency": ("assumed", "real"),
                                "2RS": ("single", "swaps"), "GA": ("uniform", "seeded")}.get(method, ("",)):
                    shift = 0.0 if network == "clusters" else 1.0
                    rows.append({"sample": 0, "fairness": fairness, "network": network, "bandwidth": 1.0,
                                 "alphas": "intervals", "method": method, "variant": variant,
                                 **{c: v + shift for c, v in zip(COLUMNS, values)}})
    ranking = reading_ranking(pd.DataFrame(rows))
    assert ranking.iloc[0]["network"] == "clusters" and ranking.iloc[0]["distance"] == 0.0
    assert ranking.iloc[0]["within 10%"] == 90 and ranking.iloc[0]["sign disagreements"] == 0


def test_the_registered_selection_is_the_stored_rankings_winner():
    frame, _ = load("paper_b_readings", "full")
    best = reading_ranking(frame).iloc[0]
    assert {k: best[k] for k in SELECTED} == SELECTED


def test_alpha_family_reproduces_the_static_experiment_under_our_guess():
    """The family's member (our guess, 4:3:2:1, bit/s/Hz) draws the static experiment's
    alphas: Ours' group HAFs are the same numbers."""
    from hudnlib.experiments.paper_b.alpha_family import FamilyConfig, run_family_samples
    from hudnlib.experiments.paper_b.static import StaticConfig, prepare_channels, run_static_samples

    config = FamilyConfig(samples=1, bandwidths=(1.0,))
    inputs = prepare_channels(config)
    family = run_family_samples(config, np.array([0]), inputs)
    ours = family[(family["intervals"] == "our guess") & (family["ratios"] == "4:3:2:1 / 1:2:3:4")
                  & (family["fairness"] == "low") & (family["method"] == "Ours")].iloc[0]
    static = run_static_samples(StaticConfig(samples=1, methods=("Ours",)), np.array([0]), inputs)
    by_group = static.set_index("group")["haf"]
    assert ours["HAF"] == pytest.approx(by_group[-1], rel=1e-12)
    for g in range(4):
        assert ours[f"HAF@g{g + 1}"] == pytest.approx(by_group[g], rel=1e-12, abs=1e-12)


def test_alpha_family_findings_by_hand():
    from hudnlib.experiments.paper_b.alpha_family import INTERVAL_SETS, family_findings
    from hudnlib.experiments.paper_b.targets import TABLES

    rows = []
    for name in INTERVAL_SETS:
        for fairness in ("low", "high"):
            g1 = TABLES[fairness]["Ours"][1] * (1.2 if name == "points" else 5.0)
            rows.append({"intervals": name, "ratios": "r", "bandwidth": 1.0, "fairness": fairness, "HAF": 1.0,
                         "HAF@g1": g1, "HAF@g2": 3.0 if name == "gap at 1" else -1.0, "HAF@g3": -1.0,
                         "HAF@g4": -1.0, "Random g2 / Ours g2": 0.5})
    found = family_findings(pd.DataFrame(rows))
    assert found["g2_positive"] == ["gap at 1"]
    assert set(found["g2_below_one"]) == {"halves at 1", "gap at 1", "points"}
    assert found["g1_both"] == [("points", "r", 1.0)]
    assert found["random_g2"] == (0.5, 0.5)

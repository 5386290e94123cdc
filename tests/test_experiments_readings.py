"""Paper B's readings: the ranking's distance, and the registered selection is its winner."""

import numpy as np
import pandas as pd
import pytest

from hudnlib.experiments.paper_b_readings import asinh_distance, reading_ranking
from hudnlib.experiments.paper_b_selected import SELECTED
from hudnlib.experiments.paper_b_targets import COLUMNS, TABLES
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

"""Summaries of paper B's experiments on hand-made frames (no sweep needed)."""

import numpy as np
import pandas as pd
import pytest

from hudnlib.experiments.paper_b.static import (
    StaticConfig,
    group_metrics,
    haf_table,
)
from hudnlib.experiments.paper_b.targets import TABLE_III


def test_group_metrics_by_hand():
    rate = np.array([1.0, 2.0, 4.0, 0.5])
    utility = np.array([0.1, 0.2, 0.3, 0.4])
    group = np.array([0, 0, 1, 3])
    alpha = np.array([0.2, 0.5, 1.0, 3.0])
    rows = {r["group"]: r for r in group_metrics(rate, utility, group, alpha)}
    assert rows[-1]["haf"] == pytest.approx(1.0) and rows[-1]["users"] == 4
    assert rows[0]["sum_rate"] == 3.0 and rows[0]["pf"] == pytest.approx(np.log(2.0))
    assert rows[0]["latency"] == pytest.approx(0.75) and rows[0]["min_rate"] == 1.0
    assert rows[2]["users"] == 0 and np.isnan(rows[2]["latency"]) and rows[2]["haf"] == 0.0
    # alpha-only term 1/(1 - alpha) (0 at alpha = 1), and starved users (< 1e-3 of the median)
    assert rows[0]["alpha_term"] == pytest.approx(1 / 0.8 + 1 / 0.5) and rows[1]["alpha_term"] == 0.0
    assert rows[3]["alpha_term"] == pytest.approx(-0.5) and rows[-1]["starved"] == 0
    starving = {r["group"]: r for r in group_metrics(np.array([1.0, 2.0, 4.0, 1e-6]), utility, group, alpha)}
    assert starving[3]["starved"] == 1 and starving[-1]["starved"] == 1
    assert starving[-1]["latency_served"] == pytest.approx(np.mean([1.0, 0.5, 0.25]))


def _frame(values):
    """One sample whose group HAFs are ``values[method]`` (total = their sum)."""
    rows = []
    for method, groups in values.items():
        rows.append({"sample": 0, "n_users": 40, "method": method, "group": -1, "haf": sum(groups)})
        rows += [{"sample": 0, "n_users": 40, "method": method, "group": g, "haf": v}
                 for g, v in enumerate(groups)]
    return pd.DataFrame(rows)


def test_tables_put_paper_beside_reproduced_with_the_deviation():
    config = StaticConfig(samples=1, methods=("Ours", "Max-SINR"))
    frame = _frame({"Ours": (1.0, 2.0, -1.0, -0.5), "Max-SINR": (0.5, 2.0, -2.0, -1.0)})
    table = haf_table(frame, config)
    row = table[(table["method"] == "Ours") & (table["quantity"] == "HAF")].iloc[0]
    assert row["paper"] == TABLE_III["Ours"][0]
    assert row["reproduced"] == pytest.approx(1.5)
    assert row["deviation"] == pytest.approx(1.5 - TABLE_III["Ours"][0])

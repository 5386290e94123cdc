"""Paper A's central-claim helpers: paired differences against a hand computation, the
budget table's tie rule, and the second-setting summary."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hudnlib.experiments.paper_a_central_claim import paired_against, second_setting_table, srl_budget_table


def _frame(totals: dict[str, list[float]]) -> pd.DataFrame:
    """Per-UE rows (two UEs splitting each event's total) for each method."""
    rows = []
    for method, values in totals.items():
        for k, total in enumerate(values):
            rows += [{"sample": k, "method": method, "ue": 0, "rate": 0.25 * total},
                     {"sample": k, "method": method, "ue": 1, "rate": 0.75 * total}]
    return pd.DataFrame(rows)


def test_paired_difference_is_the_t_interval_of_the_per_event_differences():
    a = pd.Series([10.0, 12.0, 9.0, 14.0], index=[0, 1, 2, 3])
    b = pd.Series([9.0, 12.5, 7.0, 11.0, 99.0], index=[0, 1, 2, 3, 4])  # event 4 has no partner
    out = paired_against(a, b)
    d = np.array([1.0, -0.5, 2.0, 3.0])
    low, high = stats.t.interval(0.95, 3, d.mean(), stats.sem(d))
    assert out["events"] == 4 and out["difference [bit/s/Hz]"] == pytest.approx(d.mean())
    assert (out["difference CI low"], out["difference CI high"]) == pytest.approx((low, high))
    assert out["events won"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="at least 2 common events"):
        paired_against(a.iloc[:1], b)


def test_budget_table_orders_by_steps_and_calls_a_ci_across_zero_a_tie():
    base = _frame({"JUAPCMWSER": [100.0, 101.0, 99.0, 100.0]})
    learned = _frame({"GRL": [80.0, 82.0, 79.0, 81.0], "SRL@100": [99.0, 102.0, 98.0, 101.0],
                      "SRL": [110.0, 112.0, 109.0, 111.0]})
    table = srl_budget_table(learned, base, "JUAPCMWSER", 1000).set_index("method")
    assert list(table.index) == ["GRL", "SRL@100", "SRL"]
    assert list(table["SRL steps"]) == [0, 100, 1000]
    assert list(table["beats"]) == ["no", "tie", "yes"]


def test_second_setting_reports_the_change_on_common_events():
    base = _frame({"JUAPCMWSER": [100.0, 100.0, 100.0]})
    first = _frame({"SRL": [101.0, 99.0, 105.0]})
    second = _frame({"SRL": [103.0, 98.0]})
    out = second_setting_table(first, second, base, "JUAPCMWSER")
    assert out["events"] == 2
    assert out["change of the mean"] == pytest.approx(0.5)
    assert out["largest per-event change"] == pytest.approx(2.0)
    assert out["vs baseline, first"] == pytest.approx(0.0)

"""Paper A's central-claim helpers: paired differences against a hand computation, the
budget table's tie rule, the second-setting summary, and the verdict over training runs."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hudnlib.experiments.paper_a_central_claim import (
    paired_against, run_frame, second_setting_table, srl_budget_table, training_runs_table,
)
from hudnlib.experiments.status_rules import comparison_status


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


def test_runs_that_disagree_make_the_claim_indeterminate_and_the_envelope_says_the_same():
    base = _frame({"JUAPCMWSER": [100.0, 101.0, 99.0, 100.0]})
    below = _frame({"GRL": [80.0, 82.0, 79.0, 81.0], "SRL": [99.0, 102.0, 98.0, 101.0]})
    above = _frame({"GRL": [120.0, 118.0, 121.0, 119.0], "SRL": [130.0, 131.0, 128.0, 129.0]})
    table = training_runs_table({0: below, 1: above}, base, "JUAPCMWSER", 1000).set_index(["run", "method"])
    assert table.loc[(0, "GRL"), "status"] == "not reproduced" and table.loc[(1, "GRL"), "status"] == "reproduced"
    assert table.loc[(0, "SRL"), "status"] == "indeterminate"
    for method in ("GRL", "SRL"):
        every = table.loc[("all", method)]
        assert every["status"] == "indeterminate"
        assert every["status"] == comparison_status(every["difference CI low"], every["difference CI high"])
        assert every["difference CI low"] == table.loc[(0, method), "difference CI low"]
        assert every["difference CI high"] == table.loc[(1, method), "difference CI high"]
        assert every["difference [bit/s/Hz]"] == pytest.approx(
            (table.loc[(0, method), "difference [bit/s/Hz]"] + table.loc[(1, method), "difference [bit/s/Hz]"]) / 2)
    agree = training_runs_table({0: above, 1: above}, base, "JUAPCMWSER", 1000).set_index(["run", "method"])
    assert agree.loc[("all", "GRL"), "status"] == "reproduced"
    with pytest.raises(ValueError, match="runs is empty"):
        training_runs_table({}, base, "JUAPCMWSER", 1000)


def test_a_run_frame_keeps_grl_on_every_event_and_srl_on_its_own():
    grl = _frame({"GRL": [1.0, 2.0, 3.0]})
    srl = _frame({"GRL": [1.0], "SRL": [5.0], "SRL@100": [4.0]})
    frame = run_frame(grl, srl)
    assert frame.groupby("method")["sample"].nunique().to_dict() == {"GRL": 3, "SRL": 1, "SRL@100": 1}

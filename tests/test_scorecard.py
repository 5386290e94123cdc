"""The scorecard's rules on made-up rows, the statistics they rest on against scipy, and the
stored scorecard against the stored results (each headline number once; no claim called
reproduced on a CI that holds its opposite)."""

import numpy as np
import pytest
from scipy import stats

from hudnlib.experiments.catalogue import find_experiment
from hudnlib.experiments.paper_a_baselines import PAPER_TABLE_III
from hudnlib.experiments.paper_a_hgsage_run_experiments import TRAINING_RUNS
from hudnlib.experiments.paper_b.selected import SELECTED_NAMES
from hudnlib.experiments.paper_b.table_statistics import table_statistics
from hudnlib.experiments.runner import load
from hudnlib.experiments.scorecard import ANSWERS, SECTIONS, STATUSES, comparison_status, number_status, scorecard
from hudnlib.experiments.status_rules import rank_status, runs_status
from hudnlib.experiments.statistics import bootstrap_ci, mean_ci


@pytest.mark.parametrize("paper, ours, low, high, otherwise, expected", [
    (100.0, 108.0, None, None, "not reproduced", "reproduced"),           # within 10%
    (100.0, 112.0, 99.0, 118.0, "not reproduced", "reproduced"),          # in a CI narrower than the band (20)
    (100.0, 130.0, 60.0, 200.0, "not reproduced", "indeterminate"),       # in a CI wider than the band
    (-3.5e12, -1.0e14, -1.72e15, -3.42e12, "not reproduced", "indeterminate"),  # the Random entries
    (100.0, 130.0, 120.0, 140.0, "direction only", "direction only"),     # outside both: the looser bound
    (100.0, -50.0, -60.0, -40.0, "not reproduced", "not reproduced"),
])
def test_number_status_follows_the_written_rules(paper, ours, low, high, otherwise, expected):
    assert number_status(paper, ours, low, high, 0.10, otherwise) == expected


def test_number_status_refuses_an_unknown_fallback():
    with pytest.raises(ValueError, match="otherwise"):
        number_status(1.0, 3.0, None, None, 0.1, "reproduced")


@pytest.mark.parametrize("low, high, expected", [
    (0.1, 2.0, "reproduced"), (-1.1, 4.8, "indeterminate"), (-3.0, 0.0, "indeterminate"), (-9.0, -2.0, "not reproduced"),
])
def test_comparison_status_reads_the_paired_ci(low, high, expected):
    assert comparison_status(low, high) == expected


@pytest.mark.parametrize("orders, expected", [
    ([(True, -2.0, -1.0), (False, 1.0, 2.0)], "direction only"),
    ([(True, -2.0, -1.0), (False, -1.0, 2.0)], "indeterminate"),   # one order not resolved
    ([(True, 1.0, 2.0), (False, -1.0, 2.0)], "not reproduced"),    # a resolved order contradicts
    ([(False, -2.0, -1.0)], "not reproduced"),
])
def test_rank_status_reads_every_pairwise_order(orders, expected):
    assert rank_status(orders) == expected


def test_rank_status_refuses_no_orders():
    with pytest.raises(ValueError, match="orders is empty"):
        rank_status([])


@pytest.mark.parametrize("statuses, expected", [
    (["reproduced"], "reproduced"),
    (["not reproduced", "not reproduced"], "not reproduced"),
    (["not reproduced", "reproduced"], "indeterminate"),             # the verdict depends on the run
    (["direction only", "reproduced", "reproduced"], "indeterminate"),
])
def test_runs_status_is_the_runs_common_status_or_indeterminate(statuses, expected):
    assert runs_status(statuses) == expected


@pytest.mark.parametrize("bad, match", [([], "statuses is empty"), (["reproduced", "yes"], "statuses must be")])
def test_runs_status_refuses_no_runs_and_unknown_statuses(bad, match):
    with pytest.raises(ValueError, match=match):
        runs_status(bad)


def test_mean_ci_is_scipys_t_interval():
    x = np.random.default_rng(0).normal(5.0, 2.0, 40)
    mean, low, high = mean_ci(x)
    assert mean == pytest.approx(x.mean())
    assert (low, high) == pytest.approx(stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x)))


def test_bootstrap_ci_of_a_constant_is_that_constant_and_covers_a_known_mean():
    rng = np.random.default_rng(1)
    assert bootstrap_ci(np.full(30, 2.5), rng) == pytest.approx((2.5, 2.5))
    x = rng.normal(0.0, 1.0, 400)
    low, high = bootstrap_ci(x, rng)
    half = 1.96 / np.sqrt(400)
    assert low < x.mean() < high
    assert high - low == pytest.approx(2 * half, rel=0.15)  # the normal-theory width


@pytest.fixture(scope="module")
def card():
    return scorecard("full")


def test_headline_rows_count_each_paper_number_once(card):
    beyond = card["section"] == "beyond"
    assert set(card.loc[~beyond, "status"]) <= set(STATUSES) and set(card["section"]) <= set(SECTIONS)
    # questions beyond the papers carry answers and are kept apart from the reproduction
    assert set(card.loc[beyond, "status"]) <= set(ANSWERS) and (card.loc[beyond, "paper"] == "beyond").all()
    assert beyond.sum() >= 10
    headline = card[card["section"] == "headline"]
    assert not headline.duplicated(["paper", "item"]).any()
    assert (card.loc[card["reading"].str.contains("our training"), "section"] == "ours").all()


def test_no_reproduced_number_rests_on_a_ci_wider_than_its_tolerance(card):
    numbers = card.dropna(subset=["paper value", "CI low", "CI high"])
    numbers = numbers[numbers["status"] == "reproduced"]
    within = (numbers["ours"] - numbers["paper value"]).abs() <= 0.10 * numbers["paper value"].abs()
    narrow = (numbers["CI high"] - numbers["CI low"]) <= 0.20 * numbers["paper value"].abs()
    assert (within | narrow).all()


def test_central_claim_rows_agree_with_the_paired_difference(card):
    claims = card[card["item"].str.contains("central claim")]
    # three trainings x GRL, SRL (the authors' over their runs), then each run of theirs apart (run 0 and the
    # registered runs of each reading) x GRL, SRL
    assert len(claims) == 6 + sum(2 * (1 + len(runs)) for runs in TRAINING_RUNS.values())
    for row in claims.to_dict("records"):
        assert row["status"] == comparison_status(row["CI low"], row["CI high"])
        assert row["CI low"] <= row["ours"] <= row["CI high"]


def test_time_ranks_agree_with_the_per_event_orders(card):
    """A Table III time row is 'direction only' only where every order with the other
    methods is resolved (scipy's t interval of the paired per-event difference excludes 0)
    and agrees with the paper's; 'not reproduced' only where a resolved order contradicts it."""
    for reading, name in (("authors", "paper_a_baselines_authors"), ("corrected", "paper_a_baselines")):
        seconds = load(name, "full")[0].groupby(["method", "sample"])["seconds"].first().unstack("method")
        timed = [m for m in PAPER_TABLE_III if m in seconds.columns]  # the five baselines
        rows = card[card["item"].str.startswith("Table III") & (card["reading"] == reading)]
        assert len(timed) == 5 and len(rows) == len(timed)
        for row in rows.to_dict("records"):
            method = row["item"].removeprefix("Table III ").removesuffix(" [s]")
            agree, unresolved = [], []
            for other in timed:
                if other != method:
                    d = (seconds[method] - seconds[other]).to_numpy()
                    low, high = stats.t.interval(0.95, d.size - 1, d.mean(), stats.sem(d))
                    unresolved.append(low <= 0 <= high)
                    agree.append((high < 0) == (PAPER_TABLE_III[method] < PAPER_TABLE_III[other]))
            contradicted = any(not a and not u for a, u in zip(agree, unresolved))
            expected = "not reproduced" if contradicted else "indeterminate" if any(unresolved) else "direction only"
            assert row["status"] == expected, row["item"]


def test_paper_b_tables_chapter_applies_the_written_rules():
    """The chapter's Table III-IV verdicts (``table_statistics``) follow the scorecard's rules: no
    'reproduced' entry rests on a CI wider than the ±10% band, and a paper value inside such a
    CI is 'indeterminate' (the stored Random entries span orders of magnitude)."""
    seen = set()
    for fairness in ("low", "high"):
        name = SELECTED_NAMES[f"static_{fairness}"]
        frame, _ = load(name, "full")
        table = table_statistics(frame, find_experiment(name).scales["full"])
        seen |= set(table["verdict"])
        reproduced = table[table["verdict"] == "reproduced"]
        within = (reproduced["mean"] - reproduced["paper"]).abs() <= 0.10 * reproduced["paper"].abs()
        narrow = (reproduced["CI high"] - reproduced["CI low"]) <= 0.20 * reproduced["paper"].abs()
        assert (within | narrow).all()
        wide = table[(table["CI low"] <= table["paper"]) & (table["paper"] <= table["CI high"])
                     & ((table["CI high"] - table["CI low"]) > 0.20 * table["paper"].abs())
                     & ((table["mean"] - table["paper"]).abs() > 0.10 * table["paper"].abs())]
        assert (wide["verdict"] == "indeterminate").all()
    assert seen <= set(STATUSES) and "indeterminate" in seen

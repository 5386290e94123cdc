"""The answers of the "Beyond the papers" part, computed from the stored results: one row per
question with its measure, 95% CI, criterion and answer. The chapters open with them and
the scorecard lists them in its own ``beyond`` section (never in the reproduction counts).

Answers: ``yes`` / ``no`` when the 95% CI of a paired difference (same events) lies above /
below 0, ``tie`` when it holds 0; for shares and bounds, ``yes`` / ``no`` by the stated
criterion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hudnlib.experiments.beyond.exact_referee import AT_OPTIMUM, bound_table, gap_table
from hudnlib.experiments.beyond.metrics import paired_comparison
from hudnlib.experiments.beyond.paper_a_on_b import POWER_CONTROL
from hudnlib.experiments.beyond.paper_b_on_a import PAPER_A_ROWS, CrossConfig, stored_decision_scores
from hudnlib.experiments.runner import load
from hudnlib.numbers import format_number

__all__ = ["GNN_EXPERIMENT", "FULL_POWER", "cross_scores", "paired_answer",
           "b_on_a_answers", "a_on_b_answers", "referee_answers", "hgsage_small_answers", "answer_rows"]

GNN_EXPERIMENT = "paper_a_hgsage_authors_recipe_corrected"
"""HGSAGE's stored GRL and SRL decisions on the same events (reading ``corrected``)."""

GNN_ROWS = {"GRL": "GRL", "SRL": "SRL (10,000 steps)"}

FULL_POWER = ("MARAMP", "MSUAMP", "UAMWSER")
"""Paper A's baselines that keep every BS at full power, as paper B's methods do."""


def cross_scores(scale: str) -> tuple[pd.DataFrame, dict, dict]:
    """Scores of every method on paper A's events: the ``beyond_b_on_a`` frame plus HGSAGE's
    stored GRL and SRL decisions on the events both hold. Returns the frame and both records."""
    frame, record = load("beyond_b_on_a", scale)
    gnn, gnn_record = load(GNN_EXPERIMENT, scale)
    config = CrossConfig(**record["config"])
    if (gnn_record["config"]["seed"], gnn_record["config"]["circumstance_seed"]) != (config.seed, config.circumstance_seed):
        raise ValueError(f"{GNN_EXPERIMENT} ({scale}) holds other events than beyond_b_on_a")
    gnn = gnn.loc[gnn["method"].isin(GNN_ROWS) & gnn["sample"].isin(frame["sample"])]
    # an empty cell adds nothing to any score, so the BSs up to the last one used suffice
    learned = stored_decision_scores(gnn, config, int(gnn["bs"].max()) + 1).replace({"method": GNN_ROWS})
    learned["seconds"] = np.nan  # batched SRL shares a chunk's time out over its events: not a per-event time
    return pd.concat([frame, learned], ignore_index=True), record, gnn_record


_ANSWER = {"ahead": "yes", "behind": "no", "tie": "tie", "not comparable": "not comparable"}


def paired_answer(scores: pd.DataFrame, column: str, method: str, reference: str) -> tuple:
    """``(value, CI low, CI high, answer)`` for "``method`` beats ``reference`` on ``column``"
    (:func:`~hudnlib.experiments.beyond.metrics.paired_comparison`: the mean paired
    difference, or the share of events ahead where a score is -inf on some event)."""
    wide = scores.pivot(index="sample", columns="method", values=column)[[method, reference]].dropna()
    c = paired_comparison(wide[method].to_numpy(), wide[reference].to_numpy())
    return c["value"], c["low"], c["high"], _ANSWER[c["verdict"]]


def _best(scores, column, methods):
    means = scores.loc[scores["method"].isin(methods)].groupby("method")[column].mean()
    return means.idxmax()


def _question(question, measure, value, low, high, answer, criterion, chapter):
    return {"question": question, "measure": measure, "value": value, "CI low": low, "CI high": high,
            "answer": answer, "criterion": criterion, "chapter": chapter}


PAIRED = ("paired difference on the same events; yes/no: its 95% CI above/below 0, tie: it holds 0 "
          "(where a score is -inf on some event: the share of events ahead, yes/no: its 95% Wilson "
          "interval above/below 1/2)")


def b_on_a_answers(scores: pd.DataFrame) -> pd.DataFrame:
    """Paper B's methods on paper A's network: the chapter's questions."""
    chapter = "beyond/b_on_a"
    rows = [_question("PF pricing beats MSUAMP on their common objective, the sum of log rates",
                      "PF pricing - MSUAMP, sum log rate", *paired_answer(scores, "sum log rate", "PF pricing", "MSUAMP"),
                      PAIRED, chapter)]
    for scenario in ("low", "high"):
        column = f"haf {scenario}"
        for label, pool in (("best baseline", PAPER_A_ROWS), ("best full-power baseline", FULL_POWER)):
            best = _best(scores, column, pool)
            rows.append(_question(f"HAF pricing beats paper A's {label} on the HAF ({scenario} fairness)",
                                  f"HAF pricing [{scenario}] - {best}, {column}",
                                  *paired_answer(scores, column, f"HAF pricing [{scenario}]", best), PAIRED, chapter))
    paper_b = [m for m in scores["method"].unique() if "pricing" in m or "[" in m]
    best_b, best_a = _best(scores, "total rate", paper_b), _best(scores, "total rate", PAPER_A_ROWS)
    rows.append(_question("A paper-B method beats paper A's best baseline on paper A's total rate R",
                          f"{best_b} - {best_a}, R", *paired_answer(scores, "total rate", best_b, best_a), PAIRED, chapter))
    if "SRL (10,000 steps)" in set(scores["method"]):
        rows.append(_question("A paper-B method beats HGSAGE (SRL, 10,000 steps) on R",
                              f"{best_b} - SRL, R", *paired_answer(scores, "total rate", best_b, "SRL (10,000 steps)"),
                              PAIRED, chapter))
        rows.append(_question("HAF pricing beats HGSAGE (SRL) on the HAF (low fairness)",
                              "HAF pricing [low] vs SRL, haf low (difference, or share of events ahead)",
                              *paired_answer(scores, "haf low", "HAF pricing [low]", "SRL (10,000 steps)"), PAIRED, chapter))
    return pd.DataFrame(rows)


def a_on_b_answers(scores: pd.DataFrame) -> pd.DataFrame:
    """Paper A's methods on paper B's network: the chapter's questions."""
    chapter = "beyond/a_on_b"
    paper_a = ["MARAMP", "MSUAMP", "UAMWSER", *POWER_CONTROL]
    rows = []
    for scenario in ("low", "high"):
        column = f"haf {scenario}"
        for label, pool in (("best method", paper_a), ("best full-power method", FULL_POWER)):
            best = _best(scores, column, pool)
            rows.append(_question(f"Paper A's {label} beats Ours on the HAF ({scenario} fairness)",
                                  f"{best} - Ours [{scenario}], {column}",
                                  *paired_answer(scores, column, best, f"Ours [{scenario}]"), PAIRED, chapter))
    best = _best(scores, "total rate", paper_a)
    rows.append(_question("Ours beats paper A's best method on paper A's total rate R",
                          f"Ours [low] - {best}, R", *paired_answer(scores, "total rate", "Ours [low]", best), PAIRED, chapter))
    return pd.DataFrame(rows)


def referee_answers(frame: pd.DataFrame) -> pd.DataFrame:
    """Exact optima as referee: the chapter's questions."""
    chapter = "beyond/exact"
    gaps = gap_table(frame).set_index(["network", "objective", "method"])
    bounds = bound_table(frame)
    rows = []
    for objective in ("HAF low", "HAF high"):
        share = gaps.loc[("paper B", objective, "Ours"), "at optimum"]
        rows.append(_question(f"Ours reaches the exact optimum of the HAF ({objective[4:]} fairness, 8 users x 6 BSs)",
                              "share of small events at the optimum", share, np.nan, np.nan,
                              "yes" if share >= 0.95 else "no",
                              f"yes: at the optimum (relative gap <= {format_number(AT_OPTIMUM)}) on >= 95% of events", chapter))
    for method in ("MSUAMP", "PF pricing"):
        share = gaps.loc[("paper A", "sum log", method), "at optimum"]
        rows.append(_question(f"{method} reaches the exact optimum of its own objective (sum log rate, paper A cut)",
                              "share of small events at the optimum", share, np.nan, np.nan,
                              "yes" if share >= 0.95 else "no",
                              f"yes: at the optimum (relative gap <= {format_number(AT_OPTIMUM)}) on >= 95% of events", chapter))
    r = gaps.xs(("paper A", "R"), level=("network", "objective"))
    full = r.loc[r["referee"] == "full power", "mean gap [%]"]
    rows.append(_question("Paper A's best full-power baseline is within 1% of the optimal R",
                          f"mean gap of {full.idxmin()} [%]", full.min(), np.nan, np.nan,
                          "yes" if full.min() <= 1.0 else "no", "yes: mean relative gap <= 1%", chapter))
    rows.append(_question("The pricing's dual bound lies above the exact optimum on every small event",
                          "share of (event, objective) pairs", float(bounds["bound >= optimum"].min()), np.nan, np.nan,
                          "yes" if (bounds["bound >= optimum"] == 1.0).all() else "no",
                          "yes: weak duality holds on every event", chapter))
    return pd.DataFrame(rows)


def hgsage_small_answers(frame: pd.DataFrame) -> pd.DataFrame:
    """HGSAGE trained at 8 UEs x 6 BSs against the baselines and the exact optima."""
    chapter = "beyond/exact"
    gaps = gap_table(frame).set_index("method")
    scores = frame.rename(columns={"value": "total rate"})
    best = _best(scores, "total rate", list(PAPER_A_ROWS))
    rows = []
    for method in ("GRL", "SRL"):
        rows.append(_question(f"HGSAGE's {method} beats paper A's best baseline on R (8 UEs x 6 BSs)",
                              f"{method} - {best}, R", *paired_answer(scores, "total rate", method, best), PAIRED,
                              chapter))
        gap = gaps.loc[method, "mean gap [%]"]
        rows.append(_question(f"HGSAGE's {method} is within 1% of the optimal R (each BS on or off; 8 UEs x 6 BSs)",
                              f"mean gap of {method} [%]", gap, np.nan, np.nan, "yes" if gap <= 1.0 else "no",
                              "yes: mean relative gap to the on/off optimum <= 1% (a negative gap beats it)",
                              chapter))
    return pd.DataFrame(rows)


def answer_rows(scale: str) -> pd.DataFrame:
    """Every question of the part, from the stored results of ``scale``."""
    scores, _, _ = cross_scores(scale)
    a_on_b, _ = load("beyond_a_on_b", scale)
    referee, _ = load("beyond_exact", scale)
    small, _ = load("beyond_hgsage_small", scale)
    return pd.concat([b_on_a_answers(scores), a_on_b_answers(a_on_b), referee_answers(referee),
                      hgsage_small_answers(small)], ignore_index=True)

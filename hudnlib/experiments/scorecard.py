"""The scorecard: every number the two papers print in their tables and every claim they
state about their figures, beside ours, with a computed status.

Built by one function from the stored results (never by hand) and written to
``data/scorecard.csv``. The rules:

- a number, and a claim that one method beats another, get their status by the written
  rules of :mod:`hudnlib.experiments.status_rules` (reproduced, direction only,
  indeterminate, not reproduced); other claims carry their chapter's computed verdict;
- each row has a ``section``: ``headline`` (each paper number once, under the reading the
  book selects for it: paper A as the authors' code ran it, paper B the selected reading),
  ``sensitivity`` (the same number under another reading) or ``ours`` (our own training,
  which is not the paper's). Only headline rows enter the headline counts;
- rows of the ``beyond`` section (paper ``beyond``) answer the questions of the book's part
  "Beyond the papers" (:mod:`hudnlib.experiments.beyond.answers`): their status is an
  answer (:data:`ANSWERS`), not a reproduction, and they never enter the counts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hudnlib.experiments.beyond.answers import answer_rows
from hudnlib.experiments.catalogue import find_experiment
from hudnlib.experiments.paper_a_baselines import PAPER_TABLE_III, TOLERANCE, claims_table, rate_table
from hudnlib.experiments.paper_a_gnn import (
    density_claims_table, full_rate_table, learning_claims_table, learning_rate_table,
)
from hudnlib.experiments.paper_a_central_claim import run_frame, training_runs_table
from hudnlib.experiments.paper_a_hgsage_run_experiments import TRAINING_RUNS
from hudnlib.experiments.paper_b.claims import figure_claims
from hudnlib.experiments.paper_b.convergence import convergence_summary
from hudnlib.experiments.paper_b.scaling import slope_table
from hudnlib.experiments.paper_b.static import complexity_table
from hudnlib.experiments.paper_b.selected import SELECTED_NAMES
from hudnlib.experiments.paper_b.table_statistics import table_statistics
from hudnlib.experiments.runner import load
from hudnlib.experiments.statistics import mean_ci
from hudnlib.experiments.status_rules import STATUSES, comparison_status, number_status, rank_status, runs_status
from hudnlib.provenance import DATA_DIR
from hudnlib.storage import atomic_path

__all__ = ["scorecard", "write_scorecard", "number_status", "comparison_status", "STATUSES", "SECTIONS",
           "ANSWERS", "SCORECARD_PATH"]

SECTIONS = ("headline", "sensitivity", "ours", "beyond")
ANSWERS = ("yes", "no", "tie", "not comparable")
"""Statuses of the ``beyond`` rows: answers to questions the papers did not ask."""
SCORECARD_PATH = DATA_DIR / "scorecard.csv"

_STATUS = {"reproduced": "reproduced", "partly": "direction only", "not reproduced": "not reproduced"}

SELECTED_READING = {"A": "authors", "B": "selected"}
"""The reading each paper's headline rows are counted under."""


def _stored(name: str, scale: str):
    frame, _ = load(name, scale)
    return frame, find_experiment(name).scales[scale]


def _row(paper, item, reading, paper_value, ours, low, high, status, criterion, chapter, section=None):
    deviation = None if paper_value is None or ours is None else ours - paper_value
    if section is None:
        section = "headline" if reading.split(",")[0] == SELECTED_READING[paper] else "sensitivity"
    return {"paper": paper, "section": section, "item": item, "reading": reading, "paper value": paper_value,
            "ours": ours, "deviation": deviation, "CI low": low, "CI high": high, "status": status,
            "criterion": criterion, "chapter": chapter}


def _paper_a(scale: str) -> list[dict]:
    rows = []
    tol = (f"within {TOLERANCE[0]:.0%} of the paper, or the paper in our 95% CI no wider than that band "
           f"(direction only: within {TOLERANCE[1]:.0%})")

    def status(r):
        fallback = "direction only" if abs(r["reproduced"] - r["paper"]) <= TOLERANCE[1] * abs(r["paper"]) \
            else "not reproduced"
        return number_status(r["paper"], r["reproduced"], r["CI low"], r["CI high"], TOLERANCE[0], fallback)

    for reading, name in (("authors", "paper_a_baselines_authors"), ("corrected", "paper_a_baselines")):
        frame, config = _stored(name, scale)
        for r in rate_table(frame, config).to_dict("records"):
            if r["paper"] is None or r["paper"] != r["paper"]:  # extra rows have no paper value
                continue
            rows.append(_row("A", f"Table II {r['method']}", reading, r["paper"], r["reproduced"], r["CI low"],
                             r["CI high"], status(r), tol, "paper_a/baselines"))
        for c in claims_table(frame, config).to_dict("records"):
            rows.append(_row("A", f"Figs 7-8: {c['claim']}", reading, None, None, None, None,
                             c["verdict"], c["criterion"], "paper_a/baselines"))
    baselines, _ = _stored("paper_a_baselines", scale)
    gnn, gnn_config = _stored("paper_a_gnn", scale)
    learned = {"corrected, our training": (baselines, gnn, full_rate_table(baselines, gnn, gnn_config), None, {})}
    for reading, name in (("authors", "paper_a_baselines_authors"), ("corrected", "paper_a_baselines")):
        base = baselines if reading == "corrected" else _stored(name, scale)[0]
        frame, config = _stored(f"paper_a_hgsage_authors_recipe_{reading}", scale)
        runs = {run: run_frame(_stored(f"paper_a_hgsage_authors_grl_run{run}_{reading}", scale)[0],
                               _stored(f"paper_a_hgsage_authors_srl_run{run}_{reading}", scale)[0])
                for run in TRAINING_RUNS[reading]}
        learned[f"{reading}, authors' training"] = (base, frame, learning_rate_table(base, frame, config.samples),
                                                    config.srl_steps, runs)
    five = ["MARAMP", "MSUAMP", "MSUAPC", "UAMWSER", "JUAPCMWSER"]
    beats = "the 95% CI of the paired difference to the best baseline of the same reading, same events, above 0"
    for label, (base, frame, table, srl_steps, runs) in learned.items():
        section = "ours" if "our training" in label else None
        table = table.set_index("method")
        best = table.loc[five, "reproduced"].idxmax()
        at_120 = frame[frame["n_active"] == 120] if "n_active" in frame else frame  # Fig. 9's densities apart
        run_tables = {run: learning_rate_table(base, f, f.loc[f["method"] == "SRL", "sample"].nunique()).set_index("method")
                      for run, f in runs.items()}
        paired = training_runs_table({0: at_120, **runs}, base, best, srl_steps or 1).set_index(["run", "method"])
        if runs:
            table_rule = (f"{tol}; the status over training runs 0-{max(runs)} (each run's status alike, else "
                          "indeterminate), ours: run 0")
            claim_rule = (f"{beats} ({best}); on every training run (runs 0-{max(runs)}, each on its events): the CI "
                          "is the envelope of the runs' CIs, ours the mean of their mean differences")
        else:
            table_rule, claim_rule = tol, f"{beats} ({best}); ours: the mean difference"
        for method in ("GRL", "SRL"):
            r = table.loc[method]
            statuses = [status(t.loc[method]) for t in (table, *run_tables.values())]
            rows.append(_row("A", f"Table II {method}", label, r["paper"], r["reproduced"], r["CI low"], r["CI high"],
                             runs_status(statuses), table_rule, "paper_a/hgsage", section))
            p = paired.loc[("all", method)]
            rows.append(_row("A", f"{method} beats every optimisation baseline (the paper's central claim)",
                             label, None, p["difference [bit/s/Hz]"], p["difference CI low"], p["difference CI high"],
                             p["status"], claim_rule, "paper_a/hgsage", section))
            for run, t in ({0: table, **run_tables} if runs else {}).items():  # each run apart
                r, p = t.loc[method], paired.loc[(run, method)]
                run_label = f"{label}, run {run}"
                rows.append(_row("A", f"Table II {method}", run_label, r["paper"], r["reproduced"], r["CI low"],
                                 r["CI high"], status(r), tol, "paper_a/hgsage", "sensitivity"))
                rows.append(_row("A", f"{method} beats every optimisation baseline (the paper's central claim)",
                                 run_label, None, p["difference [bit/s/Hz]"], p["difference CI low"],
                                 p["difference CI high"], p["status"],
                                 f"{beats} ({best}), on this run's {int(p['events'])} events; ours: the mean difference",
                                 "paper_a/hgsage", "sensitivity"))
        for c in learning_claims_table(base, frame).to_dict("records")[1:]:  # the first is the central claim above
            rows.append(_row("A", f"Figs 7-8: {c['claim']}", label, None, None, None, None, c["verdict"],
                             c["criterion"], "paper_a/hgsage", section))
        if section is None:
            rows += _fig6_rows(label, scale)
    for c in density_claims_table(gnn).to_dict("records"):
        rows.append(_row("A", f"Fig. 9: {c['claim']}", "corrected, our training", None, None, None, None,
                         c["verdict"], c["criterion"], "paper_a/hgsage", "ours"))
    for reading, name in (("authors", "paper_a_baselines_authors"), ("corrected", "paper_a_baselines")):
        frame = _stored(name, scale)[0]
        per_event = frame.groupby(["method", "sample"])["seconds"].first().unstack("method")
        timed = [m for m in PAPER_TABLE_III if m in per_event.columns]
        for method in timed:
            orders = []
            for other in timed:
                if other != method:
                    _, low, high = mean_ci((per_event[method] - per_event[other]).to_numpy())
                    orders.append((PAPER_TABLE_III[method] < PAPER_TABLE_III[other], low, high))
            rows.append(_row("A", f"Table III {method} [s]", reading, PAPER_TABLE_III[method],
                             per_event[method].mean(), None, None, rank_status(orders),
                             "other machine: only the rank among the baselines is compared, each order "
                             "by the 95% CI of the paired per-event difference", "paper_a/baselines"))
    return rows


def _fig6_rows(label: str, scale: str) -> list[dict]:
    """Fig. 6's two claims for the authors' training: the GRL batch rate rises while the
    supervised loss falls (first tenth of the steps against the last), and SRL raises one
    event's rate above the GRL model's first decision."""
    reading = label.split(",")[0]
    frame, _ = load(f"paper_a_training_authors_recipe_{reading}", scale)
    grl, srl = frame[frame["phase"] == "GRL"], frame[frame["phase"] == "SRL"]
    tenth = max(len(grl) // 10, 1)
    rises = grl["mean_rate"].tail(tenth).mean() > grl["mean_rate"].head(tenth).mean()
    falls = grl["supervised_loss"].tail(tenth).mean() < grl["supervised_loss"].head(tenth).mean()
    return [
        _row("A", "Fig. 6(a): the GRL rate rises while the supervised loss falls", label, None,
             grl["mean_rate"].tail(tenth).mean() - grl["mean_rate"].head(tenth).mean(), None, None,
             "reproduced" if rises and falls else "not reproduced",
             "last tenth of the steps against the first: mean batch rate higher and supervised loss lower; "
             "ours: the rise of the rate", "paper_a/hgsage"),
        _row("A", "Fig. 6(b): SRL raises the rate of one event", label, None,
             srl["best_rate"].iloc[-1] - srl["rate"].iloc[0], None, None,
             "reproduced" if srl["best_rate"].iloc[-1] > srl["rate"].iloc[0] else "not reproduced",
             "best rate after SRL above the rate of its first step; ours: the gain", "paper_a/hgsage"),
    ]


def _paper_b(scale: str) -> list[dict]:
    rows = []
    criterion = ("within 10% of the paper, or the paper in our 95% CI no wider than that band "
                 "(direction only: same sign, within 2x)")
    static, users = {}, {}
    for fairness, table in (("low", "Table III"), ("high", "Table IV")):
        static[fairness] = _stored(SELECTED_NAMES[f"static_{fairness}"], scale)
        users[fairness] = _stored(SELECTED_NAMES[f"users_{fairness}"], scale)
        for r in table_statistics(*static[fairness]).to_dict("records"):
            rows.append(_row("B", f"{table} {r['method']} {r['quantity']}", "selected", r["paper"], r["mean"],
                             r["CI low"], r["CI high"], r["verdict"], criterion, "paper_b/tables"))
    rows += _fig3_rows(scale) + _section_vd_rows(scale)
    tv = _stored(SELECTED_NAMES["time_varying"], scale)
    chapters = {"Fig. 4": "users", "Fig. 6": "users", "Fig. 8": "time_varying", "Fig. 9": "time_varying"}
    for c in figure_claims(static, users, tv).to_dict("records"):
        rows.append(_row("B", f"{c['figure']}: {c['claim']}", "selected", None, None, None, None, c["verdict"],
                         c["criterion"], f"paper_b/{chapters.get(c['figure'], 'groups')}"))
    return rows


def _fig3_rows(scale: str) -> list[dict]:
    """Fig. 3's claims on both instances (the chapter's checks; the paper's own parameters)."""
    frame, _ = load("paper_b_convergence", scale)
    return [_row("B", f"Fig. 3: {r['claim']} ({r['instance']})", "selected", None, None, None, None,
                 _STATUS[r["verdict"]], r["criterion"], "paper_b/fig3_convergence")
            for r in convergence_summary(frame).to_dict("records")]


SLOPE_TOLERANCE = 0.3
"""A fitted log-log slope agrees with the paper's exponent within this."""


def _section_vd_rows(scale: str) -> list[dict]:
    """Section V-D: GA the most expensive method (both scenarios), and each unit of work's
    measured scaling against the paper's order."""
    rows = []
    for fairness in ("low", "high"):
        name = f"paper_b_static_{fairness}"
        table = complexity_table(*_stored(name, scale)).set_index("method")
        slowest = table["mean time [s]"].idxmax()
        rows.append(_row("B", f"Section V-D: GA is the most expensive method ({fairness} fairness)", "selected",
                         None, float(table.loc["GA", "x Ours"]), None, None,
                         "reproduced" if slowest == "GA" else "not reproduced",
                         f"GA has the largest mean time per drop (slowest here: {slowest}); ours: GA's time / Ours'",
                         "paper_b/complexity"))
    slopes = slope_table(_stored("paper_b_scaling", scale)[0]).set_index("unit of work")
    for unit, r in slopes.iterrows():
        fits = all(abs(r[f"slope vs {a}"] - r[f"claimed vs {a}"]) <= SLOPE_TOLERANCE for a in ("users", "BSs"))
        order = r["paper's order"]
        rows.append(_row("B", f"Section V-D: {unit} scales as {order}", "selected", None,
                         float(r["slope vs users"]), None, None,
                         "reproduced" if fits else "not reproduced",
                         f"fitted log-log slopes against users and BSs within {SLOPE_TOLERANCE} of the order's "
                         "exponents; ours: the slope against users", "paper_b/complexity"))
    return rows


def scorecard(scale: str = "full") -> pd.DataFrame:
    """Every table number and figure claim of both papers, from the stored results of
    ``scale`` (raises :class:`~hudnlib.storage.StoreError` naming the command to run when
    a result is missing)."""
    return pd.DataFrame(_paper_a(scale) + _paper_b(scale) + _beyond(scale))


_BEYOND_READING = {"beyond/b_on_a": "paper A corrected, paper B's selected alphas",
                   "beyond/a_on_b": "paper B selected, paper A corrected",
                   "beyond/exact": "small events of both"}


def _beyond(scale: str) -> list[dict]:
    return [_row("beyond", r["question"], _BEYOND_READING[r["chapter"]], None, r["value"], r["CI low"],
                 r["CI high"], r["answer"], f"{r['measure']}; {r['criterion']}", r["chapter"], section="beyond")
            for r in answer_rows(scale).to_dict("records")]


def write_scorecard(path: Path | str = SCORECARD_PATH, scale: str = "full") -> pd.DataFrame:
    """Compute the scorecard and write it as CSV (atomically)."""
    table = scorecard(scale)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return table

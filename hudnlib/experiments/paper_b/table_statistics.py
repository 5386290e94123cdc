"""Statistics of paper B's Tables III-IV that a reader can trust.

Per-drop HAFs of heterogeneous alpha-fair utilities are heavy-tailed: a user with alpha up
to 5 and a near-zero rate contributes ``-r^(1 - alpha) / (alpha - 1)``, and a user with
alpha near 1 contributes ``1 / (1 - alpha)``, a term of the alpha draw alone with no mean.
So every table entry is shown with a bootstrap confidence interval, the median and a
1%-trimmed mean; methods are compared by paired differences on the same drops (which
cancel the alpha-only terms); starved users are counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from hudnlib.experiments.paper_b.static import StaticConfig
from hudnlib.experiments.paper_b.targets import COLUMNS, TABLES
from hudnlib.experiments.statistics import bootstrap_ci
from hudnlib.experiments.status_rules import number_status

__all__ = [
    "table_statistics",
    "paired_differences",
    "starved_table",
    "common_term_table",
    "entry_verdict",
    "TOLERANCE",
    "TRIM",
]

TRIM = 0.01
"""Share cut from each tail for the trimmed mean."""

SEED = 20261125
"""Seed of the bootstrap resampling (the intervals are reproducible)."""


def _per_drop(frame: pd.DataFrame, config: StaticConfig, column: str = "haf") -> pd.DataFrame:
    """(method, sample) x quantity table of ``column`` (HAF: total and the four groups)."""
    part = frame[frame["n_users"] == config.n_users[0]]
    wide = part.pivot_table(index=["method", "sample"], columns="group", values=column)
    wide.columns = [COLUMNS[g + 1] for g in wide.columns]
    return wide


TOLERANCE = 0.10
"""Relative tolerance of a table entry (:func:`entry_verdict`)."""


def entry_verdict(ours: float, low: float, high: float, paper: float) -> str:
    """Status of one table entry under the book's written rules
    (:func:`~hudnlib.experiments.status_rules.number_status`, tolerance 10%): ``reproduced``
    within 10% of the paper, or with the paper's value in our 95% CI when that CI is no
    wider than the ±10% band; ``indeterminate`` when the paper's value lies in a wider CI;
    ``direction only`` when ours has the paper's sign and lies within a factor of 2;
    ``not reproduced`` otherwise.

    Examples
    --------
    >>> entry_verdict(-5.8e14, -1.7e15, -3.4e12, -1.49e15), entry_verdict(120.6, 119.0, 123.0, 63.13)
    ('indeterminate', 'direction only')
    """
    direction = ours * paper > 0 and 0.5 <= ours / paper <= 2.0
    return number_status(paper, ours, low, high, TOLERANCE, "direction only" if direction else "not reproduced")


def table_statistics(frame: pd.DataFrame, config: StaticConfig) -> pd.DataFrame:
    """Tables III/IV in the paper's layout, one row per method and quantity: the paper's
    value, our mean with its 95% bootstrap CI (over drops), median, 1%-trimmed mean,
    deviation and verdict (:func:`entry_verdict`)."""
    wide = _per_drop(frame, config)
    paper = TABLES[config.fairness]
    rng = np.random.default_rng(SEED)
    rows = []
    for method in config.methods:
        for q, quantity in enumerate(COLUMNS):
            x = wide.loc[method, quantity].to_numpy()
            low, high = bootstrap_ci(x, rng)
            mean, theirs = float(x.mean()), paper[method][q]
            rows.append({"method": method, "quantity": quantity, "paper": theirs, "mean": mean,
                         "CI low": low, "CI high": high, "median": float(np.median(x)),
                         "trimmed mean": float(stats.trim_mean(x, TRIM)),
                         "deviation": mean - theirs, "verdict": entry_verdict(mean, low, high, theirs)})
    return pd.DataFrame(rows)


def paired_differences(frame: pd.DataFrame, config: StaticConfig, reference: str = "Ours") -> pd.DataFrame:
    """``reference - method`` per drop and quantity: mean with 95% bootstrap CI, median,
    the paper's difference, and whether the sign agrees (and is significant)."""
    wide = _per_drop(frame, config)
    paper = TABLES[config.fairness]
    rng = np.random.default_rng(SEED)
    rows = []
    for method in config.methods:
        if method == reference:
            continue
        for q, quantity in enumerate(COLUMNS):
            d = wide.loc[reference, quantity].to_numpy() - wide.loc[method, quantity].to_numpy()
            low, high = bootstrap_ci(d, rng)
            theirs = paper[reference][q] - paper[method][q]
            rows.append({"method": method, "quantity": quantity, "paper": theirs, "mean": float(d.mean()),
                         "CI low": low, "CI high": high, "median": float(np.median(d)),
                         "same sign": bool(np.sign(d.mean()) == np.sign(theirs)),
                         "significant": bool(low > 0 or high < 0)})
    return pd.DataFrame(rows)


def starved_table(frame: pd.DataFrame, config: StaticConfig) -> pd.DataFrame:
    """Per method: mean starved users per drop (rate below 1e-3 of the drop's median) and
    the share of drops with at least one."""
    part = frame[(frame["n_users"] == config.n_users[0]) & (frame["group"] == -1)]
    table = part.groupby("method")["starved"].agg(
        **{"starved users / drop": "mean", "drops with a starved user": lambda s: float((s > 0).mean())})
    return table.loc[list(config.methods)].reset_index()


def common_term_table(frame: pd.DataFrame, config: StaticConfig) -> pd.DataFrame:
    """The group-2 column's common term ``sum 1/(1 - alpha)`` over the group's users: its mean
    over drops with a 95% bootstrap CI, median and quartiles, beside the paper's group-2
    values; and each method's group-2 HAF without it (mean)."""
    wide = _per_drop(frame, config)
    term = _per_drop(frame, config, "alpha_term")["HAF@g2"]
    x = term.loc[config.methods[0]].to_numpy()
    low, high = bootstrap_ci(x, np.random.default_rng(SEED))
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    rows = [{"quantity": "common term sum 1/(1 - alpha), group 2", "mean": float(x.mean()), "CI low": low,
             "CI high": high, "median": float(med), "quartiles": f"[{q1:.3g}, {q3:.3g}]"}]
    for method in config.methods:
        rest = wide.loc[method, "HAF@g2"].to_numpy() - term.loc[method].to_numpy()
        rows.append({"quantity": f"{method}: HAF@g2 without it", "mean": float(rest.mean()),
                     "median": float(np.median(rest)),
                     "paper HAF@g2": TABLES[config.fairness][method][2]})
    return pd.DataFrame(rows)

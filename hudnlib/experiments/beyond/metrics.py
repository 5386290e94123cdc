"""Per-event scores shared by the "Beyond the papers" experiments: one decision (each user's
BS and its spectral efficiency there, under the method's powers) scored by both papers'
objectives, and the tables that compare methods on the same events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hudnlib.allocation import allocate_bandwidth
from hudnlib.experiments.statistics import mean_ci

__all__ = ["STARVED", "FLOOR_SE", "decision_scores", "comparison_table", "paired_table"]

STARVED = 1e-3
"""A user is starved below this equal-share rate, bit/s/Hz (paper A's threshold)."""

FLOOR_SE = 1e-300
"""Spectral efficiency given to a user whose serving BS is silent (rate 0), so that its HAF
is finite-but-hopeless rather than undefined; no method of the chapters produces one."""


def decision_scores(bs: np.ndarray, se: np.ndarray, alphas: dict[str, np.ndarray], n_bs: int,
                    bandwidth: float) -> dict[str, float]:
    """Both papers' scores of one decision.

    Parameters
    ----------
    bs : ndarray of int, shape (I,)
        Each user's serving BS.
    se : ndarray, shape (I,)
        Each user's spectral efficiency on its serving BS under the method's powers
        (bit/s/Hz; every transmitting BS interferes).
    alphas : dict of str to ndarray, shape (I,)
        Users' alphas of each fairness scenario; each gives a column ``haf <name>``.
    n_bs : int
        BSs in the network.
    bandwidth : float
        ``B`` of the HAF (the rate unit: 20 for Mbit/s over 20 MHz).

    Returns
    -------
    dict
        ``total rate``: paper A's R (eq. 6, equal time shares, bit/s/Hz); ``sum log rate``;
        ``starved`` (users below :data:`STARVED`); ``p5 rate`` (5th percentile of the users'
        rates, bit/s/Hz); ``jain`` (Jain's index of the rates); ``haf <name>`` (paper B's
        HAF with Algorithm-1 bandwidth, rates in the unit of ``bandwidth``).
    """
    bs = np.asarray(bs, dtype=np.int64)
    se = np.maximum(np.asarray(se, dtype=float), FLOOR_SE)
    load = np.bincount(bs, minlength=n_bs)
    rate = se / load[bs]
    with np.errstate(divide="ignore"):
        scores = {"total rate": float(rate.sum()), "sum log rate": float(np.log(rate).sum()),
                  "starved": int((rate < STARVED).sum()), "p5 rate": float(np.percentile(rate, 5)),
                  "jain": float(rate.sum() ** 2 / (rate.size * np.sum(rate ** 2)))}
    matrix = np.ones((bs.size, n_bs))
    matrix[np.arange(bs.size), bs] = se
    for name, alpha in alphas.items():
        scores[f"haf {name}"] = allocate_bandwidth(matrix, alpha, bs, bandwidth).haf
    return scores


def comparison_table(scores: pd.DataFrame, columns: list[str], order: list[str]) -> pd.DataFrame:
    """Mean and 95% CI (Student t over events) of each score, methods as rows in ``order``.

    ``scores`` holds one row per (sample, method). A column that is not finite on every
    event (a HAF of ``-inf``) shows its median instead, marked in the ``note`` column.
    """
    rows = []
    for method in order:
        part = scores.loc[scores["method"] == method]
        row, notes = {"method": method, "events": len(part)}, []
        for column in columns:
            values = part[column].to_numpy(dtype=float)
            if len(values) >= 2 and np.isfinite(values).all():
                mean, low, high = mean_ci(values)
                row[column] = mean
                row[f"{column} CI"] = f"[{low:.4g}, {high:.4g}]"
            else:
                row[column] = float(np.median(values)) if len(values) else np.nan
                row[f"{column} CI"] = "-"
                notes.append(f"{column}: median ({int((~np.isfinite(values)).sum())} events not finite)")
        row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows)


def paired_table(scores: pd.DataFrame, column: str, reference: str, methods: list[str]) -> pd.DataFrame:
    """Paired difference ``method - reference`` of one score on the same events: mean, 95% CI,
    share of events the method is ahead, and the verdict ("ahead", "behind" or "tie": the CI
    above, below or around 0)."""
    wide = scores.pivot(index="sample", columns="method", values=column)
    rows = []
    for method in methods:
        diff = (wide[method] - wide[reference]).to_numpy(dtype=float)
        diff = diff[np.isfinite(diff)]
        if diff.size < 2:
            rows.append({"method": method, "difference": np.nan, "CI": "-", "events ahead": np.nan,
                         "verdict": "not comparable"})
            continue
        mean, low, high = mean_ci(diff)
        rows.append({"method": method, "difference": mean, "CI": f"[{low:.4g}, {high:.4g}]",
                     "events ahead": float((diff > 0).mean()),
                     "verdict": "ahead" if low > 0 else "behind" if high < 0 else "tie"})
    return pd.DataFrame(rows)

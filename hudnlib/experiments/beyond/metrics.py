"""Per-event scores shared by the "Beyond the papers" experiments: one decision (each user's
BS and its spectral efficiency there, under the method's powers) scored by both papers'
objectives, and the tables that compare methods on the same events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hudnlib.allocation import chosen_value
from hudnlib.experiments.statistics import mean_ci
from hudnlib.numbers import format_number

__all__ = ["STARVED", "FLOOR_SE", "HUGE", "decision_scores", "comparison_table", "wilson_interval",
           "paired_comparison", "paired_summary"]

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
    log_bc = np.log(bandwidth * se)
    for name, alpha in alphas.items():
        scores[f"haf {name}"] = float(chosen_value(log_bc, np.asarray(alpha, dtype=float), bs, n_bs))
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
                row[f"{column} CI"] = f"[{format_number(low, 4)}, {format_number(high, 4)}]"
            else:
                row[column] = float(np.median(values)) if len(values) else np.nan
                row[f"{column} CI"] = "-"
                notes.append(f"{column}: median ({int((~np.isfinite(values)).sum())} events not finite)")
        row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows)


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a proportion.

    Examples
    --------
    >>> tuple(round(v, 4) for v in wilson_interval(8, 10))
    (0.4902, 0.9433)
    """
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes} of {n}")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


HUGE = 1e100
"""Beyond this magnitude a score (a HAF with a starved user) is compared by sign only."""


def paired_comparison(a: np.ndarray, b: np.ndarray) -> dict:
    """"``a`` beats ``b``" on the same events.

    The mean paired difference ``a - b`` with its 95% CI (Student t), verdict ``ahead`` /
    ``behind`` / ``tie`` as the CI lies above / below / around 0. Where a score is not finite
    or beyond :data:`HUGE` on some event (a HAF of a starved user), the share of events ``a``
    is ahead with its 95% Wilson interval instead (verdict by the interval against 1/2).

    Returns
    -------
    dict
        ``value``, ``low``, ``high``, ``measure`` ("difference" or "share ahead"),
        ``ahead`` (share of events ``a > b``), ``verdict``.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be 1-D of one shape, got {a.shape} and {b.shape}")
    if a.size < 2:
        return {"value": np.nan, "low": np.nan, "high": np.nan, "measure": "-", "ahead": np.nan,
                "verdict": "not comparable"}
    ahead = int((a > b).sum())
    tame = np.isfinite(a).all() and np.isfinite(b).all() and max(np.abs(a).max(), np.abs(b).max()) < HUGE
    if tame:
        value, low, high = mean_ci(a - b)
        verdict = "ahead" if low > 0 else "behind" if high < 0 else "tie"
        measure = "difference"
    else:
        value = ahead / a.size
        low, high = wilson_interval(ahead, a.size)
        verdict = "ahead" if low > 0.5 else "behind" if high < 0.5 else "tie"
        measure = "share ahead"
    return {"value": value, "low": low, "high": high, "measure": measure, "ahead": ahead / a.size,
            "verdict": verdict}


def paired_summary(scores: pd.DataFrame, references: dict[str, tuple[str, str]], methods: list[str]) -> pd.DataFrame:
    """One row per method, one column per score: "``method`` beats the reference" on the same
    events, as ``value [low, high] verdict`` (:func:`paired_comparison`; a share ahead is
    marked ``%``).

    Parameters
    ----------
    references : dict
        Column label -> (score column, reference method).
    """
    wide = {label: scores.pivot(index="sample", columns="method", values=column)
            for label, (column, _) in references.items()}
    rows = []
    for method in methods:
        row = {"method": method}
        for label, (_, reference) in references.items():
            if method == reference:
                row[label] = "(reference)"
                continue
            both = wide[label][[method, reference]].dropna()
            c = paired_comparison(both[method].to_numpy(), both[reference].to_numpy())
            if c["measure"] == "share ahead":
                row[label] = f"{c['value']:.0%} [{c['low']:.0%}, {c['high']:.0%}] {c['verdict']}"
            elif c["measure"] == "difference":
                row[label] = (f"{format_number(c['value'], 4, sign=True)} [{format_number(c['low'], 4, sign=True)}, "
                              f"{format_number(c['high'], 4, sign=True)}] {c['verdict']}")
            else:
                row[label] = c["verdict"]
        rows.append(row)
    return pd.DataFrame(rows)

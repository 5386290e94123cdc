"""Paper A's central claim at the authors' scale, computed from the stored frames: GRL and
SRL (at each stored number of SRL steps) against the best of the five baselines of the same
reading, paired on the same events, SRL's sensitivity to a second numeric setting, and the
verdict over independent training runs of the same configuration."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hudnlib.experiments.statistics import mean_ci
from hudnlib.experiments.status_rules import comparison_status, runs_status

__all__ = ["event_totals_by_method", "paired_against", "srl_budget_table", "second_setting_table",
           "run_frame", "training_runs_table"]


def event_totals_by_method(frame: pd.DataFrame) -> pd.DataFrame:
    """Total effective rate per event (rows: ``sample``) and method (columns), bit/s/Hz."""
    return frame.groupby(["sample", "method"])["rate"].sum().unstack("method")


def paired_against(learned: pd.Series, reference: pd.Series) -> dict:
    """Mean of ``learned`` with its 95% CI, and the paired difference ``learned - reference``
    on the same events with its 95% CI and the share of events ``learned`` wins.

    Parameters
    ----------
    learned, reference : Series
        Per-event totals indexed by ``sample``; compared on the events both hold (a method
        run on some events only, such as SRL of our training, is compared on those).
    """
    both = pd.concat([learned.rename("a"), reference.rename("b")], axis=1, join="inner").dropna()
    if len(both) < 2:
        raise ValueError(f"need at least 2 common events, got {len(both)}")
    mean, low, high = mean_ci(both["a"].to_numpy())
    diff, d_low, d_high = mean_ci((both["a"] - both["b"]).to_numpy())
    return {"mean [bit/s/Hz]": mean, "CI low": low, "CI high": high, "events": len(both),
            "difference [bit/s/Hz]": diff, "difference CI low": d_low, "difference CI high": d_high,
            "events won": float((both["a"] > both["b"]).mean())}


def _steps(method: str, final: int) -> int:
    return 0 if method == "GRL" else (final if method == "SRL" else int(method.split("@")[1]))


def srl_budget_table(learned: pd.DataFrame, baselines: pd.DataFrame, baseline: str, srl_steps: int) -> pd.DataFrame:
    """GRL and SRL after each stored number of steps against ``baseline`` on the same events.

    Returns one row per method (``SRL steps`` 0 for GRL) with :func:`paired_against`'s columns
    and ``beats``: whether the 95% CI of the paired difference lies above 0 (``"yes"``),
    below 0 (``"no"``) or contains it (``"tie"``).
    """
    totals = event_totals_by_method(learned)
    reference = event_totals_by_method(baselines)[baseline]
    rows = []
    for method in sorted(totals.columns, key=lambda m: _steps(m, srl_steps)):
        row = {"method": method, "SRL steps": _steps(method, srl_steps), **paired_against(totals[method], reference)}
        row["beats"] = ("yes" if row["difference CI low"] > 0 else
                        "no" if row["difference CI high"] < 0 else "tie")
        rows.append(row)
    return pd.DataFrame(rows)


def second_setting_table(first: pd.DataFrame, second: pd.DataFrame, baselines: pd.DataFrame,
                         baseline: str) -> dict:
    """SRL under two numeric settings on the events of ``second``: the mean under each, the
    change of the mean, the per-event spread (standard deviation of the per-event change) and
    the paired difference to ``baseline`` under each setting."""
    a = event_totals_by_method(first)["SRL"]
    b = event_totals_by_method(second)["SRL"]
    common = b.index.intersection(a.index)
    a, b = a.loc[common], b.loc[common]
    reference = event_totals_by_method(baselines)[baseline]
    change = (b - a).to_numpy()
    return {"events": len(common), "first setting [bit/s/Hz]": float(a.mean()),
            "second setting [bit/s/Hz]": float(b.mean()), "change of the mean": float(change.mean()),
            "per-event change, std": float(np.std(change, ddof=1)),
            "largest per-event change": float(np.abs(change).max()),
            "vs baseline, first": paired_against(a, reference)["difference [bit/s/Hz]"],
            "vs baseline, second": paired_against(b, reference)["difference [bit/s/Hz]"],
            "vs baseline, second, CI": (paired_against(b, reference)["difference CI low"],
                                        paired_against(b, reference)["difference CI high"])}


def run_frame(grl: pd.DataFrame, srl: pd.DataFrame) -> pd.DataFrame:
    """One training run's frame from its GRL evaluation (all its events) and its SRL
    evaluation (some of them): SRL's rows joined to GRL's, SRL's own GRL rows (the same
    decisions on its events) left out."""
    return pd.concat([grl, srl[srl["method"] != "GRL"]], ignore_index=True)


def training_runs_table(runs: dict[int, pd.DataFrame], baselines: pd.DataFrame, baseline: str,
                        srl_steps: int) -> pd.DataFrame:
    """GRL and SRL (after ``srl_steps``) of each training run against ``baseline``, and the
    verdict over the runs.

    Parameters
    ----------
    runs : dict of int to DataFrame
        Each training run's frame (GRL and SRL rows), keyed by the run index.
    baselines : DataFrame
        The baselines' frame of the same reading.
    baseline, srl_steps
        As in :func:`srl_budget_table`.

    Returns
    -------
    DataFrame
        One row per run and method (``run``, ``method``, :func:`paired_against`'s columns,
        ``status`` by :func:`~hudnlib.experiments.status_rules.comparison_status`), then one
        row per method with ``run`` ``"all"``: the mean of the runs' mean differences, the
        envelope of their CIs (lowest low, highest high) and the status over the runs
        (:func:`~hudnlib.experiments.status_rules.runs_status`, which is the envelope's
        comparison status).
    """
    if not runs:
        raise ValueError("runs is empty: need at least one training run")
    rows = []
    for run, frame in sorted(runs.items()):
        table = srl_budget_table(frame[frame["method"].isin(["GRL", "SRL"])], baselines, baseline, srl_steps)
        for r in table.to_dict("records"):
            rows.append({"run": run, **r, "status": comparison_status(r["difference CI low"],
                                                                     r["difference CI high"])})
    per_run = pd.DataFrame(rows)
    for method, part in per_run.groupby("method", sort=False):
        rows.append({"run": "all", "method": method, "SRL steps": part["SRL steps"].iloc[0],
                     "events": int(part["events"].min()),
                     "difference [bit/s/Hz]": part["difference [bit/s/Hz]"].mean(),
                     "difference CI low": part["difference CI low"].min(),
                     "difference CI high": part["difference CI high"].max(),
                     "status": runs_status(part["status"].tolist())})
    return pd.DataFrame(rows)

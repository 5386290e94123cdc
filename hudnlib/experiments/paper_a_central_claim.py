"""Paper A's central claim at the authors' scale, computed from the stored frames: GRL and
SRL (at each stored number of SRL steps) against the best of the five baselines of the same
reading, paired on the same events, and SRL's sensitivity to a second numeric setting."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hudnlib.experiments.statistics import mean_ci

__all__ = ["event_totals_by_method", "paired_against", "srl_budget_table", "second_setting_table"]


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

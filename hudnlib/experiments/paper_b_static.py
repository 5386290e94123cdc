"""Paper B with static channels: Tables III-IV, Figs 4-7.

One sample is one Sionna drop (from the stored channel set) with freshly drawn user alphas;
every method runs on the first ``n`` users of the drop for each ``n`` in ``n_users``. The
tidy frame has one row per (sample, n_users, method, group), group -1 being all users, with
the HAF and the four per-group metrics of Figs 5 and 7.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudnlib.baselines.paper_b import METHODS
from hudnlib.experiments.paper_b_targets import COLUMNS, TABLES
from hudnlib.experiments.registry import Experiment, register
from hudnlib.scenarios.channel_sets import load_channel_set
from hudnlib.scenarios.paper_b import (
    HIGH_FAIRNESS,
    LOW_FAIRNESS,
    HetNetConfig,
    draw_alphas,
    spectral_efficiency_of,
)

__all__ = [
    "StaticConfig",
    "group_metrics",
    "haf_table",
    "metric_table",
    "users_table",
    "prepare_channels",
]

RATIOS = {"low": LOW_FAIRNESS, "high": HIGH_FAIRNESS}
DROP_USERS = 60
"""Users per stored drop; smaller ``n`` use the first ``n`` of them."""

FIG_METHODS = ("Ours", "Max-SINR", "PF", "AF-High", "Min-Latency")
"""Methods the paper draws in Figs 4 and 6 (Random, AF-Low, 2RS and GA are left out)."""


@dataclass(frozen=True)
class StaticConfig:
    """Config of a static-channel sweep of paper B.

    Attributes
    ----------
    samples : int
        Drops (the paper: 1,000 per scenario).
    seed : int
        Seed of the users' alphas and of the randomised methods.
    channel_seed : int
        Seed of the stored Sionna channel set.
    fairness : {"low", "high"}
        Alpha-group ratio 4:3:2:1 or 1:2:3:4.
    n_users : tuple of int
        User counts (<= 60).
    methods : tuple of str
        Names from :data:`hudnlib.baselines.paper_b.METHODS`.
    n_iter : int
        Pricing iterations of every pricing method.
    ga_generations : int
        GA generations.
    bandwidth : float
        ``B`` in the rate unit (1.0: bit/s/Hz).
    """

    samples: int
    seed: int = 1
    channel_seed: int = 2026
    fairness: str = "low"
    n_users: tuple[int, ...] = (40,)
    methods: tuple[str, ...] = tuple(METHODS)
    n_iter: int = 300
    ga_generations: int = 300
    bandwidth: float = 1.0

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        if self.fairness not in RATIOS:
            raise ValueError(f"fairness must be one of {sorted(RATIOS)}, got {self.fairness!r}")
        if not all(1 <= n <= DROP_USERS for n in self.n_users):
            raise ValueError(f"n_users must lie in [1, {DROP_USERS}], got {self.n_users}")
        unknown = set(self.methods) - set(METHODS)
        if unknown:
            raise ValueError(f"unknown methods {sorted(unknown)}; known: {list(METHODS)}")


def prepare_channels(config) -> dict:
    """Load (or generate once) the drops a sweep needs."""
    channels = load_channel_set(HetNetConfig(n_users=DROP_USERS), config.samples, config.channel_seed)
    return {"gain": channels.gain, "power_dbm": channels.power_dbm}


def group_metrics(rate: np.ndarray, utility: np.ndarray, group: np.ndarray, n_groups: int = 4) -> list[dict]:
    """HAF, sum-rate, PF (sum log r), average latency (mean 1/r) and min-rate per group.

    Group -1 is all users. An empty group has HAF, sum-rate and PF 0 and undefined (NaN)
    latency and min-rate.
    """
    rows = []
    with np.errstate(divide="ignore", over="ignore"):  # a starved user has latency inf
        for g in range(-1, n_groups):
            sel = np.ones_like(group, dtype=bool) if g < 0 else group == g
            r = rate[sel]
            rows.append({
                "group": g, "users": int(sel.sum()), "haf": float(utility[sel].sum()),
                "sum_rate": float(r.sum()), "pf": float(np.log(r).sum()),
                "latency": float(np.mean(1.0 / r)) if r.size else np.nan,
                "min_rate": float(r.min()) if r.size else np.nan,
            })
    return rows


def run_static_samples(config: StaticConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """All methods on the drops ``indices`` (see the module docstring)."""
    scenario = HetNetConfig(n_users=DROP_USERS)
    rows = []
    for local, k in enumerate(indices):
        seq = np.random.SeedSequence(config.seed, spawn_key=(int(k),))
        alpha_all, group_all = draw_alphas(np.random.default_rng(seq), DROP_USERS, RATIOS[config.fairness])
        for n in config.n_users:
            se = spectral_efficiency_of(scenario, inputs["gain"][local][:n], inputs["power_dbm"][local])
            alpha, group = alpha_all[:n], group_all[:n]
            start_2rs = None
            for m, name in enumerate(config.methods):
                rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(int(k), n, m)))
                kwargs = {"bandwidth": config.bandwidth}
                if name in ("Ours", "PF", "AF-Low", "AF-High", "Min-Latency"):
                    kwargs["n_iter"] = config.n_iter
                elif name == "GA":
                    kwargs["generations"] = config.ga_generations
                elif name == "2RS" and start_2rs is not None:
                    kwargs["start"] = start_2rs
                t0 = time.perf_counter()
                solution = METHODS[name](se, alpha, rng, **kwargs)
                seconds = time.perf_counter() - t0
                if name == "Ours":
                    start_2rs = solution.association
                for row in group_metrics(solution.allocation.rate, solution.allocation.utility, group):
                    rows.append({"sample": int(k), "n_users": n, "method": name, **row, "seconds": seconds})
    return pd.DataFrame(rows)


def haf_table(frame: pd.DataFrame, config: StaticConfig) -> pd.DataFrame:
    """Table III/IV: mean total and group HAF per method beside the paper's values.

    ``deviation`` is reproduced - paper; ``relative`` divides it by |paper|.
    """
    n = config.n_users[0]
    part = frame[frame["n_users"] == n]
    means = part.groupby(["method", "group"])["haf"].mean().unstack("group")
    paper = TABLES[config.fairness]
    rows = []
    for method in config.methods:
        for g, column in zip((-1, 0, 1, 2, 3), COLUMNS):
            ours, theirs = float(means.loc[method, g]), paper[method][COLUMNS.index(column)]
            rows.append({"method": method, "quantity": column, "paper": theirs,
                         "reproduced": ours, "deviation": ours - theirs,
                         "relative": (ours - theirs) / abs(theirs)})
    return pd.DataFrame(rows)


def metric_table(frame: pd.DataFrame, config: StaticConfig) -> pd.DataFrame:
    """Figs 5/7: mean of each per-group metric, per method and group (groups 1-4)."""
    part = frame[(frame["n_users"] == config.n_users[0]) & (frame["group"] >= 0)]
    table = part.groupby(["method", "group"])[["sum_rate", "pf", "latency", "min_rate"]].mean()
    return table.reset_index().assign(group=lambda f: f["group"] + 1)


def users_table(frame: pd.DataFrame, config: StaticConfig) -> pd.DataFrame:
    """Figs 4/6: mean total HAF per method and number of users."""
    part = frame[frame["group"] == -1]
    return part.groupby(["method", "n_users"])["haf"].mean().unstack("n_users").loc[list(config.methods)]


def _static(samples: int, fairness: str, **kwargs) -> StaticConfig:
    return StaticConfig(samples=samples, fairness=fairness, **kwargs)


for _fairness, _table, _fig in (("low", "Table III", "Fig. 5"), ("high", "Table IV", "Fig. 7")):
    register(Experiment(
        name=f"paper_b_static_{_fairness}",
        produces=f"paper B: {_table}, {_fig} ({_fairness} fairness, 40 users, all 9 methods)",
        scales={"quick": _static(8, _fairness), "full": _static(1000, _fairness)},
        run_samples=run_static_samples, prepare=prepare_channels, summarise=haf_table,
    ))

for _fairness, _fig in (("low", "Fig. 4"), ("high", "Fig. 6")):
    _users = {"n_users": (40, 45, 50, 55, 60), "methods": FIG_METHODS}
    register(Experiment(
        name=f"paper_b_users_{_fairness}",
        produces=f"paper B: {_fig} (HAF vs number of users, {_fairness} fairness)",
        scales={"quick": _static(8, _fairness, **_users), "full": _static(1000, _fairness, **_users)},
        run_samples=run_static_samples, prepare=prepare_channels, summarise=users_table,
    ))

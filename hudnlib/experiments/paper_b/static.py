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

from hudnlib.baselines.paper_b import METHODS, Solution
from hudnlib.experiments.paper_b.targets import COLUMNS, TABLES
from hudnlib.experiments.registry import Experiment, register
from hudnlib.scenarios.channel_sets import load_channel_set
from hudnlib.scenarios.paper_b import (
    ALPHA_GROUPS,
    HIGH_FAIRNESS,
    LOW_FAIRNESS,
    NETWORKS,
    HetNetConfig,
    draw_alphas,
    spectral_efficiency_of,
)

__all__ = [
    "StaticConfig",
    "check_drop_sizes",
    "group_metrics",
    "haf_table",
    "metric_table",
    "target_group_table",
    "users_table",
    "complexity_table",
    "prepare_channels",
    "solve_drop",
]

RATIOS = {"low": LOW_FAIRNESS, "high": HIGH_FAIRNESS}
DROP_USERS = 60
"""Users per stored drop; smaller ``n`` use the first ``n`` of them."""

FIG_METHODS = ("Ours", "Max-SINR", "PF", "AF-High", "Min-Latency")
"""Methods the paper draws in Figs 4 and 6 (Random, AF-Low, 2RS and GA are left out)."""


def check_drop_sizes(samples: int, n_users: int | tuple[int, ...]) -> None:
    """The checks every config on paper B's drops shares: ``samples >= 1`` and each user
    count within a drop's :data:`DROP_USERS` users.

    Raises
    ------
    ValueError
        Naming the argument and its value.
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    counts = n_users if isinstance(n_users, tuple) else (n_users,)
    if not all(1 <= n <= DROP_USERS for n in counts):
        raise ValueError(f"n_users must lie in [1, {DROP_USERS}], got {n_users}")


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
    noise_figure_db : float
        Receiver noise figure (0 dB: our reading of "-174 dBm/Hz").
    alpha_groups : tuple of (float, float)
        Alpha interval of each group.
    network : {"all", "clusters", "separate macro"}
        Who interferes with whom (:func:`hudnlib.scenarios.paper_b.bs_clusters`).
    homogeneous_split : {"assumed", "real"}
        PF, AF-Low, AF-High, Min-Latency split the bandwidth with their assumed alpha or
        with the users' real alphas.
    two_ring_swaps : bool
        2RS also tries two-user swaps (ours; the paper's ring is single moves).
    ga_seeded : bool
        GA's population holds the Max-SINR association (ours; the paper's is uniform).
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
    noise_figure_db: float = 0.0
    alpha_groups: tuple[tuple[float, float], ...] = ALPHA_GROUPS
    network: str = "all"
    homogeneous_split: str = "assumed"
    two_ring_swaps: bool = False
    ga_seeded: bool = False

    def __post_init__(self) -> None:
        if self.network not in NETWORKS:
            raise ValueError(f"network must be one of {list(NETWORKS)}, got {self.network!r}")
        if self.homogeneous_split not in ("assumed", "real"):
            raise ValueError(f"homogeneous_split must be 'assumed' or 'real', got {self.homogeneous_split!r}")
        if self.fairness not in RATIOS:
            raise ValueError(f"fairness must be one of {sorted(RATIOS)}, got {self.fairness!r}")
        check_drop_sizes(self.samples, self.n_users)
        unknown = set(self.methods) - set(METHODS)
        if unknown:
            raise ValueError(f"unknown methods {sorted(unknown)}; known: {list(METHODS)}")


def prepare_channels(config) -> dict:
    """Load (or generate once) the drops a sweep needs."""
    channels = load_channel_set(HetNetConfig(n_users=DROP_USERS), config.samples, config.channel_seed)
    return {"gain": channels.gain, "power_dbm": channels.power_dbm}


STARVED_SHARE = 1e-3
"""A user is starved when its rate is below this share of its drop's median rate."""


def group_metrics(rate: np.ndarray, utility: np.ndarray, group: np.ndarray, alpha: np.ndarray,
                  n_groups: int = 4) -> list[dict]:
    """HAF, sum-rate, PF (sum log r), average latency (mean 1/r; and over the users that are
    not starved), min-rate, starved users and the alpha-only term ``sum 1/(1 - alpha)`` per
    group.

    Group -1 is all users. An empty group has HAF, sum-rate and PF 0 and undefined (NaN)
    latency and min-rate. ``alpha_term`` is the part of the HAF that depends on the alphas
    alone (``r^(1-a)/(1-a) = 1/(1-a) + log r + ...`` near ``a = 1``): common to every method.
    """
    rows = []
    starved = rate < STARVED_SHARE * np.median(rate)
    with np.errstate(divide="ignore", over="ignore"):  # a starved user has latency inf
        term = np.where(alpha != 1.0, 1.0 / (1.0 - alpha), 0.0)
        for g in range(-1, n_groups):
            sel = np.ones_like(group, dtype=bool) if g < 0 else group == g
            r = rate[sel]
            rows.append({
                "group": g, "users": int(sel.sum()), "haf": float(utility[sel].sum()),
                "sum_rate": float(r.sum()), "pf": float(np.log(r).sum()),
                "latency": float(np.mean(1.0 / r)) if r.size else np.nan,
                "latency_served": float(np.mean(1.0 / r[~starved[sel]])) if (~starved[sel]).any() else np.nan,
                "min_rate": float(r.min()) if r.size else np.nan,
                "starved": int(starved[sel].sum()), "alpha_term": float(term[sel].sum()),
            })
    return rows


HOMOGENEOUS = ("PF", "AF-Low", "AF-High", "Min-Latency")


def method_kwargs(name: str, config: StaticConfig) -> dict:
    """Keyword arguments of method ``name`` under the config's reading."""
    kwargs = {"bandwidth": config.bandwidth}
    if name == "Ours" or name in HOMOGENEOUS:
        kwargs["n_iter"] = config.n_iter
    if name in HOMOGENEOUS:
        kwargs["split"] = config.homogeneous_split
    elif name == "GA":
        kwargs.update(generations=config.ga_generations, seeded=config.ga_seeded)
    elif name == "2RS":
        kwargs["swaps"] = config.two_ring_swaps
    return kwargs


def solve_drop(config: StaticConfig, se: np.ndarray, alpha: np.ndarray, k: int) -> list[tuple[str, Solution, float]]:
    """Every method of ``config`` on drop ``k``, as the static experiment runs them.

    Parameters
    ----------
    config : StaticConfig
        The methods, their settings and the seed.
    se, alpha : ndarray
        Spectral efficiencies ``(n, J)`` and alphas ``(n,)`` of the drop's first ``n`` users.
    k : int
        The drop's index: method ``m`` draws from ``SeedSequence(config.seed, spawn_key=(k, n, m))``.

    Returns
    -------
    list of (str, Solution, float)
        Each method's name, solution and run time in seconds, in ``config.methods`` order;
        2RS starts from Ours' association when Ours ran before it.
    """
    n = se.shape[0]
    runs, start_2rs = [], None
    for m, name in enumerate(config.methods):
        rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(int(k), n, m)))
        kwargs = method_kwargs(name, config)
        if name == "2RS" and start_2rs is not None:
            kwargs["start"] = start_2rs
        t0 = time.perf_counter()
        solution = METHODS[name](se, alpha, rng, **kwargs)
        runs.append((name, solution, time.perf_counter() - t0))
        if name == "Ours":
            start_2rs = solution.association
    return runs


def run_static_samples(config: StaticConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """All methods on the drops ``indices`` (see the module docstring)."""
    scenario = HetNetConfig(n_users=DROP_USERS)
    rows = []
    for local, k in enumerate(indices):
        seq = np.random.SeedSequence(config.seed, spawn_key=(int(k),))
        alpha_all, group_all = draw_alphas(np.random.default_rng(seq), DROP_USERS,
                                           RATIOS[config.fairness], config.alpha_groups)
        for n in config.n_users:
            se = spectral_efficiency_of(scenario, inputs["gain"][local][:n], inputs["power_dbm"][local],
                                        config.noise_figure_db, config.network)
            alpha, group = alpha_all[:n], group_all[:n]
            for name, solution, seconds in solve_drop(config, se, alpha, k):
                for row in group_metrics(solution.allocation.rate, solution.allocation.utility, group, alpha):
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
    """Figs 5/7: mean of each per-group metric, per method and group (groups 1-4), and the
    number of starved users summed over the drops."""
    part = frame[(frame["n_users"] == config.n_users[0]) & (frame["group"] >= 0)]
    table = part.groupby(["method", "group"]).agg(
        sum_rate=("sum_rate", "mean"), pf=("pf", "mean"), latency=("latency", "mean"),
        latency_served=("latency_served", "mean"), min_rate=("min_rate", "mean"), starved=("starved", "sum"))
    return table.reset_index().assign(group=lambda f: f["group"] + 1)


def target_group_table(metrics: pd.DataFrame, methods) -> pd.DataFrame:
    """Each metric on the group it targets, per method, and the best method for it.

    ``metrics`` is :func:`metric_table`; higher is better except for latency. The last row
    is Ours' min-rate over PF's (the paper: 1.6x in Fig. 5(d)).
    """
    rows = []
    for column, target, better in (("sum_rate", 1, max), ("pf", 2, max), ("latency", 3, min),
                                   ("min_rate", 4, max)):
        part = metrics[(metrics["group"] == target) & metrics["method"].isin(methods)]
        values = part.set_index("method")[column].reindex(list(methods))
        best = better(values.items(), key=lambda kv: kv[1])[0]
        rows.append({"metric": f"{column} (group {target})", **values.to_dict(), "best": best})
    mins = metrics[metrics["group"] == 4].set_index("method")["min_rate"]
    rows.append({"metric": "min-rate Ours / PF (group 4)", "Ours": mins["Ours"] / mins["PF"],
                 "best": "paper: 1.6x"})
    return pd.DataFrame(rows)


def users_table(frame: pd.DataFrame, config: StaticConfig) -> pd.DataFrame:
    """Figs 4/6: mean total HAF per method and number of users."""
    part = frame[frame["group"] == -1]
    return part.groupby(["method", "n_users"])["haf"].mean().unstack("n_users").loc[list(config.methods)]


COMPLEXITY = {
    "Ours": "O(IJ + RA) per iteration", "PF": "O(IJ + RA) per iteration",
    "AF-Low": "O(IJ + RA) per iteration", "AF-High": "O(IJ + RA) per iteration",
    "Min-Latency": "O(IJ + RA) per iteration", "2RS": "O(I J RA) per iteration",
    "GA": "O(G P RA)", "Max-SINR": "O(IJ) + RA", "Random": "O(I) + RA",
}
"""Section V-D of paper B (RA: the cost of Algorithm 1; G generations, P population)."""


def complexity_table(frame: pd.DataFrame, config: StaticConfig) -> pd.DataFrame:
    """Measured mean and 95th-percentile run time per method beside the paper's orders."""
    part = frame[(frame["group"] == -1) & (frame["n_users"] == config.n_users[0])]
    stats = part.groupby("method")["seconds"].agg(["mean", lambda x: x.quantile(0.95)])
    stats.columns = ["mean time [s]", "95th pct [s]"]
    stats = stats.loc[[m for m in config.methods if m in stats.index]]
    stats["x Ours"] = stats["mean time [s]"] / stats.loc["Ours", "mean time [s]"]
    stats["paper (Section V-D)"] = [COMPLEXITY[m] for m in stats.index]
    return stats.reset_index()


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


SENSITIVITY_VARIANTS = {
    "our choices": {},
    "rates in Mbit/s (B = 20)": {"bandwidth": 20.0},
    "noise figure 9 dB": {"noise_figure_db": 9.0},
    "group alphas at their midpoints": {"alpha_groups": tuple((0.5 * (lo + hi),) * 2 for lo, hi in ALPHA_GROUPS)},
}
"""The reconstruction choices whose effect on Tables III-IV the book measures."""


@dataclass(frozen=True)
class SensitivityConfig:
    """Tables III/IV under each variant of :data:`SENSITIVITY_VARIANTS` (same drops, seeds)."""

    samples: int
    seed: int = 1
    channel_seed: int = 2026
    methods: tuple[str, ...] = ("Ours", "Max-SINR", "PF", "Min-Latency")
    n_iter: int = 300


def run_sensitivity_samples(config: SensitivityConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Every variant, both fairness scenarios, on drops ``indices``."""
    frames = []
    for fairness in RATIOS:
        for variant, changes in SENSITIVITY_VARIANTS.items():
            static = StaticConfig(samples=config.samples, seed=config.seed, channel_seed=config.channel_seed,
                                  fairness=fairness, methods=config.methods, n_iter=config.n_iter, **changes)
            frame = run_static_samples(static, indices, inputs)
            frames.append(frame[frame["group"] == -1].assign(fairness=fairness, variant=variant))
    return pd.concat(frames, ignore_index=True)


def sensitivity_table(frame: pd.DataFrame, config: SensitivityConfig) -> pd.DataFrame:
    """Mean total HAF per variant, scenario and method, and Ours' gain over Max-SINR."""
    order = pd.Categorical(frame["variant"], categories=list(SENSITIVITY_VARIANTS), ordered=True)
    table = (frame.assign(variant=order)
             .groupby(["fairness", "variant", "method"], observed=True)["haf"].mean()
             .unstack("method")[list(config.methods)])
    table["Ours - Max-SINR"] = table["Ours"] - table["Max-SINR"]
    return table


register(Experiment(
    name="paper_b_sensitivity",
    produces="paper B: sensitivity of Tables III-IV to our reconstruction choices",
    scales={"quick": SensitivityConfig(samples=4), "full": SensitivityConfig(samples=200)},
    run_samples=run_sensitivity_samples, prepare=prepare_channels, summarise=sensitivity_table,
))

"""Paper B's lost alpha intervals and group ratios, as a reading dimension of its own.

The sentence "Each user's alpha is randomly chosen from the interval ..." lost every number
in the paper's text, and with it the group ratios' exact form. This experiment measures
Ours (and Random) on the stored drops over a family of interval sets and ratio pairs fixed in
advance, at both rate units, and reports how Tables III-IV's group columns move. It is a
table, not a new selected reading: the family is scored against what the paper shows
(group 2 positive, group 1's size, Random's group 2 against Ours'), never fitted.

Interval sets (:data:`INTERVAL_SETS`; an interval's 0 is read as 0.001, the library accepting
alphas of at least 1e-6): our guess; the group midpoints (the selected reading); halves at 1
[0,.5)/[.5,1)/[1,2)/[2,5]; unit steps [0,1)/[1,2)/[2,3)/[3,5]; a gap at 1
[0,.5)/[.5,1)/[1.5,2.5)/[2.5,5]; points .01/.99/2/5; narrow windows around the midpoints.
Ratio pairs (:data:`RATIO_PAIRS`, low / high fairness): 4:3:2:1 / 1:2:3:4 (ours),
1:1:1:1 / 1:1:1:1, 2:2:1:1 / 1:1:2:2, 8:4:2:1 / 1:2:4:8, 3:1:1:1 / 1:1:1:3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudnlib.baselines.paper_b import METHODS
from hudnlib.experiments.paper_b.readings import ALPHA_READINGS
from hudnlib.experiments.paper_b.static import DROP_USERS, check_drop_sizes, prepare_channels
from hudnlib.experiments.paper_b.targets import TABLES
from hudnlib.experiments.registry import Experiment, register
from hudnlib.fairness import group_haf
from hudnlib.scenarios.paper_b import ALPHA_GROUPS, HetNetConfig, draw_alphas, spectral_efficiency_of

__all__ = ["INTERVAL_SETS", "RATIO_PAIRS", "FamilyConfig", "run_family_samples", "family_table", "family_findings"]

INTERVAL_SETS = {
    "our guess": ALPHA_GROUPS,
    "midpoints": ALPHA_READINGS["midpoints"],
    "halves at 1": ((0.001, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 5.0)),
    "unit steps": ((0.001, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 5.0)),
    "gap at 1": ((0.001, 0.5), (0.5, 1.0), (1.5, 2.5), (2.5, 5.0)),
    "points": ((0.01, 0.01), (0.99, 0.99), (2.0, 2.0), (5.0, 5.0)),
    "narrow windows": ((0.24, 0.27), (0.95, 1.05), (1.95, 2.05), (3.7, 3.8)),
}
"""Alpha interval of each group, per documented set (fixed before any run)."""

RATIO_PAIRS = {
    "4:3:2:1 / 1:2:3:4": ((4, 3, 2, 1), (1, 2, 3, 4)),
    "1:1:1:1 / 1:1:1:1": ((1, 1, 1, 1), (1, 1, 1, 1)),
    "2:2:1:1 / 1:1:2:2": ((2, 2, 1, 1), (1, 1, 2, 2)),
    "8:4:2:1 / 1:2:4:8": ((8, 4, 2, 1), (1, 2, 4, 8)),
    "3:1:1:1 / 1:1:1:3": ((3, 1, 1, 1), (1, 1, 1, 3)),
}
"""Group ratios of the low- and high-fairness scenarios, per documented pair."""

GROUP_COLUMNS = ("HAF@g1", "HAF@g2", "HAF@g3", "HAF@g4")


@dataclass(frozen=True)
class FamilyConfig:
    """The family on paper B's stored drops.

    Attributes
    ----------
    samples : int
        Drops (the readings ranking's 200).
    seed : int
        Seed of the alphas (that of paper B's static experiments: our guess with ratios
        4:3:2:1 / 1:2:3:4 reproduces their alphas).
    channel_seed : int
    n_users : int
    bandwidths : tuple of float
        Rate units (1: bit/s/Hz, 20: Mbit/s).
    n_iter : int
        Pricing iterations of Ours.
    """

    samples: int
    seed: int = 1
    channel_seed: int = 2026
    n_users: int = 40
    bandwidths: tuple[float, ...] = (1.0, 20.0)
    n_iter: int = 300

    def __post_init__(self) -> None:
        check_drop_sizes(self.samples, self.n_users)


def run_family_samples(config: FamilyConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Ours and Random on drops ``indices`` for every (interval set, ratio pair, fairness,
    unit): one row per (drop, set, pair, fairness, unit, method) with the total and the four
    group HAFs."""
    scenario = HetNetConfig(n_users=DROP_USERS)
    n = config.n_users
    rows = []
    for local, k in enumerate(indices):
        se = spectral_efficiency_of(scenario, inputs["gain"][local][:n], inputs["power_dbm"][local])
        for set_name, groups in INTERVAL_SETS.items():
            for pair_name, pair in RATIO_PAIRS.items():
                for fairness, ratio in zip(("low", "high"), pair):
                    rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(int(k),)))
                    alpha, group = draw_alphas(rng, DROP_USERS, ratio, groups)
                    alpha, group = alpha[:n], group[:n]
                    for bandwidth in config.bandwidths:
                        for m, name in ((0, "Ours"), (1, "Random")):
                            method_rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(int(k), n, m)))
                            kwargs = {"n_iter": config.n_iter} if name == "Ours" else {}
                            solution = METHODS[name](se, alpha, method_rng, bandwidth=bandwidth, **kwargs)
                            by_group = group_haf(solution.allocation.rate, alpha, group, 4)
                            rows.append({"sample": int(k), "intervals": set_name, "ratios": pair_name,
                                         "fairness": fairness, "bandwidth": bandwidth, "method": name,
                                         "HAF": float(by_group.sum()),
                                         **{c: float(v) for c, v in zip(GROUP_COLUMNS, by_group)}})
    return pd.DataFrame(rows)


def family_table(frame: pd.DataFrame, config: FamilyConfig | None = None) -> pd.DataFrame:
    """Mean HAF columns per (interval set, ratio pair, unit, fairness) for Ours, with the
    ratio of Random's group-2 HAF to Ours' (the paper: 0.20 low, 0.17 high)."""
    means = frame.groupby(["intervals", "ratios", "bandwidth", "fairness", "method"], sort=False)[
        ["HAF", *GROUP_COLUMNS]].mean()
    ours = means.xs("Ours", level="method")
    random_g2 = means.xs("Random", level="method")["HAF@g2"]
    return ours.assign(**{"Random g2 / Ours g2": random_g2 / ours["HAF@g2"]}).reset_index()


def family_findings(table: pd.DataFrame) -> dict:
    """What the family shows against the paper's group columns (Ours, Tables III-IV).

    Returns
    -------
    dict
        ``g2_positive``: interval sets whose Ours group-2 HAF is positive in both tables
        for every ratio pair and unit; ``g2_below_one``: interval sets whose group-2
        interval lies below 1 (``[lo, hi)`` with ``hi <= 1``, a point below 1); ``g1_both``: (set, pair, unit) combinations whose
        group-1 HAF is within a factor 1.5 of the paper's in both tables;
        ``g1_ratio``: the range of ours / paper for group 1 (low, high tables);
        ``random_g2``: the range of Random's group 2 over Ours' where both are positive, as
        in the paper (0.20 and 0.17).
    """
    paper = {f: dict(zip(("HAF", *GROUP_COLUMNS), TABLES[f]["Ours"])) for f in ("low", "high")}
    g2 = table.groupby("intervals", sort=False)["HAF@g2"].min()
    g2_positive = [s for s, v in g2.items() if v > 0]
    g2_below_one = [s for s, groups in INTERVAL_SETS.items() if groups[1][0] < 1.0 and groups[1][1] <= 1.0]
    ratio = table.assign(g1=table["HAF@g1"] / table["fairness"].map({f: paper[f]["HAF@g1"] for f in paper}))
    wide = ratio.pivot_table(index=["intervals", "ratios", "bandwidth"], columns="fairness", values="g1")
    both = wide[(wide.clip(lower=1e-300).pipe(np.log).abs() <= np.log(1.5)).all(axis=1)]
    positive = table[(table["HAF@g2"] > 0) & (table["Random g2 / Ours g2"] > 0)]
    return {"g2_positive": g2_positive, "g2_below_one": g2_below_one,
            "g1_both": [tuple(i) for i in both.index],
            "g1_ratio": {f: (float(wide[f].min()), float(wide[f].max())) for f in ("low", "high")},
            "random_g2": (float(positive["Random g2 / Ours g2"].min()), float(positive["Random g2 / Ours g2"].max())),
            "paper_random_g2": {f: TABLES[f]["Random"][2] / TABLES[f]["Ours"][2] for f in ("low", "high")}}


register(Experiment(
    name="paper_b_alpha_family",
    produces="paper B: Tables III-IV's group columns over a family of alpha intervals and group ratios",
    scales={"quick": FamilyConfig(samples=2, n_iter=60), "full": FamilyConfig(samples=200)},
    run_samples=run_family_samples, prepare=prepare_channels,
    summarise=family_table,
))

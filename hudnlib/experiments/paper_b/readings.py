"""Paper B: which reading of the paper produced Tables III-IV?

The paper leaves open choices that move its tables (see the book's chapter "Which reading
produced the paper"). Each is a discrete reading justified by the paper or the standards it
cites; none is a continuous knob:

- network: every BS interferes | small-cell clusters do not interfere with each other
  (the macro shares their carrier) | and the macro does not interfere with them either
  (:func:`hudnlib.scenarios.paper_b.bs_clusters`);
- rate unit: bit/s/Hz (B = 1) | Mbit/s (B = 20 MHz);
- alpha groups: the intervals of our reconstruction | every user at its group's midpoint;
- homogeneous baselines: bandwidth split with their assumed alpha | with the real alphas;
- 2RS: single-user moves (the paper's ring) | with two-user swaps;
- GA: uniform population | seeded with the Max-SINR association.

One sweep runs every method variant under every (network, unit, alphas) on the same drops
and alphas as the static experiments; :func:`reading_ranking` then scores each of the
3 x 2 x 2 x 2 x 2 x 2 = 96 combinations against all 90 numbers of Tables III-IV with one
distance, :func:`asinh_distance`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudnlib.baselines.paper_b import METHODS
from hudnlib.experiments.paper_b.static import (
    DROP_USERS, HOMOGENEOUS, RATIOS, StaticConfig, group_metrics, method_kwargs, prepare_channels,
)
from hudnlib.experiments.paper_b.targets import COLUMNS, TABLES
from hudnlib.experiments.registry import Experiment, register
from hudnlib.scenarios.paper_b import ALPHA_GROUPS, NETWORKS, HetNetConfig, draw_alphas, spectral_efficiency_of

__all__ = ["ALPHA_READINGS", "ReadingsConfig", "asinh_distance", "reading_ranking", "reading_config"]

ALPHA_READINGS = {
    "intervals": ALPHA_GROUPS,
    "midpoints": tuple((0.5 * (lo + hi),) * 2 for lo, hi in ALPHA_GROUPS),
}
"""Alpha groups: our intervals, or each user at its group's midpoint (0.255, 1, 2, 3.75),
the table columns' "alpha ~ 0, 1, 2, large" read as representative values."""

VARIANTS = {name: ("assumed", "real") for name in HOMOGENEOUS} | {"2RS": ("single", "swaps"),
                                                                    "GA": ("uniform", "seeded")}
"""Method variants: the first is the default reading."""


@dataclass(frozen=True)
class ReadingsConfig:
    """The readings sweep: every factor's values, on the static experiments' drops.

    Attributes
    ----------
    samples, seed, channel_seed, n_users, n_iter, ga_generations : as in ``StaticConfig``.
    networks, bandwidths, alpha_readings : tuple
        Values of the sweep's factors.
    """

    samples: int
    seed: int = 1
    channel_seed: int = 2026
    n_users: int = 40
    n_iter: int = 300
    ga_generations: int = 300
    networks: tuple[str, ...] = NETWORKS
    bandwidths: tuple[float, ...] = (1.0, 20.0)
    alpha_readings: tuple[str, ...] = tuple(ALPHA_READINGS)

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        if set(self.networks) - set(NETWORKS) or set(self.alpha_readings) - set(ALPHA_READINGS):
            raise ValueError(f"networks must be among {NETWORKS} and alpha_readings among {list(ALPHA_READINGS)}")


def _static(config: ReadingsConfig, fairness: str, network: str, bandwidth: float, alphas: str,
            variant: str = "") -> StaticConfig:
    return StaticConfig(samples=config.samples, seed=config.seed, channel_seed=config.channel_seed,
                        fairness=fairness, n_users=(config.n_users,), n_iter=config.n_iter,
                        ga_generations=config.ga_generations, bandwidth=bandwidth, network=network,
                        alpha_groups=ALPHA_READINGS[alphas],
                        homogeneous_split=variant if variant in VARIANTS["PF"] else "assumed",
                        two_ring_swaps=variant == "swaps", ga_seeded=variant == "seeded")


def run_readings_samples(config: ReadingsConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Every method variant under every reading, on drops ``indices``: one row per (sample,
    fairness, network, bandwidth, alphas, method, variant) with the total and group HAFs."""
    scenario = HetNetConfig(n_users=DROP_USERS)
    n = config.n_users
    index = {name: m for m, name in enumerate(METHODS)}
    rows = []
    for local, k in enumerate(indices):
        for fairness, network, alphas in itertools.product(RATIOS, config.networks, config.alpha_readings):
            seq = np.random.SeedSequence(config.seed, spawn_key=(int(k),))
            alpha, group = draw_alphas(np.random.default_rng(seq), DROP_USERS, RATIOS[fairness],
                                       ALPHA_READINGS[alphas])
            alpha, group = alpha[:n], group[:n]
            se = spectral_efficiency_of(scenario, inputs["gain"][local][:n], inputs["power_dbm"][local],
                                        network=network)
            for bandwidth in config.bandwidths:
                start = None
                for name in METHODS:
                    for variant in VARIANTS.get(name, ("",)):
                        static = _static(config, fairness, network, bandwidth, alphas, variant)
                        kwargs = method_kwargs(name, static)
                        if name == "2RS":
                            kwargs["start"] = start
                        rng = np.random.default_rng(np.random.SeedSequence(config.seed,
                                                                           spawn_key=(int(k), n, index[name])))
                        solution = METHODS[name](se, alpha, rng, **kwargs)
                        if name == "Ours":
                            start = solution.association
                        metrics = group_metrics(solution.allocation.rate, solution.allocation.utility,
                                                group, alpha)
                        rows.append({"sample": int(k), "fairness": fairness, "network": network,
                                     "bandwidth": bandwidth, "alphas": alphas, "method": name,
                                     "variant": variant, "starved": metrics[0]["starved"],
                                     **{col: m["haf"] for col, m in zip(COLUMNS, metrics)}})
    return pd.DataFrame(rows)


def asinh_distance(ours: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """``|asinh(ours) - asinh(paper)|``: about ``|ours - paper|`` near zero and
    ``|ln(ours / paper)|`` for large values of the same sign; a sign disagreement costs at
    least ``asinh|ours| + asinh|paper|``. One scale for numbers from 5 to 1e15.

    Examples
    --------
    >>> import numpy as np
    >>> asinh_distance(np.array([70.5, -70.5, 1.49e15]), np.array([70.5, 70.5, 1.49e16])).round(2)
    array([0. , 9.9, 2.3])
    """
    return np.abs(np.arcsinh(np.asarray(ours, float)) - np.arcsinh(np.asarray(paper, float)))


FACTORS = ("network", "bandwidth", "alphas", "homogeneous", "2RS", "GA")


def reading_ranking(frame: pd.DataFrame) -> pd.DataFrame:
    """Every combination of readings scored against the 90 numbers of Tables III-IV.

    Columns: the six factors, ``distance`` (mean :func:`asinh_distance` over the 90 numbers),
    ``sign disagreements`` (of 90), ``within 10%`` (numbers within 10% of the paper's),
    sorted by distance (best first).
    """
    means = frame.groupby(["fairness", "network", "bandwidth", "alphas", "method", "variant"])[list(COLUMNS)].mean()
    paper = np.array([TABLES[f][m] for f in RATIOS for m in METHODS], dtype=float)  # (18, 5)
    rows = []
    for network, bandwidth, alphas in itertools.product(*(frame[c].unique() for c in ("network", "bandwidth", "alphas"))):
        for homog, ring, ga in itertools.product(VARIANTS["PF"], VARIANTS["2RS"], VARIANTS["GA"]):
            pick = {**{m: homog for m in HOMOGENEOUS}, "2RS": ring, "GA": ga}
            ours = np.array([means.loc[(f, network, bandwidth, alphas, m, pick.get(m, ""))].to_numpy()
                             for f in RATIOS for m in METHODS])
            rows.append({"network": network, "bandwidth": bandwidth, "alphas": alphas,
                         "homogeneous": homog, "2RS": ring, "GA": ga,
                         "distance": float(asinh_distance(ours, paper).mean()),
                         "sign disagreements": int((np.sign(ours) != np.sign(paper)).sum()),
                         "within 10%": int((np.abs(ours - paper) <= 0.1 * np.abs(paper)).sum())})
    return pd.DataFrame(rows).sort_values(["distance", "sign disagreements"]).reset_index(drop=True)


def reading_config(row: pd.Series | dict, samples: int, fairness: str, **kwargs) -> StaticConfig:
    """The static-experiment config of one ranked reading."""
    return StaticConfig(samples=samples, fairness=fairness, network=row["network"],
                        bandwidth=float(row["bandwidth"]), alpha_groups=ALPHA_READINGS[row["alphas"]],
                        homogeneous_split=row["homogeneous"], two_ring_swaps=row["2RS"] == "swaps",
                        ga_seeded=row["GA"] == "seeded", **kwargs)


def ranking_table(frame: pd.DataFrame, config: ReadingsConfig) -> pd.DataFrame:
    """The experiment's summary: :func:`reading_ranking`."""
    return reading_ranking(frame)


register(Experiment(
    name="paper_b_readings",
    produces="paper B: every reading of Tables III-IV scored against the paper (200 drops each)",
    scales={"quick": ReadingsConfig(samples=2, ga_generations=20, n_iter=60),
            "full": ReadingsConfig(samples=200)},
    run_samples=run_readings_samples, prepare=prepare_channels,
    summarise=ranking_table,
))

"""Paper B with time-varying channels: Figs 8-9.

Reconstruction (the paper gives only the adjacent-slot correlations 0.97 and 0.9): on each
link a complex small-scale coefficient follows a Gauss-Markov process
``h_t = rho h_{t-1} + sqrt(1 - rho^2) w_t`` with ``h_0, w_t ~ CN(0, 1)``; the algorithms see
the gain ``|h_t|^2 g`` of the stored Sionna drop. In every slot:

- the pricing methods (Ours, PF, AF-High, Min-Latency) run ``iters_per_slot`` iterations
  starting from the prices they ended the previous slot with (slot 0: the constant initial
  price), and serve the slot with their best iterate;
- Max-SINR re-associates from scratch;
- 2RS makes a single best move from its previous association (slot 0 starts from the HAF
  pricing solution), the paper's "single iteration in each time slot".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudnlib.baselines.paper_b import METHODS, two_ring_search
from hudnlib.experiments.paper_b.static import DROP_USERS, HOMOGENEOUS, RATIOS, group_metrics, prepare_channels
from hudnlib.experiments.registry import Experiment, register
from hudnlib.scenarios.paper_b import ALPHA_GROUPS, HetNetConfig, draw_alphas, spectral_efficiency_of

__all__ = ["TimeVaryingConfig", "gauss_markov_fading", "slot_table", "slot_summary", "metric_table_tv"]

PRICING = ("Ours", "PF", "AF-High", "Min-Latency")


@dataclass(frozen=True)
class TimeVaryingConfig:
    """Config of the time-varying sweep (Figs 8-9); fields as in ``StaticConfig`` plus:

    Attributes
    ----------
    slots : int
        Time slots per sample (guess).
    rhos : tuple of float
        Adjacent-slot correlations (0.97 and 0.9, text).
    iters_per_slot : int
        Pricing iterations per slot (guess).
    methods : tuple of str
        Ours, Max-SINR, the pricing baselines the paper draws, and 2RS.
    network, homogeneous_split, alpha_groups :
        The reading, as in ``StaticConfig``.
    """

    samples: int
    seed: int = 3
    channel_seed: int = 2026
    fairness: str = "low"
    n_users: int = 40
    slots: int = 50
    rhos: tuple[float, ...] = (0.97, 0.9)
    iters_per_slot: int = 10
    methods: tuple[str, ...] = ("Ours", "Max-SINR", "PF", "AF-High", "Min-Latency", "2RS")
    bandwidth: float = 1.0
    network: str = "all"
    homogeneous_split: str = "assumed"
    alpha_groups: tuple[tuple[float, float], ...] = ALPHA_GROUPS

    def __post_init__(self) -> None:
        if self.samples < 1 or self.slots < 1 or self.iters_per_slot < 1:
            raise ValueError("samples, slots and iters_per_slot must be >= 1")
        if not all(0.0 <= r <= 1.0 for r in self.rhos):
            raise ValueError(f"rhos must lie in [0, 1], got {self.rhos}")
        unknown = set(self.methods) - set(METHODS)
        if unknown:
            raise ValueError(f"unknown methods {sorted(unknown)}")


def gauss_markov_fading(rng: np.random.Generator, shape: tuple[int, ...], slots: int, rho: float) -> np.ndarray:
    """``|h_t|^2`` for ``t < slots`` of a unit-power Gauss-Markov (AR(1)) Rayleigh process.

    Returns an array of shape ``(slots, *shape)``; each slot is exponentially distributed
    with mean 1, and adjacent slots of the complex coefficient have correlation ``rho``.
    """
    def cn(size):
        return (rng.normal(size=size) + 1j * rng.normal(size=size)) / np.sqrt(2.0)

    h = cn(shape)
    power = np.empty((slots, *shape))
    innovation = np.sqrt(1.0 - rho**2)
    for t in range(slots):
        if t:
            h = rho * h + innovation * cn(shape)
        power[t] = np.abs(h) ** 2
    return power


def run_tv_samples(config: TimeVaryingConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Every method over ``config.slots`` slots, for each correlation, on drops ``indices``."""
    scenario = HetNetConfig(n_users=DROP_USERS)
    n = config.n_users
    rows = []
    for local, k in enumerate(indices):
        seq = np.random.SeedSequence(config.seed, spawn_key=(int(k),))
        alpha_seq, *fading_seqs = seq.spawn(1 + len(config.rhos))
        alpha_all, group_all = draw_alphas(np.random.default_rng(alpha_seq), DROP_USERS, RATIOS[config.fairness],
                                           config.alpha_groups)
        alpha, group = alpha_all[:n], group_all[:n]
        gain = inputs["gain"][local][:n]
        for rho, fseq in zip(config.rhos, fading_seqs):
            fading = gauss_markov_fading(np.random.default_rng(fseq), gain.shape, config.slots, rho)
            prices: dict[str, np.ndarray | None] = {m: None for m in PRICING}
            previous = None
            for t in range(config.slots):
                se = spectral_efficiency_of(scenario, gain * fading[t], inputs["power_dbm"][local],
                                            network=config.network)
                solutions = {}
                for name in config.methods:
                    if name in PRICING:
                        split = {"split": config.homogeneous_split} if name in HOMOGENEOUS else {}
                        sol = METHODS[name](se, alpha, None, config.bandwidth, n_iter=config.iters_per_slot,
                                            initial_price=prices[name], **split)
                        prices[name] = sol.diagnostics["prices"]
                    elif name == "2RS":
                        start = previous if previous is not None else solutions.get("Ours")
                        start = start.association if start is not None else np.argmax(se, axis=1)
                        sol = two_ring_search(se, alpha, None, config.bandwidth, start=start, max_moves=1)
                        previous = sol
                    else:
                        sol = METHODS[name](se, alpha, None, config.bandwidth)
                    solutions[name] = sol
                    for row in group_metrics(sol.allocation.rate, sol.allocation.utility, group, alpha):
                        rows.append({"sample": int(k), "rho": rho, "slot": t, "method": name, **row})
    return pd.DataFrame(rows)


def slot_table(frame: pd.DataFrame, config: TimeVaryingConfig) -> pd.DataFrame:
    """Fig. 8: mean total HAF per correlation, method and slot."""
    part = frame[frame["group"] == -1]
    return part.groupby(["rho", "method", "slot"])["haf"].mean().unstack("slot")


def metric_table_tv(frame: pd.DataFrame, config: TimeVaryingConfig) -> pd.DataFrame:
    """Fig. 9: per-group metrics averaged over samples and slots, per correlation and method."""
    part = frame[frame["group"] >= 0]
    table = part.groupby(["rho", "method", "group"]).agg(
        sum_rate=("sum_rate", "mean"), pf=("pf", "mean"), latency=("latency", "mean"),
        latency_served=("latency_served", "mean"), min_rate=("min_rate", "mean"), starved=("starved", "sum"))
    return table.reset_index().assign(group=lambda f: f["group"] + 1)


register(Experiment(
    name="paper_b_time_varying",
    produces="paper B: Figs 8-9 (time-varying channels, rho 0.97 and 0.9, low fairness)",
    scales={"quick": TimeVaryingConfig(samples=4, slots=20), "full": TimeVaryingConfig(samples=200)},
    run_samples=run_tv_samples, prepare=prepare_channels, summarise=slot_table,
))


def slot_summary(frame: pd.DataFrame, config: TimeVaryingConfig) -> pd.DataFrame:
    """Fig. 8 in numbers: HAF averaged over slots and samples, and the gap to Ours."""
    part = frame[frame["group"] == -1]
    mean = part.groupby(["rho", "method"])["haf"].mean().unstack("method")
    rows = []
    for rho in config.rhos:
        for method in config.methods:
            rows.append({"rho": rho, "method": method, "mean HAF": mean.loc[rho, method],
                         "Ours - method": mean.loc[rho, "Ours"] - mean.loc[rho, method]})
    return pd.DataFrame(rows)

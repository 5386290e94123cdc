"""Paper A's methods on paper B's network, beside Ours and paper B's eight baselines.

Paper B's HetNet under its selected reading (stored Sionna drops, 40 users, every BS
interferes, group-midpoint alphas, B = 20 in Mbit/s over 20 MHz), the drops and alphas of
the experiments ``paper_b_selected_static_low`` / ``_high``: paper B's methods run exactly
as there (the same seeds), so their HAF equals the stored tables'. Paper A's baselines
(reading ``corrected``, no detection mask: every user may join every BS): MARAMP, MSUAMP
and UAMWSER keep every BS at its power; MSUAPC and JUAPCMWSER change the powers (11 levels
per BS), which paper B's methods cannot, and are marked so. Every decision is scored by
both papers' objectives (:func:`~hudnlib.experiments.beyond.metrics.decision_scores`): the
HAF of both fairness scenarios with Algorithm-1 bandwidth on its association at its powers,
and paper A's total effective rate with equal time shares.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudnlib.baselines.paper_a import METHODS as PAPER_A_METHODS
from hudnlib.experiments.beyond.metrics import decision_scores
from hudnlib.experiments.paper_b.readings import reading_config
from hudnlib.experiments.paper_b.selected import SELECTED
from hudnlib.experiments.paper_b.static import (
    DROP_USERS, RATIOS, StaticConfig, check_drop_sizes, prepare_channels, solve_drop,
)
from hudnlib.experiments.registry import Experiment, register
from hudnlib.radio import dbm_to_w, noise_power_w, sinr_kernel
from hudnlib.scenarios.paper_b import HetNetConfig, draw_alphas, spectral_efficiency_of

__all__ = ["PaperAOnBConfig", "POWER_CONTROL", "run_a_on_b_samples", "paper_b_static_config"]

POWER_CONTROL = ("MSUAPC", "JUAPCMWSER")
"""Paper A's methods that change the BSs' powers."""

PAPER_A_ROWS = ("MARAMP", "MSUAMP", "UAMWSER", *POWER_CONTROL)


@dataclass(frozen=True)
class PaperAOnBConfig:
    """Paper B's selected-reading drops with paper A's methods added.

    Attributes
    ----------
    samples : int
        Drops (paper B: 1,000).
    seed : int
        Seed of the alphas and of the randomised methods (that of paper B's static
        experiments, so that their rows are reproduced exactly).
    n_users : int
        Users per drop (paper B's tables: 40).
    ga_generations : int
        GA generations of paper B's GA (300).
    """

    samples: int
    seed: int = 1
    n_users: int = 40
    ga_generations: int = 300

    def __post_init__(self) -> None:
        check_drop_sizes(self.samples, self.n_users)


def paper_b_static_config(config: PaperAOnBConfig, fairness: str) -> StaticConfig:
    """Paper B's selected static config of one fairness scenario on the same drops."""
    return reading_config(SELECTED, config.samples, fairness, seed=config.seed, n_users=(config.n_users,),
                          ga_generations=config.ga_generations)


def _prepare(config: PaperAOnBConfig) -> dict:
    return prepare_channels(paper_b_static_config(config, "low"))


def run_a_on_b_samples(config: PaperAOnBConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Paper A's five baselines and paper B's nine methods (run with the low- and with the
    high-fairness alphas: rows ``Ours [low]``, ...) on drops ``indices``: one row per (drop,
    method) with both papers' scores and the method's time."""
    scenario = HetNetConfig(n_users=DROP_USERS)
    noise = noise_power_w(scenario.bandwidth_hz)
    static = {f: paper_b_static_config(config, f) for f in RATIOS}
    n = config.n_users
    users = np.arange(n)
    rows = []
    for local, k in enumerate(indices):
        gain = inputs["gain"][local][:n]
        p_max = dbm_to_w(inputs["power_dbm"][local])
        se_full = spectral_efficiency_of(scenario, gain, inputs["power_dbm"][local], static["low"].noise_figure_db,
                                         static["low"].network)
        alphas = {}
        for fairness, s in static.items():
            seq = np.random.SeedSequence(s.seed, spawn_key=(int(k),))
            alphas[fairness] = draw_alphas(np.random.default_rng(seq), DROP_USERS, RATIOS[fairness],
                                           s.alpha_groups)[0][:n]
        bandwidth = static["low"].bandwidth

        def add(method, bs, se, seconds, power_control=False):
            rows.append({"sample": int(k), "method": method,
                         **decision_scores(bs, se, alphas, gain.shape[1], bandwidth),
                         "changes powers": power_control, "seconds": seconds})

        for name in PAPER_A_ROWS:
            t0 = time.perf_counter()
            solution = PAPER_A_METHODS[name](gain, p_max, noise, None)
            seconds = time.perf_counter() - t0
            se = np.log2(1.0 + sinr_kernel(gain, solution.power_w, noise))[users, solution.association]
            add(name, solution.association, se, seconds, name in POWER_CONTROL)
        for fairness, s in static.items():
            for name, solution, seconds in solve_drop(s, se_full, alphas[fairness], k):
                add(f"{name} [{fairness}]", solution.association, se_full[users, solution.association], seconds)
    return pd.DataFrame(rows)


register(Experiment(
    name="beyond_a_on_b",
    produces="beyond the papers: paper A's methods on paper B's network (1,000 drops, selected reading)",
    scales={"quick": PaperAOnBConfig(samples=8, ga_generations=30), "full": PaperAOnBConfig(samples=1000)},
    run_samples=run_a_on_b_samples, prepare=_prepare,
))

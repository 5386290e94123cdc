"""Paper B's methods on paper A's network, beside paper A's baselines (and, in the book,
HGSAGE's stored GRL and SRL decisions) on the same 200 events.

Paper A's circumstance and events under the ``corrected`` reading (Table I's powers and
noise, every transmitting BS interferes, a UE joins only a BS that detects it). Paper B's
methods see every BS at full power and the detection mask as each UE's candidate set (a
pair outside it gets the spectral efficiency :data:`MASKED_SE`, so no method picks it; the
frame counts any that do). Each UE draws an alpha twice, as in paper B's low- and
high-fairness scenarios under its selected reading (group midpoints 0.255, 1, 2, 3.75 in
the ratios 4:3:2:1 and 1:2:3:4); the HAF is scored with Algorithm-1 bandwidth over B = 20
(Mbit/s over 20 MHz, paper B's unit), paper A's metrics with equal time shares in bit/s/Hz.

Methods: paper A's five baselines (their own powers); PF pricing (Algorithm 2 with every
alpha 1: the load-aware association that MSUAMP starts from, without its local search);
HAF pricing, 2RS and GA (seeded, as paper B's selected reading) run with the low- or the
high-fairness alphas. Max-SINR is MARAMP's association and is not repeated.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudnlib.baselines.paper_a import METHODS as PAPER_A_METHODS
from hudnlib.baselines.paper_b import genetic_association, two_ring_search
from hudnlib.experiments.beyond.metrics import decision_scores
from hudnlib.experiments.paper_a_baselines import READINGS, BaselineConfig, prepare_events, radio_map_of
from hudnlib.experiments.paper_b.readings import ALPHA_READINGS
from hudnlib.experiments.registry import Experiment, register
from hudnlib.pricing import price_association
from hudnlib.radio import dbm_to_w, sinr_kernel
from hudnlib.scenarios.paper_a import RadioMap
from hudnlib.scenarios.paper_b import HIGH_FAIRNESS, LOW_FAIRNESS, draw_alphas

__all__ = ["CrossConfig", "MASKED_SE", "corrected_radio_map", "PAPER_A_ROWS", "PAPER_B_ROWS", "event_alphas", "run_cross_samples",
           "stored_decision_scores"]

MASKED_SE = 1e-12
"""Spectral efficiency (bit/s/Hz) paper B's methods see on a pair outside the detection mask."""

BANDWIDTH = 20.0
"""HAF bandwidth in paper B's rate unit (Mbit/s over 20 MHz)."""

PAPER_A_ROWS = ("MARAMP", "MSUAMP", "MSUAPC", "UAMWSER", "JUAPCMWSER")
PAPER_B_ROWS = ("PF pricing", "HAF pricing [low]", "2RS [low]", "GA [low]",
                "HAF pricing [high]", "2RS [high]", "GA [high]")
"""Row names; ``[low]``/``[high]``: run with that scenario's alphas."""


@dataclass(frozen=True)
class CrossConfig:
    """Paper A's events (reading ``corrected``) with paper B's fairness scenarios.

    Attributes
    ----------
    samples : int
        Events (paper A: 200; the same events as paper A's baseline experiment).
    seed, circumstance_seed : int
        As paper A's baseline experiment.
    alpha_seed : int
        Seed of the users' alphas.
    n_iter : int
        Pricing iterations.
    ga_generations : int
        GA generations (paper B: 300).
    """

    samples: int
    seed: int = 7
    circumstance_seed: int = 2022
    alpha_seed: int = 5
    n_iter: int = 300
    ga_generations: int = 300

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")

    @property
    def baselines(self) -> BaselineConfig:
        """Paper A's baseline config of the same events."""
        return BaselineConfig(samples=self.samples, seed=self.seed, circumstance_seed=self.circumstance_seed)


@functools.lru_cache(maxsize=2)
def corrected_radio_map(circumstance_seed: int) -> RadioMap:
    """Paper A's circumstance under the ``corrected`` reading, built once per process (each
    chunk of a sweep would otherwise rebuild it: 0.2-0.7 s)."""
    return radio_map_of(BaselineConfig(samples=1, circumstance_seed=circumstance_seed))


def event_alphas(config: CrossConfig, k: int, n_users: int) -> dict[str, np.ndarray]:
    """Event ``k``'s alphas of the low- and high-fairness scenarios (paper B's selected
    reading), from ``SeedSequence(alpha_seed, (k,))``."""
    rng = np.random.default_rng(np.random.SeedSequence(config.alpha_seed, spawn_key=(int(k),)))
    groups = ALPHA_READINGS["midpoints"]
    return {"low": draw_alphas(rng, n_users, LOW_FAIRNESS, groups)[0],
            "high": draw_alphas(rng, n_users, HIGH_FAIRNESS, groups)[0]}


def _prepare(config: CrossConfig) -> dict:
    return prepare_events(config.baselines)


def _row(k, method, bs, se, alphas, n_bs, seconds, allowed):
    violations = int((~allowed[np.arange(bs.size), bs]).sum())
    return {"sample": int(k), "method": method, **decision_scores(bs, se, alphas, n_bs, BANDWIDTH),
            "mask violations": violations, "seconds": seconds}


def run_cross_samples(config: CrossConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Every method on events ``indices``: one row per (event, method) with
    :func:`~hudnlib.experiments.beyond.metrics.decision_scores`, the users placed outside the
    detection mask and the method's time."""
    reading = READINGS["corrected"]
    radio_map = corrected_radio_map(config.circumstance_seed)
    noise, p_max = reading.noise(radio_map.config), dbm_to_w(radio_map.power_dbm)
    rows = []
    for local, k in enumerate(indices):
        gain, allowed = inputs["gain"][local], inputs["detectable"][local]
        n_users, n_bs = gain.shape
        alphas = event_alphas(config, k, n_users)
        users = np.arange(n_users)
        for name in PAPER_A_ROWS:
            t0 = time.perf_counter()
            solution = PAPER_A_METHODS[name](gain, p_max, noise, allowed)
            seconds = time.perf_counter() - t0
            se = np.log2(1.0 + sinr_kernel(gain, solution.power_w, noise))[users, solution.association]
            rows.append(_row(k, name, solution.association, se, alphas, n_bs, seconds, allowed))
        se_full = np.log2(1.0 + sinr_kernel(gain, p_max, noise))
        seen = np.where(allowed, se_full, MASKED_SE)
        t0 = time.perf_counter()
        pf = price_association(seen, np.ones(n_users), BANDWIDTH, n_iter=config.n_iter).association
        rows.append(_row(k, "PF pricing", pf, se_full[users, pf], alphas, n_bs, time.perf_counter() - t0, allowed))
        for m, (scenario, alpha) in enumerate(alphas.items()):
            rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(int(k), m)))
            t0 = time.perf_counter()
            ours = price_association(seen, alpha, BANDWIDTH, n_iter=config.n_iter).association
            t_ours = time.perf_counter() - t0
            rows.append(_row(k, f"HAF pricing [{scenario}]", ours, se_full[users, ours], alphas, n_bs, t_ours, allowed))
            t0 = time.perf_counter()
            ring = two_ring_search(seen, alpha, rng, BANDWIDTH, start=ours).association
            rows.append(_row(k, f"2RS [{scenario}]", ring, se_full[users, ring], alphas, n_bs,
                             t_ours + time.perf_counter() - t0, allowed))
            t0 = time.perf_counter()
            ga = genetic_association(seen, alpha, rng, BANDWIDTH, generations=config.ga_generations,
                                     seeded=True).association
            rows.append(_row(k, f"GA [{scenario}]", ga, se_full[users, ga], alphas, n_bs,
                             time.perf_counter() - t0, allowed))
    return pd.DataFrame(rows)


def stored_decision_scores(frame: pd.DataFrame, config: CrossConfig, n_bs: int) -> pd.DataFrame:
    """The same scores for decisions stored elsewhere as one row per (sample, method, ue)
    with ``bs`` and the equal-share ``rate`` (HGSAGE's GRL and SRL of paper A's chapter,
    reading ``corrected``): a UE's spectral efficiency is its rate times its BS's load."""
    rows = []
    for (k, method), part in frame.groupby(["sample", "method"], sort=False):
        part = part.sort_values("ue")
        bs = part["bs"].to_numpy()
        se = part["rate"].to_numpy() * np.bincount(bs, minlength=n_bs)[bs]
        alphas = event_alphas(config, k, bs.size)
        rows.append({"sample": int(k), "method": method, **decision_scores(bs, se, alphas, n_bs, BANDWIDTH),
                     "mask violations": np.nan, "seconds": float(part["seconds"].iloc[0])})
    return pd.DataFrame(rows)


register(Experiment(
    name="beyond_b_on_a",
    produces="beyond the papers: paper B's methods on paper A's network (200 events, reading 'corrected')",
    scales={"quick": CrossConfig(samples=3, ga_generations=30), "full": CrossConfig(samples=200)},
    run_samples=run_cross_samples, prepare=_prepare,
))

"""Exact optima on small events as the referee of every method: optimality gaps.

Small events cut from each network (8 users x 6 BSs):

- **paper A**: an anchor small BS drawn from the ``corrected`` reading's circumstance
  (one that detects at least 8 UE spots), 8 UE spots it detects, and the 5 other BSs that
  detect most of them (ties: larger total gain); only these 6 BSs transmit, at Table I's
  powers, with the detection mask. Objectives: paper A's total effective rate R and the sum
  of log rates (the MSUA utility), each with every BS at full power and with every BS on
  or off (:func:`hudnlib.exact.sum_rate_optimum`).
- **paper B**: the first 8 users of a stored drop of paper B's selected reading (6 BSs), the
  alphas of its low- and high-fairness scenarios; objective the HAF with Algorithm-1
  bandwidth (:func:`hudnlib.exact.haf_optimum`).

Every method's decision is scored by the objective with its own powers; the homogeneous
pricing baselines and paper A's associations get Algorithm-1 bandwidth with the real alphas,
so a gap measures the association alone. Pricing methods also report their dual bound,
which weak duality puts above the optimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudnlib.allocation import allocate_bandwidth
from hudnlib.baselines.paper_a import METHODS as PAPER_A_METHODS
from hudnlib.baselines.paper_b import genetic_association, two_ring_search
from hudnlib.exact import SUM_LOG_RATE, SUM_RATE, haf_optimum, sum_rate_optimum
from hudnlib.experiments.beyond.paper_b_on_a import MASKED_SE, corrected_radio_map
from hudnlib.experiments.paper_a_baselines import READINGS, BaselineConfig
from hudnlib.experiments.paper_b.readings import reading_config
from hudnlib.experiments.paper_b.selected import SELECTED
from hudnlib.experiments.paper_b.static import DROP_USERS, RATIOS, prepare_channels, solve_drop
from hudnlib.experiments.registry import Experiment, register
from hudnlib.pricing import price_association
from hudnlib.radio import dbm_to_w, noise_power_w, sinr_kernel
from hudnlib.scenarios.paper_a import RadioMap
from hudnlib.scenarios.paper_b import HetNetConfig, draw_alphas

__all__ = ["RefereeConfig", "draw_anchor", "cell_bss", "cut_paper_a_event", "run_referee_samples", "gap_table", "bound_table",
           "AT_OPTIMUM"]

AT_OPTIMUM = 1e-9
"""A method is at the optimum when its relative gap is below this."""

PAPER_A_ASSOCIATION_ROWS = ("MARAMP", "MSUAMP", "UAMWSER")


@dataclass(frozen=True)
class RefereeConfig:
    """Small events of both networks.

    Attributes
    ----------
    samples : int
        Small events of each network.
    n_users, n_bs : int
        Size of a small event (paper B's network has 6 BSs).
    seed : int
        Seed of the paper-A cuts and of the randomised methods.
    ga_generations : int
    """

    samples: int
    n_users: int = 8
    n_bs: int = 6
    seed: int = 17
    ga_generations: int = 300

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        if not 2 <= self.n_users <= 12:
            raise ValueError(f"n_users must lie in [2, 12], got {self.n_users}")
        if self.n_bs != HetNetConfig().n_bs:
            raise ValueError(f"n_bs must be paper B's {HetNetConfig().n_bs} BSs, got {self.n_bs}")


def draw_anchor(radio_map: RadioMap, rng: np.random.Generator, n_users: int) -> tuple[int, np.ndarray]:
    """A small BS, drawn with ``rng`` among those that detect at least ``n_users`` eligible UE
    spots, and the (K, J) detectability of the eligible spots."""
    detect = radio_map.detectable & radio_map.eligible[:, None]
    n_macro = radio_map.bs_xyz.shape[0] - radio_map.config.n_small
    anchors = n_macro + np.flatnonzero(detect[:, n_macro:].sum(axis=0) >= n_users)
    return int(rng.choice(anchors)), detect


def cell_bss(anchor: int, score: np.ndarray, n_bs: int) -> np.ndarray:
    """The anchor and the ``n_bs - 1`` other BSs of highest ``score`` (ties: lower index)."""
    score = score.astype(float)
    score[anchor] = -1.0
    return np.r_[anchor, np.argsort(-score, kind="stable")[: n_bs - 1]]


def cut_paper_a_event(radio_map: RadioMap, rng: np.random.Generator, n_users: int, n_bs: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A small event of paper A's circumstance (see the module docstring).

    Returns
    -------
    gain : ndarray, shape (n_users, n_bs)
    p_max_w : ndarray, shape (n_bs,)
    detectable : ndarray of bool, shape (n_users, n_bs)
        Every user detects the anchor BS (column 0).
    """
    anchor, detect = draw_anchor(radio_map, rng, n_users)
    spots = np.sort(rng.choice(np.flatnonzero(detect[:, anchor]), size=n_users, replace=False))
    gain_all = 10.0 ** (-radio_map.loss_db[spots] / 10.0)
    bss = cell_bss(anchor, detect[spots].sum(axis=0) + gain_all.sum(axis=0) / gain_all.sum() / 2,  # count, then gain
                   n_bs)
    return gain_all[:, bss], dbm_to_w(radio_map.power_dbm[bss]), detect[spots][:, bss]


def _paper_a_rows(config, k, radio_map, noise):
    rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(int(k), 0)))
    gain, p_max, allowed = cut_paper_a_event(radio_map, rng, config.n_users, config.n_bs)
    users = np.arange(config.n_users)
    optima = {(obj, off): sum_rate_optimum(gain, p_max, noise, allowed, code, off).value
              for obj, code in (("R", SUM_RATE), ("sum log", SUM_LOG_RATE)) for off in (False, True)}
    decisions = []
    for name in (*PAPER_A_ASSOCIATION_ROWS, "MSUAPC", "JUAPCMWSER"):
        t0 = time.perf_counter()
        solution = PAPER_A_METHODS[name](gain, p_max, noise, allowed)
        decisions.append((name, solution.association, solution.power_w, time.perf_counter() - t0, np.nan))
    se_full = np.log2(1.0 + sinr_kernel(gain, p_max, noise))
    seen = np.where(allowed, se_full, MASKED_SE)
    ones = np.ones(config.n_users)
    t0 = time.perf_counter()
    pf = price_association(seen, ones, 1.0)
    t_pf = time.perf_counter() - t0
    decisions.append(("PF pricing", pf.association, p_max, t_pf, pf.upper_bound))
    t0 = time.perf_counter()
    ring = two_ring_search(seen, ones, rng, 1.0, start=pf.association).association
    decisions.append(("2RS [PF]", ring, p_max, t_pf + time.perf_counter() - t0, np.nan))
    t0 = time.perf_counter()
    ga = genetic_association(seen, ones, rng, 1.0, generations=config.ga_generations, seeded=True).association
    decisions.append(("GA [PF]", ga, p_max, time.perf_counter() - t0, np.nan))
    rows = []
    for name, assoc, power, seconds, bound in decisions:
        rate = np.log2(1.0 + sinr_kernel(gain, power, noise))[users, assoc] / np.bincount(assoc, minlength=config.n_bs)[assoc]
        full_power = bool(np.all(power == p_max))
        feasible = bool(allowed[users, assoc].all())
        with np.errstate(divide="ignore"):
            values = {"R": rate.sum(), "sum log": np.log(rate).sum()}
        for objective, value in values.items():
            rows.append({"sample": int(k), "network": "paper A", "objective": objective, "method": name,
                         "value": float(value), "optimum full power": optima[(objective, False)],
                         "optimum on/off": optima[(objective, True)], "full power": full_power,
                         "feasible": feasible,
                         "dual bound": bound if objective == "sum log" else np.nan, "seconds": seconds})
    return rows


def _paper_b_rows(config, k, inputs, local, noise):
    n = config.n_users
    gain = inputs["gain"][local][:n]
    p_max = dbm_to_w(inputs["power_dbm"][local])
    se = np.log2(1.0 + sinr_kernel(gain, p_max, noise))
    rows = []
    for fairness in RATIOS:
        static = reading_config(SELECTED, config.samples, fairness, n_users=(n,),
                                ga_generations=config.ga_generations)
        seq = np.random.SeedSequence(static.seed, spawn_key=(int(k),))
        alpha = draw_alphas(np.random.default_rng(seq), DROP_USERS, RATIOS[fairness], static.alpha_groups)[0][:n]
        optimum = haf_optimum(se, alpha, static.bandwidth).value
        decisions = [(name, solution.association, seconds, solution.diagnostics.get("upper_bound", np.nan))
                     for name, solution, seconds in solve_drop(static, se, alpha, k)]
        for name in PAPER_A_ASSOCIATION_ROWS:
            t0 = time.perf_counter()
            solution = PAPER_A_METHODS[name](gain, p_max, noise, None)
            decisions.append((name, solution.association, time.perf_counter() - t0, np.nan))
        for name, assoc, seconds, bound in decisions:
            rows.append({"sample": int(k), "network": "paper B", "objective": f"HAF {fairness}", "method": name,
                         "value": allocate_bandwidth(se, alpha, assoc, static.bandwidth).haf,
                         "optimum full power": optimum, "optimum on/off": np.nan, "full power": True,
                         "feasible": True, "dual bound": bound, "seconds": seconds})
    return rows


def _prepare(config: RefereeConfig) -> dict:
    return prepare_channels(reading_config(SELECTED, config.samples, "low"))


def run_referee_samples(config: RefereeConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Every method and the exact optima on small events ``indices`` of both networks: one
    row per (sample, network, objective, method) with the method's value, the optima, and
    the pricing's dual bound."""
    radio_map = corrected_radio_map(BaselineConfig.circumstance_seed)  # paper A's baseline circumstance
    noise_a = READINGS["corrected"].noise(radio_map.config)
    noise_b = noise_power_w(HetNetConfig().bandwidth_hz)
    rows = []
    for local, k in enumerate(indices):
        rows += _paper_a_rows(config, k, radio_map, noise_a)
        rows += _paper_b_rows(config, k, inputs, local, noise_b)
    return pd.DataFrame(rows)


def _relative_gap(frame: pd.DataFrame) -> pd.Series:
    reference = np.where(frame["full power"], frame["optimum full power"], frame["optimum on/off"])
    return (reference - frame["value"]) / np.abs(reference)


def gap_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Optimality gap of each method on each objective, in percent of the optimum.

    A method at full power is compared with the full-power optimum; a power-controlled one
    (MSUAPC, JUAPCMWSER, 11 levels a BS) with the on/off optimum, which it can beat by using
    intermediate levels (a negative gap). Columns: mean, median and worst gap, the share of
    events at the optimum (:data:`AT_OPTIMUM`), and the referee used.
    """
    frame = frame.assign(gap=100.0 * _relative_gap(frame))
    rows = []
    for (network, objective, method), part in frame.groupby(["network", "objective", "method"], sort=False):
        gap = part["gap"].to_numpy()
        finite = gap[np.isfinite(gap)]
        rows.append({"network": network, "objective": objective, "method": method,
                     "referee": "full power" if part["full power"].all() else "on/off",
                     "mean gap [%]": finite.mean() if finite.size == gap.size else np.inf,
                     "median gap [%]": float(np.median(gap)), "worst gap [%]": float(np.max(gap)),
                     "at optimum": float((gap <= 100 * AT_OPTIMUM).mean()), "events": len(part)})
    return pd.DataFrame(rows)


def bound_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The pricing's dual bound against the exact optimum (weak duality: bound >= optimum):
    per (network, objective, method) the share of events where it holds, and the mean gap
    of bound over optimum in percent."""
    priced = frame.dropna(subset=["dual bound"])
    rows = []
    for (network, objective, method), part in priced.groupby(["network", "objective", "method"], sort=False):
        optimum = part["optimum full power"]
        slack = (part["dual bound"] - optimum) / np.abs(optimum)
        rows.append({"network": network, "objective": objective, "method": method,
                     "bound >= optimum": float((part["dual bound"] >= optimum - 1e-9 * np.abs(optimum)).mean()),
                     "mean bound - optimum [%]": 100.0 * float(slack.mean()), "events": len(part)})
    return pd.DataFrame(rows)


def _summary(frame: pd.DataFrame, config: RefereeConfig) -> pd.DataFrame:
    return gap_table(frame)


register(Experiment(
    name="beyond_exact",
    produces="beyond the papers: exact optima of small events (8 users x 6 BSs) as the referee of every method",
    scales={"quick": RefereeConfig(samples=4, ga_generations=30), "full": RefereeConfig(samples=200)},
    run_samples=run_referee_samples, prepare=_prepare, summarise=_summary,
))

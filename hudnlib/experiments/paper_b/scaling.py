"""Paper B, Section V-D measured: time per call of Algorithm 1, the pricing iteration, a scan
of 2RS's ring (every single-user move evaluated once) and a GA generation against the number of users and of BSs, with log-log slopes beside
the paper's O() claims and the numba kernels' speed-up over their plain-NumPy twins.

Each sample is one size point on one axis (users with 100 BSs, or BSs with 1,000 users) on a
geometric network (:func:`geometric_instance`); every method is timed there as the best of
``repeats`` calls after a warm-up on a small instance (compilation excluded), on one core (a
worker's numba kernels run single-threaded). 2RS is timed only where ``I^2 J`` stays below
``ring_max_work`` (a move costs seconds beyond it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudnlib import reference
from hudnlib.allocation import allocate_bandwidth
from hudnlib.baselines.paper_b import genetic_association, two_ring_search
from hudnlib.experiments.registry import Experiment, register
from hudnlib.pricing import price_association
from hudnlib.radio import dbm_to_w, noise_power_w, sinr_matrix, spectral_efficiency

__all__ = ["ScalingConfig", "geometric_instance", "CLAIMED_EXPONENTS", "slope_table", "speedup_table"]

CLAIMED_EXPONENTS = {
    # per unit of work, (users, BSs): RA (Algorithm 1) is O(I) (each user once, each BS once)
    "Algorithm 1": ("O(RA) = O(I)", 1.0, 0.0),
    "pricing iteration": ("O(IJ + RA)", 1.0, 1.0),
    "2RS ring scan": ("O(IJ RA) per scan of the ring", 2.0, 1.0),
    "GA generation": ("O(P RA) per generation", 1.0, 0.0),
}
"""Paper B's complexity claims as exponents of (users, BSs) for each timed unit of work."""


def geometric_instance(n_users: int, n_bs: int, seed: int = 0):
    """A geometric network at paper B's BS density (6 BSs per 250 m disc).

    BSs and users uniform in a square; gain = 3GPP macro path loss
    ``128.1 + 37.6 log10(d_km)`` dB with 8 dB log-normal shadowing; BS powers uniform in
    23-36 dBm; alphas uniform in [0.01, 5].

    Returns gain, power (W), noise (W), spectral efficiency, alpha and the Max-SINR association.
    """
    rng = np.random.default_rng(seed)
    side_m = np.sqrt(n_bs / 6.0 * np.pi * 250.0**2)
    bs = rng.uniform(0.0, side_m, size=(n_bs, 2))
    ue = rng.uniform(0.0, side_m, size=(n_users, 2))
    dist_km = np.maximum(np.hypot(*(ue[:, None, :] - bs[None]).transpose(2, 0, 1)), 10.0) / 1e3
    loss_db = 128.1 + 37.6 * np.log10(dist_km) + rng.normal(0.0, 8.0, size=dist_km.shape)
    gain = 10.0 ** (-loss_db / 10.0)
    power = dbm_to_w(rng.uniform(23.0, 36.0, size=n_bs))
    noise = noise_power_w(20e6)
    se = spectral_efficiency(sinr_matrix(gain, power, noise))
    alpha = rng.uniform(0.01, 5.0, size=n_users)
    return gain, power, noise, se, alpha, np.argmax(se, axis=1)


@dataclass(frozen=True)
class ScalingConfig:
    """Size points of the scaling study.

    Attributes
    ----------
    users : tuple of int
        Users on the users axis (with ``users_axis_bs`` BSs).
    bss : tuple of int
        BSs on the BS axis (with ``bs_axis_users`` users).
    users_axis_bs, bs_axis_users : int
    pricing_iterations, ga_generations, ring_moves : int
        Units of work per timed call (the time is divided by them).
    repeats : int
        Best of this many warm calls.
    samples : int
        Size points (``len(users) + len(bss)``; set automatically).
    seed : int
    """

    users: tuple[int, ...] = (40, 100, 400, 1_000, 4_000, 10_000, 40_000, 100_000)
    bss: tuple[int, ...] = (6, 30, 100, 300, 1_000)
    users_axis_bs: int = 100
    bs_axis_users: int = 1_000
    pricing_iterations: int = 20
    ga_generations: int = 5
    ring_moves: int = 3
    ring_max_work: float = 4e8
    repeats: int = 3
    samples: int = 0
    seed: int = 5

    def __post_init__(self) -> None:
        if not self.users or not self.bss or min(self.users + self.bss) < 1:
            raise ValueError("users and bss must be non-empty tuples of positive sizes")
        object.__setattr__(self, "samples", len(self.users) + len(self.bss))

    def point(self, k: int) -> tuple[str, int, int]:
        """Axis, users and BSs of size point ``k``."""
        if k < len(self.users):
            return "users", self.users[k], self.users_axis_bs
        return "BSs", self.bs_axis_users, self.bss[k - len(self.users)]


def _best(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def _units(se, alpha, assoc, rng, config, ring: bool) -> list[tuple[str, float, float]]:
    """(unit, seconds per unit, NumPy twin's seconds per unit or NaN) of every method."""
    r, it, gens = config.repeats, config.pricing_iterations, config.ga_generations
    alg1, _ = _best(lambda: allocate_bandwidth(se, alpha, assoc), r)
    alg1_np, _ = _best(lambda: reference.allocate_bandwidth_np(se, alpha, assoc), 1)
    pricing, result = _best(lambda: price_association(se, alpha, n_iter=it), r)
    pricing_np, _ = _best(lambda: reference.price_association_np(se, alpha, result.initial_price, result.step0, 2), 1)
    ga, _ = _best(lambda: genetic_association(se, alpha, rng, generations=gens), r)
    units = [("Algorithm 1", alg1, alg1_np), ("pricing iteration", pricing / it, pricing_np / 2),
             ("GA generation", ga / gens, np.nan)]
    if ring:
        seconds, out = _best(lambda: two_ring_search(se, alpha, rng, start=assoc, max_moves=config.ring_moves), r)
        moves = int(out.diagnostics["moves"])
        scans = moves + (moves < config.ring_moves)  # a search that stops early scans once more, finding nothing
        units.append(("2RS ring scan", seconds / scans, np.nan))
    return units


def run_points(config: ScalingConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Time every unit of work at the size points ``indices``: one row per (point, unit)
    with seconds per unit and the NumPy twin's seconds where one exists."""
    _, _, _, se, alpha, assoc = geometric_instance(20, 4, seed=config.seed)
    _units(se, alpha, assoc, np.random.default_rng(0), config, ring=True)  # compile and warm up
    rows = []
    for k in indices:
        axis, n_users, n_bs = config.point(int(k))
        _, _, _, se, alpha, assoc = geometric_instance(n_users, n_bs, seed=config.seed + int(k))
        rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(int(k),)))
        ring = n_users**2 * n_bs <= config.ring_max_work
        for unit, seconds, twin in _units(se, alpha, assoc, rng, config, ring):
            rows.append({"sample": int(k), "axis": axis, "users": n_users, "bss": n_bs, "unit": unit,
                         "seconds": seconds, "numpy_seconds": twin})
    return pd.DataFrame(rows)


def slope_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Fitted log-log slope of time per unit against users and against BSs (least squares
    over the points of each axis whose time exceeds 50 microseconds, where call overheads
    no longer dominate), beside the paper's claimed exponent."""
    rows = []
    for unit, (claim, claim_users, claim_bss) in CLAIMED_EXPONENTS.items():
        row = {"unit of work": unit, "paper's order": claim}
        for axis, size, claimed in (("users", "users", claim_users), ("BSs", "bss", claim_bss)):
            part = frame[(frame["unit"] == unit) & (frame["axis"] == axis) & (frame["seconds"] > 5e-5)]
            slope = np.polyfit(np.log(part[size]), np.log(part["seconds"]), 1)[0] if len(part) >= 2 else np.nan
            row[f"slope vs {axis}"] = slope
            row[f"claimed vs {axis}"] = claimed
        rows.append(row)
    return pd.DataFrame(rows)


def speedup_table(frame: pd.DataFrame) -> pd.DataFrame:
    """NumPy twin time over numba time per size point, for the units with a twin."""
    part = frame.dropna(subset=["numpy_seconds"])
    table = part.assign(speedup=part["numpy_seconds"] / part["seconds"])
    return table.pivot_table(index=["axis", "users", "bss"], columns="unit", values="speedup").reset_index()


register(Experiment(
    name="paper_b_scaling",
    produces="paper B: Section V-D, time against users and BSs with fitted slopes",
    scales={"quick": ScalingConfig(users=(40, 400, 2_000), bss=(6, 30, 100), users_axis_bs=30,
                                   bs_axis_users=400, repeats=1),
            "full": ScalingConfig()},
    run_samples=run_points,
))

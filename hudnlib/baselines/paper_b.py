"""Paper B's methods: Ours (HAF pricing) and its eight baselines, behind one signature.

Every method is ``method(spectral_efficiency, alpha, rng, bandwidth=1.0) -> Solution``;
:data:`METHODS` maps the paper's names to them, in the paper's table order.

Reconstruction (see the book):

- **PF, AF-Low, AF-High, Min-Latency** run the whole pricing method (association *and*
  Algorithm-1 bandwidth) as if every user had the same alpha (1, 0.5, 3 and 2), and are then
  scored with the users' real alphas. AF-High uses 3, not the spec's guess of 2: with 2 it
  would be the same algorithm as Min-Latency (the sum of ``1/r`` is the alpha = 2 utility).
- **2RS** starts from the HAF pricing solution and moves one user at a time (the paper's
  2-distance ring; two-user swaps are an option); **GA** draws its population uniformly
  (seeding it with the Max-SINR association is an option).
- The homogeneous baselines may also split the bandwidth with the users' real alphas
  (``split="real"``); which one the paper ran is unstated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from hudnlib.allocation import Allocation, allocate_bandwidth
from hudnlib.fairness import _utility_vector
from hudnlib.pricing import price_association
from hudnlib.search import genetic_kernel, two_ring_kernel
from hudnlib.validation import (
    as_alpha, as_association, as_count, as_flag, as_generator, as_problem, as_real_scalar,
)

__all__ = [
    "Solution",
    "METHODS",
    "HOMOGENEOUS_ALPHA",
    "ours",
    "random_association",
    "max_sinr",
    "homogeneous_pricing",
    "two_ring_search",
    "genetic_association",
]

HOMOGENEOUS_ALPHA = {"PF": 1.0, "AF-Low": 0.5, "AF-High": 3.0, "Min-Latency": 2.0}
"""The single alpha each homogeneous pricing baseline assumes for every user."""


@dataclass(frozen=True)
class Solution:
    """A method's answer: association, bandwidth (scored with the real alphas), diagnostics."""

    association: np.ndarray
    allocation: Allocation
    diagnostics: dict = field(default_factory=dict)

    @property
    def haf(self) -> float:
        """HAF of this solution under the users' real alphas."""
        return self.allocation.haf


def _solution(se, alpha, association, bandwidth, **diagnostics) -> Solution:
    return Solution(association, allocate_bandwidth(se, alpha, association, bandwidth), diagnostics)


def ours(
    spectral_efficiency: np.ndarray, alpha: np.ndarray, rng: np.random.Generator,
    bandwidth: float = 1.0, n_iter: int = 300, initial_price: float | np.ndarray | None = None,
) -> Solution:
    """Paper B's method: HAF pricing (Algorithm 2) with Algorithm-1 bandwidth.

    ``initial_price`` warm-starts the prices (e.g. from the previous time slot).
    """
    result = price_association(spectral_efficiency, alpha, bandwidth, n_iter=n_iter,
                               initial_price=initial_price)
    return Solution(result.association, result.allocation, {
        "upper_bound": result.upper_bound, "prices": result.prices,
    })


def random_association(
    spectral_efficiency: np.ndarray, alpha: np.ndarray, rng: np.random.Generator,
    bandwidth: float = 1.0,
) -> Solution:
    """Random: every user picks a BS uniformly; Algorithm-1 bandwidth."""
    se, alpha, bandwidth = as_problem(spectral_efficiency, alpha, bandwidth)
    rng = as_generator("rng", rng)
    return _solution(se, alpha, rng.integers(0, se.shape[1], se.shape[0]), bandwidth)


def max_sinr(
    spectral_efficiency: np.ndarray, alpha: np.ndarray, rng: np.random.Generator,
    bandwidth: float = 1.0,
) -> Solution:
    """Max-SINR: every user picks its highest-SINR BS; Algorithm-1 bandwidth."""
    se, alpha, bandwidth = as_problem(spectral_efficiency, alpha, bandwidth)
    return _solution(se, alpha, np.argmax(se, axis=1), bandwidth)


def homogeneous_pricing(
    spectral_efficiency: np.ndarray, alpha: np.ndarray, rng: np.random.Generator,
    bandwidth: float = 1.0, *, assumed_alpha: float, n_iter: int = 300,
    initial_price: float | np.ndarray | None = None, split: str = "assumed",
) -> Solution:
    """Pricing for homogeneous alpha-fairness (every user given ``assumed_alpha``).

    The association comes from the homogeneous problem; the bandwidth split too
    (``split="assumed"``) or from Algorithm 1 with the users' real alphas (``split="real"``).
    The rates are scored with the users' real alphas.
    """
    se, alpha, bandwidth = as_problem(spectral_efficiency, alpha, bandwidth)
    assumed_alpha = as_real_scalar("assumed_alpha", assumed_alpha)
    assumed = as_alpha("assumed_alpha", np.full_like(alpha, assumed_alpha), alpha.size)
    if split not in ("assumed", "real"):
        raise ValueError(f"split must be 'assumed' or 'real', got {split!r}")
    result = price_association(se, assumed, bandwidth, n_iter=n_iter, initial_price=initial_price)
    if split == "real":
        return _solution(se, alpha, result.association, bandwidth, assumed_alpha=assumed_alpha,
                         prices=result.prices)
    own = result.allocation
    scored = Allocation(own.fraction, own.rate, _utility_vector(own.rate, alpha),
                        own.log_multiplier, own.residual, own.iterations)
    return Solution(result.association, scored,
                    {"assumed_alpha": assumed_alpha, "prices": result.prices})


def two_ring_search(
    spectral_efficiency: np.ndarray, alpha: np.ndarray, rng: np.random.Generator,
    bandwidth: float = 1.0, *, start: np.ndarray | None = None, swaps: bool = False,
    max_moves: int = 10_000,
) -> Solution:
    """2RS: best-improvement local search from ``start`` (default: the HAF pricing result).

    The neighbourhood is the paper's 2-distance ring, every single-user reassignment
    (Hamming distance 2 in the binary association); ``swaps=True`` adds two-user swaps
    (distance 4; ours, not the paper's).
    """
    se, alpha, bandwidth = as_problem(spectral_efficiency, alpha, bandwidth)
    max_moves = as_count("max_moves", max_moves)
    swaps = as_flag("swaps", swaps)
    if start is None:
        start = price_association(se, alpha, bandwidth).association
    start = as_association("start", start, *se.shape)
    assoc, history, moves = two_ring_kernel(
        np.log(bandwidth * se), alpha, start, swaps, max_moves, 1e-12
    )
    return _solution(se, alpha, assoc, bandwidth, moves=int(moves), haf_history=history)


def genetic_association(
    spectral_efficiency: np.ndarray, alpha: np.ndarray, rng: np.random.Generator,
    bandwidth: float = 1.0, *, population: int = 60, parents: int = 10,
    mutation_prob: float = 0.01, generations: int = 300, seeded: bool = False,
) -> Solution:
    """GA over associations (paper: 60 individuals, 10 parents, 1% mutation, 300 generations).

    The initial population is uniform; ``seeded=True`` puts the Max-SINR association in it
    (ours, not the paper's).
    """
    se, alpha, bandwidth = as_problem(spectral_efficiency, alpha, bandwidth)
    rng = as_generator("rng", rng)
    population, parents = as_count("population", population, 1), as_count("parents", parents, 1)
    generations = as_count("generations", generations)
    if not 1 <= parents <= population:
        raise ValueError(f"parents must be in [1, population], got {parents}")
    mutation_prob = as_real_scalar("mutation_prob", mutation_prob)
    if not 0.0 <= mutation_prob <= 1.0:
        raise ValueError(f"mutation_prob must be in [0, 1], got {mutation_prob}")
    seeded = as_flag("seeded", seeded)
    initial = rng.integers(0, se.shape[1], size=(population, se.shape[0]))
    if seeded:
        initial[0] = np.argmax(se, axis=1)
    best, _, history = genetic_kernel(
        np.log(bandwidth * se), alpha, initial, parents, mutation_prob, generations, rng
    )
    return _solution(se, alpha, best, bandwidth, best_history=history)


Method = Callable[..., Solution]

METHODS: dict[str, Method] = {
    "Ours": ours,
    "Random": random_association,
    "Max-SINR": max_sinr,
    **{name: partial(homogeneous_pricing, assumed_alpha=a) for name, a in HOMOGENEOUS_ALPHA.items()},
    "2RS": two_ring_search,
    "GA": genetic_association,
}
"""Paper B's methods in its tables' order."""

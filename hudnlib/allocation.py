"""Algorithm 1 of paper B: optimal bandwidth split for a fixed user association.

For BS ``j`` with users ``S_j`` the problem is

    maximise  sum_{i in S_j} U_{a_i}(B y_i c_ij)   s.t.  sum_i y_i <= 1,  y >= 0,

a concave problem with a unique optimum. Lemma 1 (KKT, eq. (12)): for ``a_i > 0``,
``B c_ij U'(B c_ij y_i) = lambda_j``, i.e.
``y_i(lambda) = exp(((1 - a_i) log(B c_ij) - log lambda) / a_i)``, strictly decreasing in
``lambda``; the optimum is the unique ``lambda_j`` with ``sum_i y_i(lambda_j) = 1``.

Reconstruction (see the book, chapter "Reconstruction choices"): the paper's ``Get_RA`` runs
a fixed 12-step line search; we solve ``log sum_i y_i(t) = 0`` in ``t = log lambda`` with a
bracketed Newton method to a tolerance. The function is convex and decreasing in ``t``, so
Newton from the lower bracket converges monotonically; bisection guards any step that leaves
the bracket. Users with ``alpha = 0`` (linear utility) are handled exactly: their marginal
value ``B c_ij`` is constant, so ``lambda_j = max(lambda_pos, B c_max)`` and the band left by
the positive-alpha users goes to the alpha-0 user with the largest ``B c_ij``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from hudnlib.fairness import _utility_vector, utility_of_log
from hudnlib.validation import as_association, as_float_array, as_problem

__all__ = [
    "Allocation",
    "allocate_bandwidth",
    "allocate_cell_bandwidth",
    "association_value",
    "chosen_log_bc",
    "chosen_value",
    "group_by_bs",
    "parallel_chosen_value",
    "kkt_residual",
]

TOLERANCE = 1e-13
"""Stopping tolerance on ``|log sum_i y_i|`` (relative error of the band constraint)."""

MAX_ITER = 200


@njit(cache=True)
def _log_demand(log_bc, alpha, t):
    """``log sum_i y_i(t)`` and its derivative in ``t`` (log-sum-exp, overflow-free)."""
    n = log_bc.shape[0]
    emax = -np.inf
    for k in range(n):
        e = ((1.0 - alpha[k]) * log_bc[k] - t) / alpha[k]
        if e > emax:
            emax = e
    s = 0.0
    ds = 0.0
    for k in range(n):
        w = np.exp(((1.0 - alpha[k]) * log_bc[k] - t) / alpha[k] - emax)
        s += w
        ds += w / alpha[k]
    return emax + np.log(s), -ds / s


@njit(cache=True)
def _solve_log_multiplier(log_bc, alpha):
    """Root ``t = log lambda`` of ``log sum_i y_i(t) = 0`` for positive alphas (eq. (12))."""
    n = log_bc.shape[0]
    lo = np.inf
    hi = -np.inf
    for k in range(n):
        base = (1.0 - alpha[k]) * log_bc[k]
        lo = min(lo, base)  # here user k alone has y_k = 1, so the sum is >= 1
        hi = max(hi, base + alpha[k] * np.log(n))  # here every y_k <= 1/n
    t = lo
    iterations = 0
    for iterations in range(1, MAX_ITER + 1):
        g, dg = _log_demand(log_bc, alpha, t)
        if abs(g) <= TOLERANCE:
            break
        if g > 0.0:
            lo = t
        else:
            hi = t
        step = t - g / dg
        if not (lo < step < hi):
            step = 0.5 * (lo + hi)
        if step == t:
            break
        t = step
    return t, iterations


@njit(cache=True)
def _allocate_cell(log_bc, alpha, y):
    """Algorithm 1 for one BS; fills ``y`` and returns (log lambda, residual, iterations)."""
    n = log_bc.shape[0]
    n_pos = 0
    best_zero = -1
    for k in range(n):
        if alpha[k] > 0.0:
            n_pos += 1
        elif best_zero < 0 or log_bc[k] > log_bc[best_zero]:
            best_zero = k
    pos_log_bc = np.empty(n_pos)
    pos_alpha = np.empty(n_pos)
    m = 0
    for k in range(n):
        y[k] = 0.0
        if alpha[k] > 0.0:
            pos_log_bc[m] = log_bc[k]
            pos_alpha[m] = alpha[k]
            m += 1
    if n_pos == 0:
        y[best_zero] = 1.0
        return log_bc[best_zero], 0.0, 0
    t, iterations = _solve_log_multiplier(pos_log_bc, pos_alpha)
    zero_share = False
    if best_zero >= 0 and log_bc[best_zero] > t:
        # lambda = B c of the best alpha-0 user: it takes what the others leave.
        t = log_bc[best_zero]
        zero_share = True
    total = 0.0
    for k in range(n):
        if alpha[k] > 0.0:
            y[k] = np.exp(((1.0 - alpha[k]) * log_bc[k] - t) / alpha[k])
            total += y[k]
    if zero_share:
        y[best_zero] = max(0.0, 1.0 - total)
        return t, 0.0, iterations
    residual = abs(total - 1.0)
    for k in range(n):
        y[k] /= total
    return t, residual, iterations


@njit(cache=True)
def group_by_bs(association, n_bs):
    """Users grouped by serving BS (kernel; a counting sort): BS ``j``'s users are
    ``order[starts[j]:starts[j + 1]]``, in increasing index."""
    starts = np.zeros(n_bs + 1, dtype=np.int64)
    for i in range(association.shape[0]):
        starts[association[i] + 1] += 1
    for j in range(n_bs):
        starts[j + 1] += starts[j]
    order = np.empty(association.shape[0], dtype=np.int64)
    fill = starts[:-1].copy()
    for i in range(association.shape[0]):
        j = association[i]
        order[fill[j]] = i
        fill[j] += 1
    return starts, order


@njit(cache=True)
def _allocate_members(log_bc, alpha, members, y):
    """Algorithm 1 for the BS serving ``members``; writes their ``y`` and returns
    (log lambda, residual, iterations)."""
    cell_y = np.empty(members.shape[0])
    result = _allocate_cell(log_bc[members], alpha[members], cell_y)
    for k in range(members.shape[0]):
        y[members[k]] = cell_y[k]
    return result


@njit(cache=True)
def allocate_kernel(log_bc, alpha, association, n_bs):
    """Algorithm 1 for every BS (kernel; trusts its inputs).

    Parameters
    ----------
    log_bc : (I,) log of ``B c_ij`` on each user's serving BS.
    alpha : (I,) user alphas, >= 0.
    association : (I,) serving BS of each user.
    n_bs : number of BSs.

    Returns
    -------
    y : (I,) bandwidth fractions; log_lambda, residual : (J,); iterations : (J,) int.
    An empty BS has ``log_lambda = -inf`` (its constraint is slack) and no iterations.
    """
    starts, order = group_by_bs(association, n_bs)
    y = np.zeros(log_bc.shape[0])
    log_lambda = np.full(n_bs, -np.inf)
    residual = np.zeros(n_bs)
    iterations = np.zeros(n_bs, dtype=np.int64)
    for j in range(n_bs):
        if starts[j + 1] > starts[j]:
            log_lambda[j], residual[j], iterations[j] = _allocate_members(
                log_bc, alpha, order[starts[j]:starts[j + 1]], y)
    return y, log_lambda, residual, iterations


@njit(cache=True)
def chosen_log_bc(log_bc, association):
    """``log(B c_ij)`` of each user on its BS ``association[i]`` (kernel)."""
    chosen = np.empty(log_bc.shape[0])
    for i in range(log_bc.shape[0]):
        chosen[i] = log_bc[i, association[i]]
    return chosen


@njit(cache=True)
def _haf(chosen, alpha, y):
    total = 0.0
    for i in range(chosen.shape[0]):
        total += utility_of_log(chosen[i] + np.log(y[i]), alpha[i])
    return total


@njit(cache=True)
def chosen_value(chosen, alpha, association, n_bs):
    """HAF with Algorithm-1 bandwidth, from each user's ``log(B c)`` on its serving BS (kernel)."""
    return _haf(chosen, alpha, allocate_kernel(chosen, alpha, association, n_bs)[0])


@njit(cache=True, parallel=True)
def parallel_chosen_value(chosen, alpha, association, n_bs):
    """:func:`chosen_value` with the BSs solved in parallel (kernel; the same value bit for
    bit: each BS's split does not depend on the others and the sum runs in user order).
    For one large network; a caller that evaluates many small ones uses :func:`chosen_value`."""
    starts, order = group_by_bs(association, n_bs)
    y = np.zeros(chosen.shape[0])
    for j in prange(n_bs):
        if starts[j + 1] > starts[j]:
            _allocate_members(chosen, alpha, order[starts[j]:starts[j + 1]], y)
    return _haf(chosen, alpha, y)


@njit(cache=True)
def association_value(log_bc, alpha, association):
    """HAF of an association with Algorithm-1 bandwidth (kernel)."""
    return chosen_value(chosen_log_bc(log_bc, association), alpha, association, log_bc.shape[1])


@dataclass(frozen=True)
class Allocation:
    """Result of Algorithm 1 for a whole network.

    Attributes
    ----------
    fraction : ndarray, shape (I,)
        Share ``y_i`` of its serving BS's band given to each user; sums to 1 per non-empty BS.
    rate : ndarray, shape (I,)
        ``B y_i c_ij`` in the unit of ``bandwidth``.
    utility : ndarray, shape (I,)
        ``U_{alpha_i}(rate_i)``.
    log_multiplier : ndarray, shape (J,)
        ``log lambda_j`` (eq. (12)); ``-inf`` for a BS with no users.
    residual : ndarray, shape (J,)
        ``|sum_i y_i(lambda_j) - 1|`` reached by the search, before the final rescaling.
    iterations : ndarray of int, shape (J,)
        Newton/bisection steps used per BS.
    """

    fraction: np.ndarray
    rate: np.ndarray
    utility: np.ndarray
    log_multiplier: np.ndarray
    residual: np.ndarray
    iterations: np.ndarray

    @property
    def haf(self) -> float:
        """Total HAF ``sum_i U_{alpha_i}(r_i)`` of this allocation (eq. (10))."""
        return float(np.sum(self.utility))


def allocate_bandwidth(
    spectral_efficiency: np.ndarray,
    alpha: np.ndarray,
    association: np.ndarray,
    bandwidth: float = 1.0,
) -> Allocation:
    """Optimal bandwidth split of every BS for a fixed association (Algorithm 1, paper B).

    Implements Lemma 1 / eq. (12) of paper B; see the module docstring for the search.

    Parameters
    ----------
    spectral_efficiency : ndarray, shape (I, J)
        ``c_ij = log2(1 + SINR_ij)`` in bit/s/Hz, > 0.
    alpha : ndarray, shape (I,)
        Fairness parameter of each user, >= 0.
    association : ndarray of int, shape (I,)
        Serving BS of each user. A BS nobody chose simply allocates nothing.
    bandwidth : float
        ``B`` in the rate unit wanted (1.0 gives rates in bit/s/Hz; 20.0 gives Mbit/s for a
        20 MHz band). The split depends on it when a BS's users have different alphas: the
        marginal utility ``(B c)^(1 - alpha) y^(-alpha)`` scales by ``B^(1 - alpha_i)``, a
        different factor for each user (with equal alphas the common factor cancels).

    Returns
    -------
    Allocation
    """
    se, alpha, bandwidth = as_problem(spectral_efficiency, alpha, bandwidth)
    association = as_association("association", association, *se.shape)
    log_bc = np.log(bandwidth * se[np.arange(se.shape[0]), association])
    y, log_lambda, residual, iterations = allocate_kernel(log_bc, alpha, association, se.shape[1])
    rate = bandwidth * y * se[np.arange(se.shape[0]), association]
    return Allocation(y, rate, _utility_vector(rate, alpha), log_lambda, residual, iterations)


def allocate_cell_bandwidth(
    spectral_efficiency: np.ndarray, alpha: np.ndarray, bandwidth: float = 1.0
) -> np.ndarray:
    """Algorithm 1 for the users of a single BS.

    Parameters
    ----------
    spectral_efficiency : ndarray, shape (n,)
        Spectral efficiency of each of the BS's users on it, > 0.
    alpha : ndarray, shape (n,)
        Their alphas, >= 0.
    bandwidth : float
        ``B`` in the rate unit wanted.

    Returns
    -------
    ndarray, shape (n,)
        Optimal fractions, summing to 1.

    Raises
    ------
    ValueError
        If the BS has no users: there is no split to compute.
    """
    se = as_float_array("spectral_efficiency", spectral_efficiency, ndim=1, allow_empty=True)
    if se.shape[0] == 0:
        raise ValueError("spectral_efficiency is empty: a BS with no users has no bandwidth split")
    se, alpha, bandwidth = as_problem(se[:, None], alpha, bandwidth)
    y = np.empty(se.shape[0])
    _allocate_cell(np.log(bandwidth * se[:, 0]), alpha, y)
    return y


def kkt_residual(
    spectral_efficiency: np.ndarray,
    alpha: np.ndarray,
    association: np.ndarray,
    allocation: Allocation,
    bandwidth: float = 1.0,
) -> float:
    """Largest violation of the KKT conditions (12) by an allocation.

    For every user with ``alpha > 0`` the log marginal utility per unit band,
    ``log(B c) + log U'(B c y)``, must equal ``log lambda_j``; every non-empty BS must use its
    whole band. Returns the maximum of the absolute log-mismatch and ``|sum_i y_i - 1|``.
    """
    se, alpha, bandwidth = as_problem(spectral_efficiency, alpha, bandwidth)
    association = as_association("association", association, *se.shape)
    y = allocation.fraction
    log_bc = np.log(bandwidth * se[np.arange(se.shape[0]), association])
    used = np.bincount(association, weights=y, minlength=se.shape[1])
    occupied = np.bincount(association, minlength=se.shape[1]) > 0
    worst = float(np.max(np.abs(used[occupied] - 1.0), initial=0.0))
    pos = (alpha > 0) & (y > 0)
    log_marginal = (1.0 - alpha[pos]) * log_bc[pos] - alpha[pos] * np.log(y[pos])
    mismatch = np.abs(log_marginal - allocation.log_multiplier[association[pos]])
    return max(worst, float(np.max(mismatch, initial=0.0)))

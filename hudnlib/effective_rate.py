"""Paper A's objective and its optimisation kernels: effective rates, load-aware association
search and per-BS power control.

Eq. (2): ``gamma_ij = (1 / K_j) log2(1 + SINR_ij)`` per Hz (each of the ``K_j`` users of BS
``j`` gets an equal share of the band); eq. (6): ``R = sum_i gamma_{i, j(i)}`` in bit/s/Hz.
The SINR (eq. (1)) counts every BS at its current power as interference; with
``idle_silent`` only the BSs that serve at least one UE do, as in the authors' evaluation of
paper A (``util.py``, ``calcul_rate``: ``activate_AP``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hudnlib.radio import sinr_kernel
from hudnlib.validation import as_association, as_flag, as_float_array, as_positive_scalar

__all__ = [
    "effective_rates",
    "total_rate",
    "SUM_RATE",
    "SUM_LOG_RATE",
]

SUM_RATE = 0
"""Objective code: total effective rate R (eq. 6)."""
SUM_LOG_RATE = 1
"""Objective code: sum of log effective rates (the MSUA utility)."""


@njit(cache=True)
def rates_kernel(gain, power_w, noise_w, association, idle_silent):
    """Per-UE effective rates of eq. (2) (kernel of :func:`effective_rates`; trusts its
    inputs: an association outside ``[0, J)`` reads outside the arrays)."""
    n_users, n_bs = gain.shape
    load = np.zeros(n_bs)
    for i in range(n_users):
        load[association[i]] += 1.0
    if idle_silent:
        power_w = np.where(load > 0.0, power_w, 0.0)
    sinr = sinr_kernel(gain, power_w, noise_w)
    rate = np.empty(n_users)
    for i in range(n_users):
        j = association[i]
        rate[i] = np.log2(1.0 + sinr[i, j]) / load[j]
    return rate


def effective_rates(
    gain: np.ndarray, power_w: np.ndarray, noise_w: float, association: np.ndarray,
    idle_silent: bool = False,
) -> np.ndarray:
    """Per-UE effective rate ``gamma_i = log2(1 + SINR_{i,j(i)}) / K_{j(i)}`` (eq. (2)), bit/s/Hz.

    Parameters
    ----------
    gain : ndarray, shape (I, J)
        Linear gains, > 0.
    power_w : ndarray, shape (J,)
        BS powers in W, >= 0.
    noise_w : float
        Noise power in W.
    association : ndarray of int, shape (I,)
        Serving BS of each UE.
    idle_silent : bool
        Whether a BS serving no UE is silent (no interference) whatever its power.

    Returns
    -------
    ndarray, shape (I,)

    Examples
    --------
    >>> import numpy as np
    >>> gain = np.array([[1e-9, 1e-11], [1e-11, 1e-9], [1e-9, 1e-12]])
    >>> rates = effective_rates(gain, np.ones(2), 1e-13, np.array([0, 1, 0]))
    >>> bool(rates[0] < rates[1])  # UE 0 shares BS 0 with UE 2
    True
    """
    gain = as_float_array("gain", gain, ndim=2, strictly_positive=True)
    power_w = as_float_array("power_w", power_w, ndim=1, shape=(gain.shape[1],), min_value=0.0)
    noise_w = as_positive_scalar("noise_w", noise_w)
    association = as_association("association", association, *gain.shape)
    return rates_kernel(gain, power_w, noise_w, association, as_flag("idle_silent", idle_silent))


def total_rate(
    gain: np.ndarray, power_w: np.ndarray, noise_w: float, association: np.ndarray,
    idle_silent: bool = False,
) -> float:
    """Total effective rate ``R`` of eq. (6) of paper A, bit/s/Hz."""
    return float(np.sum(effective_rates(gain, power_w, noise_w, association, idle_silent)))


@njit(cache=True)
def load_aware_search_kernel(se, allowed, association, objective, max_moves):
    """Best-improvement single-UE moves for a load-aware objective at fixed powers (kernel).

    With powers fixed the SINRs do not depend on the association, so the objective of a move
    changes only through the two cells it touches: ``R = sum_j C_j / K_j`` with
    ``C_j = sum_{i in S_j} c_ij`` (SUM_RATE), or
    ``sum_i log c_i - sum_j K_j log K_j`` (SUM_LOG_RATE). Each move costs O(1).
    Returns the association and the number of moves.
    """
    n_users, n_bs = se.shape
    assoc = association.copy()
    load = np.zeros(n_bs)
    csum = np.zeros(n_bs)
    for i in range(n_users):
        load[assoc[i]] += 1.0
        csum[assoc[i]] += se[i, assoc[i]]

    def cell(c, k):
        if k == 0.0:
            return 0.0
        if objective == SUM_RATE:
            return c / k
        return c - k * np.log(k)  # c holds sum log c_i here

    if objective == SUM_LOG_RATE:
        csum[:] = 0.0
        for i in range(n_users):
            csum[assoc[i]] += np.log(se[i, assoc[i]])
    # allowed BSs of each UE as index lists (CSR): a UE detects a fraction of the BSs
    start = np.zeros(n_users + 1, np.int64)
    for i in range(n_users):
        start[i + 1] = start[i] + np.sum(allowed[i])
    cand = np.empty(start[-1], np.int64)
    value = np.empty(start[-1])
    for i in range(n_users):
        k = start[i]
        for j in range(n_bs):
            if allowed[i, j]:
                cand[k] = j
                value[k] = se[i, j] if objective == SUM_RATE else np.log(se[i, j])
                k += 1
    current = np.empty(n_bs)
    moves = 0
    while moves < max_moves:
        for j in range(n_bs):
            current[j] = cell(csum[j], load[j])
        best_gain, best_i, best_j = 1e-12, -1, -1
        for i in range(n_users):
            a = assoc[i]
            ca = se[i, a] if objective == SUM_RATE else np.log(se[i, a])
            leave = cell(csum[a] - ca, load[a] - 1.0) - current[a]
            for k in range(start[i], start[i + 1]):
                j = cand[k]
                if j == a:
                    continue
                gain = leave + cell(csum[j] + value[k], load[j] + 1.0) - current[j]
                if gain > best_gain:
                    best_gain, best_i, best_j = gain, i, j
        if best_i < 0:
            break
        a = assoc[best_i]
        ca = se[best_i, a] if objective == SUM_RATE else np.log(se[best_i, a])
        cj = se[best_i, best_j] if objective == SUM_RATE else np.log(se[best_i, best_j])
        csum[a] -= ca
        load[a] -= 1.0
        csum[best_j] += cj
        load[best_j] += 1.0
        assoc[best_i] = best_j
        moves += 1
    return assoc, moves


@njit(cache=True)
def _objective_of(gain, power, total, association, load, objective):
    value = 0.0
    for i in range(gain.shape[0]):
        j = association[i]
        signal = power[j] * gain[i, j]
        rate = np.log2(1.0 + signal / (total[i] - signal)) / load[j]
        value += rate if objective == SUM_RATE else np.log(rate)
    return value


@njit(cache=True)
def power_control_kernel(gain, power, p_max, noise_w, association, objective, levels, max_sweeps,
                         switch_off_serving):
    """Per-BS coordinate ascent on a power grid at a fixed association (kernel).

    Each sweep visits every BS and sets its power to the level of ``levels * p_max[j]``
    (``levels`` in [0, 1], 0 switching it off) that maximises the objective with the other
    powers fixed; a level is taken only if it improves the objective, so the result is
    never worse than ``power``. Level 0 is open to a BS that serves a UE only when
    ``switch_off_serving`` is true (its UEs then get rate 0). Changing one BS's power moves every UE's received total by
    ``dp g_ij``, so one candidate costs O(I). Stops after a sweep with no change.
    Returns the powers, the objective after each sweep (entry 0: start) and the sweeps.
    """
    n_users, n_bs = gain.shape
    p = power.copy()
    load = np.zeros(n_bs)
    for i in range(n_users):
        load[association[i]] += 1.0
    total = np.full(n_users, noise_w)
    for i in range(n_users):
        for j in range(n_bs):
            total[i] += p[j] * gain[i, j]
    history = np.empty(max_sweeps + 1)
    current = _objective_of(gain, p, total, association, load, objective)
    history[0] = current
    trial_total = np.empty(n_users)
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):
        changed = False
        for j in range(n_bs):
            best_value, best_p = current, p[j]
            old = p[j]
            for level in levels:
                candidate = level * p_max[j]
                if candidate == old or (candidate == 0.0 and load[j] > 0.0 and not switch_off_serving):
                    continue
                for i in range(n_users):
                    trial_total[i] = total[i] + (candidate - old) * gain[i, j]
                p[j] = candidate
                value = _objective_of(gain, p, trial_total, association, load, objective)
                p[j] = old
                if value > best_value + 1e-12 * abs(best_value):
                    best_value, best_p = value, candidate
            if best_p != old:
                for i in range(n_users):
                    total[i] += (best_p - old) * gain[i, j]
                p[j] = best_p
                current = best_value
                changed = True
        history[sweeps] = current
        if not changed:
            break
    return p, history[: sweeps + 1], sweeps

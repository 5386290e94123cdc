"""Exact optima of the association problems on small events: the referee of every method.

Both papers' objectives are sums over cells of a value that depends only on which users a
cell serves, once the powers are fixed (and so the SINRs):

- paper A's total effective rate ``R`` (eq. 6): cell ``j`` with users ``S`` gives
  ``sum_{i in S} c_ij / |S|`` (equal time shares);
- the sum of log effective rates (the MSUA utility, the HAF at alpha = 1 with equal shares):
  ``sum_{i in S} log(c_ij / |S|)``;
- paper B's HAF with Algorithm-1 bandwidth: the optimal HAF of the cell
  (:func:`hudnlib.search.cell_value`).

The best association is then the best partition of the users into cells: a dynamic
programme over (cell, set of users already placed) that tries every subset for the next
cell, ``J 3^I`` steps instead of the ``J^I`` associations (8 users x 6 BSs: 39,366 steps for
1.7 million associations). A user may only join a BS it is allowed to (paper A's detection
mask); an empty cell is worth 0. :func:`sum_rate_optimum` with ``switch_off=True`` also
chooses which BSs transmit (each at full power or off, the switch-off choice of MSUAPC):
every non-empty set of BSs, the others silent, serving BSs on.

Reconstruction: ours, beyond both papers (see the book's part "Beyond the papers").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from hudnlib.radio import sinr_kernel
from hudnlib.search import cell_value
from hudnlib.validation import as_alpha, as_float_array, as_mask, as_positive_scalar

__all__ = [
    "ExactOptimum",
    "MAX_USERS",
    "SUM_RATE",
    "SUM_LOG_RATE",
    "best_partition",
    "sum_rate_optimum",
    "haf_optimum",
]

MAX_USERS = 14
"""Most users an exact solve accepts: a cell-value table holds ``J 2^I`` entries and the
programme takes ``J 3^I`` steps (14 users: 4.8 million steps a BS)."""

SUM_RATE = 0
"""Objective code: total effective rate R (eq. 6 of paper A)."""
SUM_LOG_RATE = 1
"""Objective code: sum of log effective rates."""


@dataclass(frozen=True)
class ExactOptimum:
    """The optimum of one small event.

    Attributes
    ----------
    value : float
        Optimal objective (``-inf`` when no association is allowed).
    association : ndarray of int, shape (I,)
        An optimal association (``-1`` everywhere when none is allowed).
    power_on : ndarray of bool, shape (J,)
        Which BSs transmit in the optimum (all, unless the on/off choice was searched).
    """

    value: float
    association: np.ndarray
    power_on: np.ndarray


@njit(cache=True)
def cell_values_kernel(se, allowed, objective):
    """Value of every (BS, set of users) for paper A's objectives (kernel).

    ``values[j, S]`` (``S`` a bit mask of users) is ``sum c_ij / |S|`` (``objective`` 0) or
    ``sum log(c_ij / |S|)`` (1); ``-inf`` when a user of ``S`` may not join ``j``; 0 for the
    empty set.
    """
    n_users, n_bs = se.shape
    values = np.zeros((n_bs, 1 << n_users))
    for j in range(n_bs):
        for mask in range(1, 1 << n_users):
            size = 0
            total = 0.0
            log_total = 0.0
            ok = True
            for i in range(n_users):
                if mask >> i & 1:
                    if not allowed[i, j]:
                        ok = False
                        break
                    size += 1
                    total += se[i, j]
                    log_total += np.log(se[i, j])
            if not ok:
                values[j, mask] = -np.inf
            elif objective == SUM_RATE:
                values[j, mask] = total / size
            else:
                values[j, mask] = log_total - size * np.log(size)
    return values


@njit(cache=True)
def haf_cell_values_kernel(log_bc, alpha, allowed):
    """Optimal HAF (Algorithm 1) of every (BS, set of users) (kernel; see
    :func:`cell_values_kernel` for the layout)."""
    n_users, n_bs = log_bc.shape
    values = np.zeros((n_bs, 1 << n_users))
    members_bc = np.empty(n_users)
    members_alpha = np.empty(n_users)
    for j in range(n_bs):
        for mask in range(1, 1 << n_users):
            size = 0
            ok = True
            for i in range(n_users):
                if mask >> i & 1:
                    if not allowed[i, j]:
                        ok = False
                        break
                    members_bc[size] = log_bc[i, j]
                    members_alpha[size] = alpha[i]
                    size += 1
            values[j, mask] = cell_value(members_bc[:size], members_alpha[:size]) if ok else -np.inf
    return values


@njit(cache=True)
def best_partition_kernel(values):
    """Best association for cell values ``values[j, S]`` (kernel).

    Returns ``(value, association)``: the largest ``sum_j values[j, S_j]`` over partitions
    ``S_0, ..., S_{J-1}`` of the users, and the BS of each user (``-1`` if no partition has a
    finite value).
    """
    n_bs, n_sets = values.shape
    full = n_sets - 1
    n_users = 0
    while (1 << n_users) < n_sets:
        n_users += 1
    best = np.full(n_sets, -np.inf)
    best[0] = 0.0
    choice = np.zeros((n_bs, n_sets), dtype=np.int64)
    for j in range(n_bs):
        new = np.full(n_sets, -np.inf)
        for mask in range(n_sets):
            sub = mask
            while True:
                rest = best[mask ^ sub]
                if rest > -np.inf and values[j, sub] > -np.inf:
                    candidate = rest + values[j, sub]
                    if candidate > new[mask]:
                        new[mask] = candidate
                        choice[j, mask] = sub
                if sub == 0:
                    break
                sub = (sub - 1) & mask
        best = new
    association = np.full(n_users, -1, dtype=np.int64)
    if best[full] == -np.inf:
        return best[full], association
    mask = full
    for j in range(n_bs - 1, -1, -1):
        sub = choice[j, mask]
        for i in range(n_users):
            if sub >> i & 1:
                association[i] = j
        mask ^= sub
    return best[full], association


def _check_size(n_users: int) -> None:
    if not 1 <= n_users <= MAX_USERS:
        raise ValueError(f"an exact solve takes 1 to {MAX_USERS} users, got {n_users}")


def best_partition(values: np.ndarray) -> tuple[float, np.ndarray]:
    """Best association for a table of cell values (the public form of
    :func:`best_partition_kernel`).

    Parameters
    ----------
    values : ndarray, shape (J, 2**I)
        ``values[j, S]``: what BS ``j`` is worth serving the users in bit mask ``S``
        (``-inf``: not allowed); ``values[:, 0]`` must be 0 (an empty cell).

    Returns
    -------
    value : float
    association : ndarray of int, shape (I,)

    Examples
    --------
    Two users, two BSs; together on BS 0 they are worth 1, apart 3 + 0.5:

    >>> import numpy as np
    >>> values = np.array([[0.0, 3.0, 0.2, 1.0], [0.0, 2.0, 0.5, 1.2]])
    >>> value, association = best_partition(values)
    >>> float(value), association.tolist()
    (3.5, [0, 1])
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] < 2 or values.shape[1] & (values.shape[1] - 1):
        raise ValueError(f"values must have shape (J, 2**I), got {values.shape}")
    _check_size(values.shape[1].bit_length() - 1)
    if np.isnan(values).any() or (values == np.inf).any():
        raise ValueError("values must be finite or -inf")
    if np.any(values[:, 0] != 0.0):
        raise ValueError("values[:, 0] (an empty cell) must be 0")
    value, association = best_partition_kernel(np.ascontiguousarray(values))
    return float(value), association


def sum_rate_optimum(
    gain: np.ndarray, p_max_w: np.ndarray, noise_w: float, allowed: np.ndarray | None = None,
    objective: int = SUM_RATE, switch_off: bool = False,
) -> ExactOptimum:
    """Exact optimum of paper A's total effective rate R (or the sum of log rates) on a
    small event, every transmitting BS interfering (the ``corrected`` reading).

    Parameters
    ----------
    gain : ndarray, shape (I, J)
        Linear channel gains, ``I <=`` :data:`MAX_USERS`.
    p_max_w : ndarray, shape (J,)
        Each BS's power (W) when it transmits.
    noise_w : float
    allowed : ndarray of bool, shape (I, J), optional
        Which BS each user may join (paper A's detection mask); default every BS.
    objective : {SUM_RATE, SUM_LOG_RATE}
    switch_off : bool
        Also choose which BSs transmit (full power or off); otherwise every BS transmits.

    Returns
    -------
    ExactOptimum
    """
    gain = as_float_array("gain", gain, ndim=2, strictly_positive=True)
    n_users, n_bs = gain.shape
    _check_size(n_users)
    p_max_w = as_float_array("p_max_w", p_max_w, ndim=1, shape=(n_bs,), strictly_positive=True)
    noise_w = as_positive_scalar("noise_w", noise_w)
    allowed = np.ones(gain.shape, dtype=bool) if allowed is None else as_mask("allowed", allowed, gain.shape)
    if objective not in (SUM_RATE, SUM_LOG_RATE):
        raise ValueError(f"objective must be SUM_RATE (0) or SUM_LOG_RATE (1), got {objective!r}")
    if not isinstance(switch_off, (bool, np.bool_)):
        raise TypeError(f"switch_off must be a bool, got {type(switch_off).__name__}")
    on_sets = range(1, 1 << n_bs) if switch_off else [(1 << n_bs) - 1]
    best = ExactOptimum(-np.inf, np.full(n_users, -1), np.ones(n_bs, dtype=bool))
    for on_mask in on_sets:
        on = (on_mask >> np.arange(n_bs)) & 1 == 1
        se = np.log2(1.0 + sinr_kernel(gain, np.where(on, p_max_w, 0.0), noise_w))
        value, association = best_partition_kernel(cell_values_kernel(se, allowed & on, objective))
        if value > best.value:
            best = ExactOptimum(float(value), association, on)
    return best


def haf_optimum(
    spectral_efficiency: np.ndarray, alpha: np.ndarray, bandwidth: float = 1.0,
    allowed: np.ndarray | None = None,
) -> ExactOptimum:
    """Exact optimum of paper B's HAF (problem P1) on a small event: the best association,
    each cell's bandwidth split by Algorithm 1.

    Parameters
    ----------
    spectral_efficiency : ndarray, shape (I, J)
        ``c_ij > 0`` (bit/s/Hz), ``I <=`` :data:`MAX_USERS`.
    alpha : ndarray, shape (I,)
        Each user's alpha.
    bandwidth : float
        ``B`` in the rate unit.
    allowed : ndarray of bool, shape (I, J), optional
        Which BS each user may join; default every BS.

    Returns
    -------
    ExactOptimum
    """
    se = as_float_array("spectral_efficiency", spectral_efficiency, ndim=2, strictly_positive=True)
    _check_size(se.shape[0])
    alpha = as_alpha("alpha", alpha, se.shape[0])
    bandwidth = as_positive_scalar("bandwidth", bandwidth)
    allowed = np.ones(se.shape, dtype=bool) if allowed is None else as_mask("allowed", allowed, se.shape)
    value, association = best_partition_kernel(haf_cell_values_kernel(np.log(bandwidth * se), alpha, allowed))
    return ExactOptimum(float(value), association, np.ones(se.shape[1], dtype=bool))

"""Alpha-fair utilities and the heterogeneous alpha-fairness (HAF) objective of paper B."""

from __future__ import annotations

import numpy as np
from numba import njit

from hudnlib.validation import as_association, as_count, as_float_array, as_real_scalar

__all__ = ["alpha_utility", "haf", "group_haf"]


@njit(cache=True)
def utility(rate, alpha):
    """Alpha-fair utility of one rate (kernel; trusts its inputs).

    Implements eq. (9) of paper B (Mo & Walrand): ``U_a(r) = r^(1-a) / (1-a)`` for
    ``a != 1`` and ``U_1(r) = log r``. Evaluated as ``exp((1-a) log r) / (1-a)`` so that a
    large ``a`` or a tiny ``r`` stays finite wherever the value itself is representable.
    ``U_a(0)`` is 0 for ``a < 1`` and ``-inf`` for ``a >= 1``.
    """
    if alpha == 1.0:
        return np.log(rate)
    one_minus = 1.0 - alpha
    if rate == 0.0:
        return 0.0 if one_minus > 0.0 else -np.inf
    return np.exp(one_minus * np.log(rate)) / one_minus


@njit(cache=True)
def utility_of_log(log_rate, alpha):
    """``U_a(exp(log_rate))`` without forming the rate (kernel): one exponential at most."""
    if alpha == 1.0:
        return log_rate
    return np.exp((1.0 - alpha) * log_rate) / (1.0 - alpha)


@njit(cache=True)
def _utility_vector(rate, alpha):
    out = np.empty(rate.shape[0])
    for i in range(rate.shape[0]):
        out[i] = utility(rate[i], alpha[i])
    return out


def alpha_utility(rate: np.ndarray, alpha: np.ndarray | float) -> np.ndarray:
    """Alpha-fair utility of each user's rate, each user with its own alpha.

    Parameters
    ----------
    rate : ndarray, shape (I,)
        User rates, >= 0 (any unit; the utility is not unit-free, see the book).
    alpha : ndarray, shape (I,), or float
        Fairness parameter of each user, >= 0 (0: sum-rate, 1: proportional fairness,
        2: latency, large: towards max-min).

    Returns
    -------
    ndarray, shape (I,)
        ``U_{alpha_i}(rate_i)``; ``-inf`` for a zero rate with ``alpha >= 1``, and where
        the utility is below the range of a float: ``alpha > 1`` with a rate so small that
        ``r^(1 - alpha)`` overflows (e.g. ``alpha = 100`` at ``r = 1e-5``).
    """
    rate = as_float_array("rate", rate, ndim=1, min_value=0.0, allow_empty=True)
    if np.ndim(alpha) == 0:
        alpha = np.full(rate.shape, as_real_scalar("alpha", alpha))
    alpha = as_float_array(
        "alpha", alpha, ndim=1, shape=rate.shape, min_value=0.0, allow_empty=True
    )
    return _utility_vector(rate, alpha)


def haf(rate: np.ndarray, alpha: np.ndarray | float) -> float:
    """Heterogeneous alpha-fairness ``F = sum_i U_{alpha_i}(r_i)`` (eq. (10) of paper B)."""
    return float(np.sum(alpha_utility(rate, alpha)))


def group_haf(rate: np.ndarray, alpha: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """HAF summed within each user group (the group columns of paper B's Tables III-IV).

    Parameters
    ----------
    rate, alpha : ndarray, shape (I,)
        User rates and fairness parameters.
    group : ndarray of int, shape (I,)
        Group index of each user in ``[0, n_groups)``.
    n_groups : int
        Number of groups.

    Returns
    -------
    ndarray, shape (n_groups,)
        The group sums; they add up to :func:`haf`.
    """
    values = alpha_utility(rate, alpha)
    n_groups = as_count("n_groups", n_groups, 1)
    group = as_association("group", group, values.shape[0], n_groups)
    return np.bincount(group, weights=values, minlength=n_groups)

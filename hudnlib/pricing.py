"""Algorithm 2 of paper B: distributed subgradient pricing for the user association.

Each user, seeing the BS prices ``mu``, picks the BS with the best value of its own
price-taking problem (eqs. (16)-(17)):

    z*_ij = min(1, ((B c_ij)^(1 - a_i) / mu_j)^(1 / a_i)),
    v_ij  = U_{a_i}(B c_ij z*_ij) - mu_j z*_ij,        j*(i) = argmax_j v_ij.

Each BS then moves its price along the subgradient of the dual function (eq. (19)),

    mu_j <- max(mu_min, mu_j - delta_t (1 - sum_{i: j*(i) = j} z*_ij)),

and splits its band among its users with Algorithm 1. The dual function (eq. (18))
``D(mu) = sum_i max_j v_ij(mu) + sum_j mu_j`` is an upper bound on the optimal HAF (weak
duality: relaxing each BS's band constraint with multiplier ``mu_j`` and letting ``y_i`` range
over ``[0, 1]`` can only increase the maximum).

Reconstruction (see the book): ``delta_t = delta_0 / sqrt(t)`` with
``delta_0 = step_scale * mu_0``, and the constant initial price ``mu_0`` is the geometric mean
of the Algorithm-1 multipliers of the Max-SINR association, so that the step is measured in
the unit of the prices. The returned association is the best-HAF iterate.

A useful identity the kernel relies on: wherever ``z*_ij < 1``, ``v_ij`` is an increasing
function of ``log(B c_ij) - log mu_j`` whatever ``a_i`` is (``v = mu z a / (1 - a)`` with
``mu z = exp(((1 - a) / a)(log(B c) - log mu))``), so the user compares interior candidates
with no exponential, and evaluates only the winner.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from hudnlib.allocation import Allocation, allocate_bandwidth, chosen_log_bc, parallel_chosen_value
from hudnlib.fairness import utility_of_log
from hudnlib.validation import as_count, as_float_array, as_positive_scalar, as_problem

__all__ = ["PricingResult", "best_response", "dual_value", "price_association"]

MIN_PRICE_FRACTION = 1e-9
"""``mu_min`` as a fraction of the initial price."""


@njit(cache=True, parallel=True)
def full_band_utility(log_bc, alpha):
    """``U_{a_i}(B c_ij)``: a user's utility if it had BS ``j``'s whole band (kernel)."""
    n_users, n_bs = log_bc.shape
    out = np.empty((n_users, n_bs))
    for i in prange(n_users):
        for j in range(n_bs):
            out[i, j] = utility_of_log(log_bc[i, j], alpha[i])
    return out


@njit(cache=True, inline="always")
def _interior_value(log_bc_ij, log_mu_j, mu_j, a):
    """``(z*, v)`` of an interior best response (``z* < 1``): ``v = mu z a / (1 - a)``."""
    z = np.exp(((1.0 - a) * log_bc_ij - log_mu_j) / a)
    if a == 1.0:
        return z, log_bc_ij - log_mu_j - 1.0
    return z, mu_j * z * a / (1.0 - a)


@njit(cache=True)
def _respond_general(row, u_row, a, mu, log_mu):
    """One user's best response when some BS would give it a whole band (or a = 0)."""
    best_j, best_v, best_z = -1, -np.inf, 0.0
    inner_j, inner_s = -1, -np.inf
    for j in range(row.shape[0]):
        if a == 0.0:  # linear utility: all of the band if it is worth its price, else none
            v = max(u_row[j] - mu[j], 0.0)
            if v > best_v:
                best_v, best_j = v, j
                best_z = 1.0 if u_row[j] > mu[j] else 0.0
        elif (1.0 - a) * row[j] >= log_mu[j]:  # z* = 1: the whole band
            v = u_row[j] - mu[j]
            if v > best_v:
                best_v, best_j, best_z = v, j, 1.0
        elif row[j] - log_mu[j] > inner_s:
            inner_s, inner_j = row[j] - log_mu[j], j
    if inner_j >= 0:
        z, v = _interior_value(row[inner_j], log_mu[inner_j], mu[inner_j], a)
        if v > best_v:
            best_v, best_j, best_z = v, inner_j, z
    return best_j, best_z, best_v


@njit(cache=True, inline="always")
def _respond_full(row, u_row, a, mu, log_mu):
    """One user's best response from its whole row of BSs.

    Fast path: one pass finds ``max_j (log(Bc_ij) - log mu_j)`` and the largest margin
    ``(1 - a) log(Bc_ij) - log mu_j``; if that margin is negative no BS would be bought whole
    and the winner is the first maximiser of the first quantity (see the module docstring).
    """
    s_max = -np.inf
    margin = -np.inf
    for j in range(row.shape[0]):
        s_max = max(s_max, row[j] - log_mu[j])
        margin = max(margin, (1.0 - a) * row[j] - log_mu[j])
    if a == 0.0 or margin >= 0.0:
        return _respond_general(row, u_row, a, mu, log_mu)
    j = 0
    while row[j] - log_mu[j] < s_max:
        j += 1
    z, v = _interior_value(row[j], log_mu[j], mu[j], a)
    return j, z, v


@njit(cache=True, parallel=True)
def best_response_kernel(log_bc, u_full, alpha, mu):
    """Users' stage-1 decision (eqs. (16)-(17)) for prices ``mu`` (kernel), every user
    scanning every BS.

    Returns the chosen BS, the chosen band fraction ``z*`` and the value ``v*`` per user.
    Users are independent, so the loop runs in parallel without changing any result.
    """
    n_users = log_bc.shape[0]
    log_mu = np.log(mu)
    choice = np.empty(n_users, dtype=np.int64)
    z = np.empty(n_users)
    value = np.empty(n_users)
    for i in prange(n_users):
        choice[i], z[i], value[i] = _respond_full(log_bc[i], u_full[i], alpha[i], mu, log_mu)
    return choice, z, value


CANDIDATES = 16
"""BSs with the best ``log(B c_ij)`` that each user evaluates first (see :func:`candidate_sets`)."""

CHEAP = 8
"""The cheapest BSs of the iteration, evaluated by every user besides its candidates."""


@njit(cache=True, parallel=True)
def candidate_sets(log_bc, k):
    """Each user's ``k`` BSs with the largest ``log(B c_ij)`` (kernel; one pass).

    Returns their indices (I, k) and ``log(B c_ij)`` (I, k), stored contiguously per user so
    that a best response reads them in a few cache lines, and the largest ``log(B c_ij)``
    outside them (``rest``; -inf when ``k >= J``).
    """
    n_users, n_bs = log_bc.shape
    k = min(k, n_bs)
    cand = np.empty((n_users, k), dtype=np.int64)
    cand_log = np.empty((n_users, k))
    rest = np.full(n_users, -np.inf)
    for i in prange(n_users):
        row, idx, vals = log_bc[i], cand[i], cand_log[i]
        worst, low = 0, np.inf
        for q in range(k):
            idx[q], vals[q] = q, row[q]
            if row[q] < low:
                worst, low = q, row[q]
        out = -np.inf
        for j in range(k, n_bs):
            v = row[j]
            if v <= low:
                out = max(out, v)
                continue
            out = max(out, low)
            idx[worst], vals[worst] = j, v
            worst, low = 0, vals[0]
            for q in range(1, k):
                if vals[q] < low:
                    worst, low = q, vals[q]
        rest[i] = out
    return cand, cand_log, rest


@njit(cache=True, inline="always")
def _consider(j, lb, u, a, mu, log_mu, whole_j, whole_v, inner_j, inner_s, inner_lb):
    """Fold BS ``j`` (``log(B c_ij) = lb``, ``U(B c_ij) = u``) into a user's running best
    whole-band and best interior choice, ties to the lower index (as the full scan)."""
    if (1.0 - a) * lb >= log_mu[j]:
        v = u - mu[j]
        if v > whole_v or (v == whole_v and j < whole_j):
            whole_v, whole_j = v, j
    else:
        s = lb - log_mu[j]
        if s > inner_s or (s == inner_s and j < inner_j):
            inner_s, inner_j, inner_lb = s, j, lb
    return whole_j, whole_v, inner_j, inner_s, inner_lb


@njit(cache=True, parallel=True)
def screened_best_response_kernel(log_bc, u_full, alpha, mu, cand, cand_log, cand_u, rest, u_rest, n_cheap):
    """:func:`best_response_kernel` with the same result, reading few BSs per user (kernel).

    Each user evaluates its candidate BSs (their ``log(B c)`` and ``U(B c)`` read from
    ``cand_log`` and ``cand_u``, stored contiguously) and the ``n_cheap`` cheapest BSs of the
    iteration. Every other BS has ``log(B c_ij) <= rest_i`` and a price at least ``mu_theta``
    (the cheapest price outside the cheap set), so none can reach ``rest_i - log mu_theta`` as
    an interior choice nor ``u_rest_i - mu_theta`` (``u_rest_i = U(exp(rest_i))``) as a
    whole-band choice (both values increase with ``log(B c)`` and decrease with the price; the
    utility bound carries a 1e-9 relative slack against rounding). When both bounds fall
    strictly below what the evaluated BSs reach, the evaluated winner is the full scan's
    winner, ties broken towards the lower index as the full scan does; otherwise (and for
    alpha = 0) the user scans its whole row. Returns the choice, ``z*``, ``v*``, the winner's
    ``log(B c)`` and how many users scanned.
    """
    n_users, n_bs = log_bc.shape
    log_mu = np.log(mu)
    order = np.argsort(log_mu)
    n_cheap = min(n_cheap, n_bs)
    outside = n_cheap < n_bs
    theta = log_mu[order[n_cheap]] if outside else np.inf
    mu_theta = mu[order[n_cheap]] if outside else np.inf
    cheap = order[:n_cheap].copy()
    # the cheap BSs' entries gathered in one tight pass (independent loads overlap; read
    # inside the branchy loop below, each would stall it)
    cheap_log = np.empty((n_users, n_cheap))
    cheap_u = np.empty((n_users, n_cheap))
    for i in prange(n_users):
        for q in range(n_cheap):
            cheap_log[i, q] = log_bc[i, cheap[q]]
            cheap_u[i, q] = u_full[i, cheap[q]]
    k = cand.shape[1]
    choice = np.empty(n_users, dtype=np.int64)
    z = np.empty(n_users)
    value = np.empty(n_users)
    chosen = np.empty(n_users)
    scanned = np.zeros(n_users, dtype=np.int64)
    for i in prange(n_users):
        a, row, u_row = alpha[i], log_bc[i], u_full[i]
        if a != 0.0:
            whole_j, whole_v, inner_j, inner_s, inner_lb = n_bs, -np.inf, n_bs, -np.inf, 0.0
            for q in range(k):
                whole_j, whole_v, inner_j, inner_s, inner_lb = _consider(
                    cand[i, q], cand_log[i, q], cand_u[i, q], a, mu, log_mu,
                    whole_j, whole_v, inner_j, inner_s, inner_lb)
            for q in range(n_cheap):
                whole_j, whole_v, inner_j, inner_s, inner_lb = _consider(
                    cheap[q], cheap_log[i, q], cheap_u[i, q], a, mu, log_mu,
                    whole_j, whole_v, inner_j, inner_s, inner_lb)
            s_out, whole_out = -np.inf, -np.inf
            if outside and rest[i] > -np.inf:
                s_out = rest[i] - theta
                whole_out = u_rest[i] + 1e-9 * abs(u_rest[i]) - mu_theta
            if inner_j < n_bs and s_out < inner_s:
                inner_z, inner_v = _interior_value(inner_lb, log_mu[inner_j], mu[inner_j], a)
                if whole_out < max(whole_v, inner_v):
                    if inner_v > whole_v:
                        choice[i], z[i], value[i], chosen[i] = inner_j, inner_z, inner_v, inner_lb
                    else:
                        choice[i], z[i], value[i], chosen[i] = whole_j, 1.0, whole_v, row[whole_j]
                    continue
        scanned[i] = 1
        choice[i], z[i], value[i] = _respond_full(row, u_row, a, mu, log_mu)
        chosen[i] = row[choice[i]]
    return choice, z, value, chosen, scanned.sum()


@njit(cache=True, parallel=True)
def screening_data(log_bc, u_full, alpha, k):
    """What :func:`screened_best_response_kernel` reads besides the prices: the candidate
    sets (:func:`candidate_sets`; empty for ``k = 0``), the candidates' ``U(B c)``, and
    ``U(exp(rest_i))`` per user (kernel)."""
    n_users = log_bc.shape[0]
    if k == 0:
        return np.empty((0, 0), np.int64), np.empty((0, 0)), np.empty((0, 0)), np.empty(0), np.empty(0)
    cand, cand_log, rest = candidate_sets(log_bc, k)
    cand_u = np.empty(cand_log.shape)
    u_rest = np.full(n_users, -np.inf)
    for i in prange(n_users):
        for q in range(cand.shape[1]):
            cand_u[i, q] = u_full[i, cand[i, q]]
        if rest[i] > -np.inf:
            u_rest[i] = utility_of_log(rest[i], alpha[i])
    return cand, cand_log, cand_u, rest, u_rest


@njit(cache=True)
def pricing_kernel(log_bc, u_full, alpha, mu0, step0, mu_min, n_iter, screen=True):
    """Algorithm 2 of paper B (kernel; trusts its inputs).

    ``screen`` uses :func:`screened_best_response_kernel` (the same iterates, tested bit for
    bit) on networks of more than ``CANDIDATES + CHEAP`` BSs; ``False``, or a smaller
    network, scans every BS for every user.

    Returns the best-HAF association, the per-iteration HAF and dual value, the
    per-iteration sum of |subgradient|, the final prices and the share of user responses
    that scanned their whole row.
    """
    n_users, n_bs = log_bc.shape
    screen = screen and n_bs > CANDIDATES + CHEAP  # below that every BS is evaluated anyway
    cand, cand_log, cand_u, rest, u_rest = screening_data(log_bc, u_full, alpha, CANDIDATES if screen else 0)
    mu = mu0.copy()
    haf_history = np.empty(n_iter)
    dual_history = np.empty(n_iter)
    demand_gap = np.empty(n_iter)
    best_choice = np.zeros(n_users, dtype=np.int64)
    best_haf = -np.inf
    scanned = 0
    for t in range(n_iter):
        if screen:
            choice, z, value, chosen, full = screened_best_response_kernel(
                log_bc, u_full, alpha, mu, cand, cand_log, cand_u, rest, u_rest, CHEAP)
            scanned += full
        else:
            choice, z, value = best_response_kernel(log_bc, u_full, alpha, mu)
            chosen = chosen_log_bc(log_bc, choice)
            scanned += n_users
        # eq. (18): the dual function at the current prices
        dual = 0.0
        for i in range(n_users):
            dual += value[i]
        for j in range(n_bs):
            dual += mu[j]
        dual_history[t] = dual
        # stage 2: Algorithm 1 on the users each BS attracted
        total = parallel_chosen_value(chosen, alpha, choice, n_bs)
        haf_history[t] = total
        if total > best_haf:
            best_haf = total
            best_choice[:] = choice
        # eq. (19): projected subgradient step on the prices
        demand = np.zeros(n_bs)
        for i in range(n_users):
            demand[choice[i]] += z[i]
        step = step0 / np.sqrt(t + 1.0)
        gap = 0.0
        for j in range(n_bs):
            g = 1.0 - demand[j]
            gap += abs(g)
            mu[j] = max(mu_min, mu[j] - step * g)
        demand_gap[t] = gap
    return best_choice, haf_history, dual_history, demand_gap, mu, scanned / (n_users * n_iter)


@dataclass(frozen=True)
class PricingResult:
    """Outcome of Algorithm 2.

    Attributes
    ----------
    association : ndarray of int, shape (I,)
        Serving BS of each user (the best-HAF iterate).
    allocation : Allocation
        Algorithm-1 bandwidth for that association.
    haf_history : ndarray, shape (T,)
        HAF of the iterate ``(x_t, Algorithm-1 y)`` at each iteration.
    dual_history : ndarray, shape (T,)
        Dual function ``D(mu_t)`` at each iteration (upper bound on the optimal HAF).
    subgradient_norm1 : ndarray, shape (T,)
        ``sum_j |1 - sum_{i -> j} z*_ij|`` at each iteration.
    prices : ndarray, shape (J,)
        Final prices ``mu``.
    initial_price : float
        ``mu_0``: the constant all BSs started from (geometric mean of the starting prices).
    step0 : float
        ``delta_0`` of the step rule ``delta_0 / sqrt(t)``.
    """

    association: np.ndarray
    allocation: Allocation
    haf_history: np.ndarray
    dual_history: np.ndarray
    subgradient_norm1: np.ndarray
    prices: np.ndarray
    initial_price: float
    step0: float

    @property
    def haf(self) -> float:
        """HAF of the returned solution."""
        return self.allocation.haf

    @property
    def upper_bound(self) -> float:
        """Best (smallest) dual value seen: ``min_t D(mu_t)``."""
        return float(np.min(self.dual_history))

    @property
    def duality_gap(self) -> float:
        """``min_t D(mu_t) - HAF``, >= 0 by weak duality."""
        return self.upper_bound - self.haf


def _check_prices(mu, n_bs):
    return as_float_array("prices", mu, ndim=1, shape=(n_bs,), strictly_positive=True)


def best_response(
    spectral_efficiency: np.ndarray, alpha: np.ndarray, prices: np.ndarray, bandwidth: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every user's best BS at the given prices (stage 1 of Algorithm 2, eqs. (16)-(17)).

    Parameters
    ----------
    spectral_efficiency : ndarray, shape (I, J)
        ``c_ij`` in bit/s/Hz, > 0.
    alpha : ndarray, shape (I,)
        User alphas, >= 0.
    prices : ndarray, shape (J,)
        BS prices ``mu_j`` > 0, in utility per unit of band.
    bandwidth : float
        ``B`` in the rate unit.

    Returns
    -------
    choice : ndarray of int, shape (I,)
    z : ndarray, shape (I,)
        Band fraction each user would buy from its chosen BS.
    value : ndarray, shape (I,)
        ``max_j v_ij(mu)``.
    """
    se, alpha, bandwidth = as_problem(spectral_efficiency, alpha, bandwidth)
    prices = _check_prices(prices, se.shape[1])
    log_bc = np.log(bandwidth * se)
    return best_response_kernel(log_bc, full_band_utility(log_bc, alpha), alpha, prices)


def dual_value(
    spectral_efficiency: np.ndarray, alpha: np.ndarray, prices: np.ndarray, bandwidth: float = 1.0
) -> float:
    """Dual function ``D(mu) = sum_i max_j v_ij(mu) + sum_j mu_j`` (eq. (18) of paper B)."""
    _, _, value = best_response(spectral_efficiency, alpha, prices, bandwidth)
    return float(np.sum(value) + np.sum(prices))


def default_initial_price(se: np.ndarray, alpha: np.ndarray, bandwidth: float) -> float:
    """Our constant initial price: geometric mean of the Max-SINR Algorithm-1 multipliers.

    Raises
    ------
    ValueError
        The price does not fit in a float (large alphas with tiny rates: the marginal
        utility ``r^-alpha`` overflows); the message asks for an explicit ``initial_price``.
    """
    allocation = allocate_bandwidth(se, alpha, np.argmax(se, axis=1), bandwidth)
    occupied = np.isfinite(allocation.log_multiplier)
    log_price = float(np.mean(allocation.log_multiplier[occupied]))
    if not abs(log_price) < np.log(np.finfo(np.float64).max):
        raise ValueError(
            f"the default initial price, e^{log_price:.0f}, is outside the range of a float: at "
            f"alphas up to {alpha.max():g} with efficiencies down to {se.min():.3g} bit/s/Hz the "
            "marginal utilities r^-alpha overflow; pass initial_price (and expect the HAF itself "
            "to reach -inf), or use smaller alphas")
    return float(np.exp(log_price))


def price_association(
    spectral_efficiency: np.ndarray,
    alpha: np.ndarray,
    bandwidth: float = 1.0,
    n_iter: int = 300,
    initial_price: float | np.ndarray | None = None,
    step_scale: float = 0.5,
) -> PricingResult:
    """Joint user association and bandwidth allocation by HAF pricing (Algorithm 2, paper B).

    Parameters
    ----------
    spectral_efficiency : ndarray, shape (I, J)
        ``c_ij`` in bit/s/Hz, > 0.
    alpha : ndarray, shape (I,)
        Fairness parameter of each user, >= 0.
    bandwidth : float
        ``B`` in the rate unit (1.0: rates in bit/s/Hz).
    n_iter : int
        Number of subgradient iterations ``T``.
    initial_price : float or ndarray of shape (J,), optional
        Starting prices: one constant for every BS (default: see
        :func:`default_initial_price`), or one price per BS, e.g. the final prices of the
        previous time slot. Their geometric mean ``mu_0`` sets the step ``delta_0`` and the
        price floor.
    step_scale : float
        ``delta_0 / mu_0``.

    Returns
    -------
    PricingResult
    """
    se, alpha, bandwidth = as_problem(spectral_efficiency, alpha, bandwidth)
    n_iter = as_count("n_iter", n_iter, 1)
    step_scale = as_positive_scalar("step_scale", step_scale)
    if initial_price is None:
        initial_price = default_initial_price(se, alpha, bandwidth)
    if np.ndim(initial_price) == 0:
        mu0 = np.full(se.shape[1], as_positive_scalar("initial_price", initial_price))
    else:
        mu0 = as_float_array("initial_price", initial_price, ndim=1, shape=(se.shape[1],),
                             strictly_positive=True).copy()
    scale = float(np.exp(np.mean(np.log(mu0))))
    log_bc = np.log(bandwidth * se)
    u_full = full_band_utility(log_bc, alpha)
    step0 = step_scale * scale
    choice, haf_hist, dual_hist, gap, mu, _ = pricing_kernel(
        log_bc, u_full, alpha, mu0, step0, MIN_PRICE_FRACTION * scale, n_iter
    )
    allocation = allocate_bandwidth(se, alpha, choice, bandwidth)
    return PricingResult(choice, allocation, haf_hist, dual_hist, gap, mu, scale, step0)

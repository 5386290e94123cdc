"""Plain-NumPy twins of the numba kernels.

Written independently of the kernels (vectorised array code, the textbook form of each
equation, bisection instead of Newton) so that the tests can check each kernel against them
and ``make bench`` can report each kernel's speed-up. Not used by the library itself.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "sinr_matrix_np",
    "alpha_utility_np",
    "allocate_bandwidth_np",
    "best_response_np",
    "price_association_np",
    "brute_force_association",
    "authors_sinr_np",
    "dual_log_association_np",
    "authors_association_np",
    "interference_weighted_power_np",
]


def sinr_matrix_np(gain: np.ndarray, power_w: np.ndarray, noise_w: float) -> np.ndarray:
    """Eq. (4): explicit sum of the other BSs' received power, (I, J, J) masked."""
    rx = gain * power_w[None, :]
    others = ~np.eye(gain.shape[1], dtype=bool)
    interference = np.einsum("ik,jk->ij", rx, others.astype(float))
    return rx / (interference + noise_w)


def alpha_utility_np(rate: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Eq. (9) written directly: ``r**(1-a)/(1-a)``, ``log r`` at ``a = 1``."""
    rate = np.asarray(rate, dtype=float)
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), rate.shape)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        power = np.power(rate, 1.0 - alpha) / (1.0 - alpha)
        return np.where(alpha == 1.0, np.log(rate), power)


def allocate_bandwidth_np(
    se: np.ndarray, alpha: np.ndarray, association: np.ndarray, bandwidth: float = 1.0,
    n_bisect: int = 200,
) -> np.ndarray:
    """Algorithm 1 by plain bisection on ``lambda`` in log space, all BSs at once.

    Positive alphas only (the scenarios never draw 0). Returns the fractions ``y``.
    """
    n_users, n_bs = se.shape
    bc = bandwidth * se[np.arange(n_users), association]

    def demand(log_lam):
        y = (bc ** (1.0 - alpha) / np.exp(log_lam[association])) ** (1.0 / alpha)
        return y, np.bincount(association, weights=y, minlength=n_bs)

    lo = np.full(n_bs, -800.0)
    hi = np.full(n_bs, 800.0)
    for _ in range(n_bisect):
        mid = 0.5 * (lo + hi)
        with np.errstate(over="ignore"):
            _, total = demand(mid)
        too_much = total > 1.0
        lo = np.where(too_much, mid, lo)
        hi = np.where(too_much, hi, mid)
    y, total = demand(0.5 * (lo + hi))
    return y / total[association]


def best_response_np(
    se: np.ndarray, alpha: np.ndarray, prices: np.ndarray, bandwidth: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eqs. (16)-(17) on the full matrix: ``z*`` clipped at 1, ``v = U(Bcz) - mu z``."""
    bc = bandwidth * se
    a = alpha[:, None]
    with np.errstate(over="ignore"):
        z = np.minimum(1.0, (bc ** (1.0 - a) / prices[None, :]) ** (1.0 / a))
    value = alpha_utility_np(bc * z, a) - prices[None, :] * z
    choice = np.argmax(value, axis=1)
    rows = np.arange(se.shape[0])
    return choice, z[rows, choice], value[rows, choice]


def price_association_np(
    se: np.ndarray, alpha: np.ndarray, initial_price: float, step0: float, n_iter: int,
    bandwidth: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Algorithm 2 in plain NumPy; returns (best association, HAF history, dual history)."""
    n_users, n_bs = se.shape
    mu = np.full(n_bs, float(initial_price))
    mu_min = 1e-9 * initial_price
    haf_hist = np.empty(n_iter)
    dual_hist = np.empty(n_iter)
    best, best_haf = None, -np.inf
    for t in range(n_iter):
        choice, z, value = best_response_np(se, alpha, mu, bandwidth)
        dual_hist[t] = value.sum() + mu.sum()
        y = allocate_bandwidth_np(se, alpha, choice, bandwidth)
        rate = bandwidth * y * se[np.arange(n_users), choice]
        haf_hist[t] = alpha_utility_np(rate, alpha).sum()
        if haf_hist[t] > best_haf:
            best, best_haf = choice.copy(), haf_hist[t]
        demand = np.bincount(choice, weights=z, minlength=n_bs)
        mu = np.maximum(mu_min, mu - step0 / np.sqrt(t + 1.0) * (1.0 - demand))
    return best, haf_hist, dual_hist


def brute_force_association(
    se: np.ndarray, alpha: np.ndarray, bandwidth: float = 1.0
) -> tuple[np.ndarray, float]:
    """Exact optimum of problem P1 by enumerating all ``J**I`` associations.

    Each association gets its optimal bandwidth from the NumPy Algorithm-1 twin, so the
    maximum over associations is the global optimum of P1. Tiny instances only.
    """
    import itertools

    n_users, n_bs = se.shape
    if n_bs**n_users > 200_000:
        raise ValueError(f"{n_bs}**{n_users} associations is too many to enumerate")
    best, best_haf = None, -np.inf
    rows = np.arange(n_users)
    for assoc in itertools.product(range(n_bs), repeat=n_users):
        assoc = np.asarray(assoc)
        y = allocate_bandwidth_np(se, alpha, assoc, bandwidth)
        value = alpha_utility_np(bandwidth * y * se[rows, assoc], alpha).sum()
        if value > best_haf:
            best, best_haf = assoc, value
    return best, float(best_haf)


# Paper A, the authors' routines (twins of hudnlib.baselines.paper_a_authors' kernels),
# written as whole-array updates in the authors' (BS, UE) orientation.


def authors_sinr_np(gain: np.ndarray, power: np.ndarray, noise: float) -> np.ndarray:
    """``calculatingRateSINR``'s SINR (+1e-16), (I, J), every BS interfering."""
    rx = (gain * power).T  # (J, I)
    return (rx / (rx.sum(axis=0) - rx + noise) + 1e-16).T


def dual_log_association_np(c: np.ndarray, n_iter: int, step: float) -> np.ndarray:
    """``max_utility_*``'s dual loop on utilities ``c`` (I, J)."""
    cb = c.T  # (J, I)
    mu = np.full(cb.shape[0], np.log(cb.shape[1]))
    for _ in range(n_iter):
        assoc = np.argmax(cb - mu[:, None], axis=0)
        load = np.bincount(assoc, minlength=cb.shape[0])
        mu = mu - step * (np.exp(mu - 1.0) - load)
    return assoc


def authors_association_np(value: np.ndarray, prior: np.ndarray, n_pass: int) -> tuple[np.ndarray, int]:
    """``maxEffectiveRate_*``'s association loop from the 0/1 matrix ``prior`` (I, J), in
    the routine's own (J, I) layout, entry by entry where it works entry by entry: the
    association of the last pass and the number of passes."""
    v = value.T
    x = prior.T.copy()
    y = x.sum(axis=1)
    mu = np.array([[x[n, k] / (1 + y[n]) for k in range(x.shape[1])] for n in range(x.shape[0])])
    beta = np.array([[v[n, k] / (1 + y[n]) for k in range(x.shape[1])] for n in range(x.shape[0])])
    for done in range(1, n_pass + 1):
        utility = beta - np.array([sum(mu[n, k] * beta[n, k] for k in range(x.shape[1]))
                                   for n in range(x.shape[0])])[:, None]
        x = np.zeros_like(x)
        x[np.argmax(utility, axis=0), np.arange(x.shape[1])] = 1.0
        y = x.sum(axis=1)
        sx1 = x - mu * (1 + y)[:, None]
        sx2 = v - beta * (1 + y)[:, None]
        if sx1.all() == 0 and sx2.all() == 0:  # the routine's own test: one zero in each
            break
        phi1, varphi1 = -sx1, -sx2
        before = np.sum(phi1 ** 2) + np.sum(varphi1 ** 2)
        for t in range(50):  # mu and beta move at every trial step (the routine's alias)
            mu = mu - 0.5 ** t * phi1 / (1 + y)[:, None]
            beta = beta - 0.5 ** t * varphi1 / (1 + y)[:, None]
            after = np.sum((mu * (1 + y)[:, None] - x) ** 2) + np.sum((beta * (1 + y)[:, None] - v) ** 2)
            if after <= (1 - 1e-3 * 0.5 ** t) ** 2 * before:
                break
        mu = mu - 0.5 ** t * phi1 / (1 + y)[:, None]
        beta = beta - 0.5 ** t * varphi1 / (1 + y)[:, None]
        mu = mu / np.sum(mu)
    return np.argmax(x, axis=0), done


def interference_weighted_power_np(
    gain: np.ndarray, weight: np.ndarray, scale: float, power: np.ndarray, p_max: np.ndarray,
    noise: float, n_iter: int,
) -> np.ndarray:
    """The authors' power update p_m = min(sum_k w_km / S1_m, p_max_m), ``n_iter`` times."""
    g, w = gain.T, weight.T  # (J, I)
    p = power.copy()
    for _ in range(n_iter):
        rx = g * p[:, None]
        s = scale * w / (rx.sum(axis=0) - rx + noise)
        s1 = np.sum(g * (s.sum(axis=0) - s), axis=1)
        p = np.minimum(w.sum(axis=1) / s1, p_max)
    return p

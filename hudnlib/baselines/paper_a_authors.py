"""Paper A's five optimisation baselines as the authors' public code runs them.

The reading "as the authors ran it" of paper A (see the book's appendix on paper A): our own
re-implementation of what ``util.py`` of the authors' repository (zachary2wave/RA-JIOT)
computes, called the way ``Performance_test.py`` calls it, defects included. Each function
names the behaviour it reproduces; none of the authors' code is copied.

Units follow the authors' code: powers are read relative to the smallest maximum power
(their small BS has power 1), and their internal noise floors are constants in that unit
(:data:`RATE_NOISE`, :data:`POWER_NOISE`). Gains are linear, shape ``(I, J)`` (UE, BS).

``method(gain, p_max_w, noise_w, detectable, rng) -> PowerSolution`` as for the corrected
baselines; the association is not limited to ``detectable`` (the authors' baselines never
read the graph), and the rates are evaluated as ``util.py``'s ``calcul_rate`` does: only
BSs that serve a UE interfere.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit

from hudnlib.baselines.paper_a import PowerSolution, check_event, juapcmwser, maramp, uamwser
from hudnlib.effective_rate import rates_kernel
from hudnlib.radio import sinr_kernel

__all__ = [
    "AUTHORS_METHODS",
    "DEFECTS_FIXED",
    "RATE_NOISE",
    "POWER_NOISE",
    "maramp_authors",
    "msuamp_authors",
    "msuapc_authors",
    "msuapc_ln_rate",
    "uamwser_authors",
    "juapcmwser_authors",
]

RATE_NOISE = 1e-17
"""Noise inside the authors' ``calculatingRateSINR`` (their power unit)."""

POWER_NOISE = 1e-16
"""Noise inside the authors' ``calculatingSimpleSINR`` / ``calculatingSimpleSINR_2``."""

TINY = 1e-16
"""The authors add this to every SINR and every rate of ``calculatingRateSINR``."""


@njit(cache=True)
def _sinr_plus(gain, power, noise):
    """``calculatingRateSINR``: SINR + 1e-16 with every BS interfering, and log2(1 + that) + 1e-16."""
    n_ue, n_bs = gain.shape
    sinr = np.empty((n_ue, n_bs))
    rate = np.empty((n_ue, n_bs))
    for i in range(n_ue):
        total = 0.0
        for j in range(n_bs):
            total += power[j] * gain[i, j]
        for j in range(n_bs):
            rx = power[j] * gain[i, j]
            sinr[i, j] = rx / (total - rx + noise) + TINY
            rate[i, j] = np.log2(1.0 + sinr[i, j]) + TINY
    return sinr, rate


@njit(cache=True)
def _dual_log_association(c, n_iter, step):
    """``max_utility_*``'s dual loop: x_i = argmax_j (c_ij - mu_j), y = exp(mu - 1),
    mu <- mu - step (y - load), from mu = log I; returns the last iterate's association."""
    n_ue, n_bs = c.shape
    mu = np.full(n_bs, np.log(n_ue))
    assoc = np.zeros(n_ue, np.int64)
    for _ in range(n_iter):
        load = np.zeros(n_bs)
        for i in range(n_ue):
            best, arg = -np.inf, 0
            for j in range(n_bs):
                u = c[i, j] - mu[j]
                if best < u:
                    best, arg = u, j
            assoc[i] = arg
            load[arg] += 1.0
        for j in range(n_bs):
            mu[j] -= step * (np.exp(mu[j] - 1.0) - load[j])
    return assoc


LINE_SEARCH_STEPS = 50
"""Backtracking steps of the routine's dual update (step ``0.5^t``, ``t < 50``)."""


@njit(cache=True)
def _authors_association(value, prior, n_pass):
    """``maxEffectiveRate_*``'s association loop: up to ``n_pass`` passes from ``prior``.

    ``prior`` (I, J) holds the 0/1 matrix the routine starts from; with y_j its column
    sums, mu = prior / (1 + y) and beta = value / (1 + y). A pass gives each UE
    argmax_j (beta_ij - sum_k mu_kj beta_kj) and recounts y; the routine stops when its
    test ``sx1.all() == 0 and sx2.all() == 0`` holds (one entry of sx1 = x - mu (1 + y)
    and one of sx2 = value - beta (1 + y) is zero), else it moves mu and beta by a
    backtracking step along their residuals (the step first accepted is applied once more,
    as the routine does through an alias) and renormalises mu to sum 1.

    Returns the association of the last pass, whether the stop test ended the loop, and
    the number of passes run. As run on the authors' events the test holds after the first
    pass (it did on every event checked); the later passes are the fallback that keeps the
    routine's result correct where it does not.
    """
    n_ue, n_bs = value.shape
    y = prior.sum(axis=0)
    mu = prior / (1.0 + y)
    beta = value / (1.0 + y)
    assoc = np.zeros(n_ue, np.int64)
    stopped = False
    passes = 0
    while passes < n_pass:
        passes += 1
        penalty = np.zeros(n_bs)
        for j in range(n_bs):
            for i in range(n_ue):
                penalty[j] += mu[i, j] * beta[i, j]
        x = np.zeros((n_ue, n_bs))
        for i in range(n_ue):
            best, arg = -np.inf, 0
            for j in range(n_bs):
                u = beta[i, j] - penalty[j]
                if best < u:
                    best, arg = u, j
            assoc[i] = arg
            x[i, arg] = 1.0
        y = x.sum(axis=0)
        phi = mu * (1.0 + y) - x
        varphi = beta * (1.0 + y) - value
        if np.any(phi == 0.0) and np.any(varphi == 0.0):  # -sx1 and -sx2 hold a zero
            stopped = True
            break
        base = np.sum(phi ** 2) + np.sum(varphi ** 2)
        step = 1.0
        for t in range(LINE_SEARCH_STEPS):
            step = 0.5 ** t
            mu = mu - step * phi / (1.0 + y)
            beta = beta - step * varphi / (1.0 + y)
            residual = np.sum((mu * (1.0 + y) - x) ** 2) + np.sum((beta * (1.0 + y) - value) ** 2)
            if residual <= (1.0 - 1e-3 * step) ** 2 * base:
                break
        mu = mu - step * phi / (1.0 + y)
        beta = beta - step * varphi / (1.0 + y)
        mu = mu / np.sum(mu)
    return assoc, stopped, passes


@njit(cache=True)
def _interference_weighted_power(gain, weight, scale, power, p_max, noise, n_iter):
    """The authors' power update: with s_kj = scale w_kj / (sum_n p_n g_kn - p_j g_kj + noise),
    p_m = min(sum_k w_km / sum_{n != m} sum_k s_kn g_km, p_max_m), repeated ``n_iter`` times
    from ``power``. MSUAPC: w = x (0/1), scale = ln 2; JUAPCMWSER: w = z = x / K, scale = 1."""
    n_ue, n_bs = gain.shape
    p = power.copy()
    s = np.empty((n_ue, n_bs))
    for _ in range(n_iter):
        for i in range(n_ue):
            total = 0.0
            for j in range(n_bs):
                total += p[j] * gain[i, j]
            for j in range(n_bs):
                s[i, j] = scale * weight[i, j] / (total - p[j] * gain[i, j] + noise)
        s_sum = s.sum(axis=1)
        for m in range(n_bs):
            num, den = 0.0, 0.0
            for i in range(n_ue):
                num += weight[i, m]
                den += gain[i, m] * (s_sum[i] - s[i, m])
            p[m] = min(num / den, p_max[m]) if den > 0.0 else (p_max[m] if num > 0.0 else 0.0)
    return p


def _unit(p_max_w):
    return p_max_w.min()


def _solution(gain, power, noise, assoc, **diagnostics):
    return PowerSolution(assoc, power, rates_kernel(gain, power, noise, assoc, True), diagnostics)


def maramp_authors(gain, p_max_w, noise_w, detectable=None, rng=None) -> PowerSolution:
    """MARAMP as run: ``max_SINR_without_PC(pl, P)`` with P in linear units inside a dB formula.

    The received power is computed as ``10^((P - PL_dB)/10)`` with ``P`` the *linear*
    maximum power in the authors' unit (macro 10^1.6 = 39.8, small 1), so a macro BS
    counts 38.8 dB above a small BS instead of 16 dB: nearly every UE goes to a macro.
    No noise; every BS interferes. Then maximum power.
    """
    gain, p_max_w, noise_w, _ = check_event(gain, p_max_w, noise_w, detectable)
    # 10^((P_lin - PL_dB)/10) = g 10^(P_lin/10): the defect acts as powers 10^(P_lin/10).
    sinr = sinr_kernel(gain, 10.0 ** (p_max_w / _unit(p_max_w) / 10.0), 0.0)
    return _solution(gain, p_max_w, noise_w, np.argmax(sinr, axis=1))


def msuamp_authors(gain, p_max_w, noise_w, detectable=None, rng=None) -> PowerSolution:
    """MSUAMP as run: ``max_utility_without_PC`` on ``c = log(log2(1 + SINR))`` at maximum
    power, 150 dual iterations of step 1e-2 from mu = log I; the last iterate's association."""
    gain, p_max_w, noise_w, _ = check_event(gain, p_max_w, noise_w, detectable)
    unit = _unit(p_max_w)
    _, rate = _sinr_plus(gain, p_max_w / unit, RATE_NOISE)
    return _solution(gain, p_max_w, noise_w, _dual_log_association(np.log(rate), 150, 1e-2))


def msuapc_authors(gain, p_max_w, noise_w, detectable=None, rng=None, swapped: bool = True) -> PowerSolution:
    """MSUAPC as run: ``max_utility_with_PC``, whose ``rate, SINR = calculatingRateSINR(...)``
    swaps the two outputs (``util.py`` ~l.260 and ~l.304), so the utility it maximises is
    ln SINR, not ln rate (``swapped=False``: the defect fixed).

    20 rounds of (150 dual iterations of step 2e-2 from mu = log I; 15 power updates from
    maximum power with weights x ln 2); returns the last round's association and powers.
    """
    gain, p_max_w, noise_w, _ = check_event(gain, p_max_w, noise_w, detectable)
    unit = _unit(p_max_w)
    p_max = p_max_w / unit
    sinr, rate = _sinr_plus(gain, p_max, RATE_NOISE)
    c = np.log(sinr if swapped else rate)
    for _ in range(20):
        assoc = _dual_log_association(c, 150, 2e-2)
        weight = np.zeros_like(gain)
        weight[np.arange(len(assoc)), assoc] = 1.0
        power = _interference_weighted_power(gain, weight, np.log(2.0), p_max, p_max, POWER_NOISE, 15)
        sinr, rate = _sinr_plus(gain, power, RATE_NOISE)
        c = np.log((sinr if swapped else rate) + 1e-30)
    return _solution(gain, power * unit, noise_w, assoc)


def msuapc_ln_rate(gain, p_max_w, noise_w, detectable=None, rng=None) -> PowerSolution:
    """MSUAPC as run but with its swapped outputs put right: it maximises ln rate."""
    return msuapc_authors(gain, p_max_w, noise_w, detectable, rng, swapped=False)


def uamwser_authors(gain, p_max_w, noise_w, detectable=None, rng=None) -> PowerSolution:
    """UAMWSER as run: ``maxEffectiveRate_without_PC`` on ``log2(1 + SINR)`` at maximum power.

    Its initial loop sets ``id = n`` outside the ``if``, so every UE starts on the last BS;
    its stop test ``sx1.all() == 0 and sx2.all() == 0`` is true as soon as one entry of each
    is zero, which holds after the first pass whenever some BS other than the last is idle
    before and after it; the association is then that first pass (diagnostic
    ``first_pass_stop``). Where the test fails, the routine's later passes run (up to its
    150; diagnostic ``passes``).
    """
    gain, p_max_w, noise_w, _ = check_event(gain, p_max_w, noise_w, detectable)
    _, rate = _sinr_plus(gain, p_max_w / _unit(p_max_w), RATE_NOISE)
    prior = np.zeros_like(gain)
    prior[:, -1] = 1.0
    assoc, stop, passes = _authors_association(rate, prior, 150)
    return _solution(gain, p_max_w, noise_w, assoc, first_pass_stop=bool(stop and passes == 1),
                     passes=int(passes))


def juapcmwser_authors(gain, p_max_w, noise_w, detectable=None, rng=None) -> PowerSolution:
    """JUAPCMWSER as run: ``maxEffectiveRate_with_PC``, 30 rounds of (the first-pass
    association of UAMWSER run on SINR, not on rate, starting from the previous round's
    association plus every UE on the last BS; 50 power updates with weights z = x / K).

    The power update ``p_m = min(sum_k z_km / S1, p_max)`` gives 0 only to idle BSs. Where
    the association's stop test fails after a first pass, its later passes run (up to 50).
    """
    gain, p_max_w, noise_w, _ = check_event(gain, p_max_w, noise_w, detectable)
    unit = _unit(p_max_w)
    p_max = p_max_w / unit
    sinr, _ = _sinr_plus(gain, p_max, RATE_NOISE)
    prior = np.zeros_like(gain)
    power = p_max.copy()
    stops = 0
    rows = np.arange(gain.shape[0])
    for _ in range(30):
        prior[:, -1] = 1.0
        assoc, stop, passes = _authors_association(sinr, prior, 50)
        stops += stop and passes == 1
        load = np.bincount(assoc, minlength=gain.shape[1]).astype(float)
        weight = np.zeros_like(gain)
        weight[rows, assoc] = 1.0 / load[assoc]
        power = _interference_weighted_power(gain, weight, 1.0, p_max, p_max, POWER_NOISE, 50)
        sinr, _ = _sinr_plus(gain, power, RATE_NOISE)
        prior = np.zeros_like(gain)
        prior[rows, assoc] = 1.0
    return _solution(gain, power * unit, noise_w, assoc, first_pass_stop=stops == 30)


AUTHORS_METHODS: dict[str, Callable[..., PowerSolution]] = {
    "MARAMP": maramp_authors,
    "MSUAMP": msuamp_authors,
    "MSUAPC": msuapc_authors,
    "UAMWSER": uamwser_authors,
    "JUAPCMWSER": juapcmwser_authors,
}
"""Paper A's baselines as the authors' code runs them, in Table II order."""

DEFECTS_FIXED: dict[str, Callable[..., PowerSolution]] = {
    "MARAMP-dB-fixed": maramp,
    "MSUAPC-ln-rate": msuapc_ln_rate,
    "UAMWSER-converged": uamwser,
    "JUAPCMWSER-ours": juapcmwser,
}
"""Extra rows that measure what each defect does: the same setting with the defect removed
(MARAMP: plain max-SINR; MSUAPC: ln rate; UAMWSER and JUAPCMWSER: our load-aware search and
power control of :mod:`hudnlib.baselines.paper_a`, run to convergence, no graph restriction)."""

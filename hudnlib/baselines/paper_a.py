"""Paper A's five optimisation baselines (Tables II-III) under the "corrected" reading.

``method(gain, p_max_w, noise_w, detectable, rng) -> PowerSolution``; :data:`METHODS` maps
the paper's names to them. A UE may only be associated with a BS that detects it (an edge
of the paper's graph); every BS that transmits interferes; a BS that serves a UE is never
switched off (the paper's problem serves every UE). What the authors' code does instead is
in :mod:`hudnlib.baselines.paper_a_authors`.

Reconstruction (the paper names the methods and solves the stated problem; see the book's
appendix on paper A):

- **MARAMP**: every UE to its maximum-SINR BS, all BSs at maximum power.
- **MSUAMP**: maximum sum-utility association (sum of log effective rates, Ye et al. 2013)
  by pricing (:func:`hudnlib.pricing.price_association` with every alpha = 1, i.e. the
  load-aware PF rule), then a load-aware local search on the same utility; maximum power.
- **MSUAPC**: MSUA alternated with per-BS power control on the same utility until neither
  step improves it.
- **UAMWSER**: association maximising the total effective rate R (eq. 6) at maximum power,
  by best-improvement single-UE moves from MARAMP.
- **JUAPCMWSER**: UAMWSER alternated with per-BS power control maximising R.

Power control is a coordinate ascent over 11 levels per BS (0 and -27..0 dB of its
maximum in 3 dB steps; 0 only for idle BSs); it only accepts improvements, so a
power-controlled method never ends below its maximum-power start on the same association.
``JUAPCMWSER-switch-off`` (ours, an extra row) may also switch off serving BSs: its total
rate is higher, but the UEs of a switched-off BS get rate 0, which the paper's problem does
not allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hudnlib.effective_rate import (
    SUM_LOG_RATE,
    SUM_RATE,
    load_aware_search_kernel,
    power_control_kernel,
    rates_kernel,
)
from hudnlib.pricing import price_association
from hudnlib.radio import sinr_kernel
from hudnlib.validation import as_float_array, as_mask, as_positive_scalar

__all__ = ["PowerSolution", "METHODS", "POWER_LEVELS", "check_event", "maramp", "msuamp", "msuapc",
           "uamwser", "juapcmwser", "juapcmwser_switch_off"]

POWER_LEVELS = np.r_[0.0, 10.0 ** (-np.arange(9, -1, -1) * 0.3)]
"""Power-control grid as fractions of a BS's maximum power: off, -27 dB, ..., 0 dB."""

UNDETECTED = 1e-300
"""Spectral efficiency given to undetectable pairs in the pricing step: never chosen."""


@dataclass(frozen=True)
class PowerSolution:
    """A method's answer for one event."""

    association: np.ndarray
    power_w: np.ndarray
    rate: np.ndarray
    diagnostics: dict = field(default_factory=dict)

    @property
    def total_rate(self) -> float:
        """Total effective rate R (eq. 6), bit/s/Hz."""
        return float(np.sum(self.rate))


def check_event(gain, p_max_w, noise_w, detectable):
    """Validate one event of paper A; ``detectable=None`` allows every BS (no graph restriction).

    Raises ``ValueError`` naming the argument: gains not finite and > 0, powers not > 0,
    noise not > 0, a mask that is not boolean or of the wrong shape, or a UE that no BS
    detects.
    """
    gain = as_float_array("gain", gain, ndim=2, strictly_positive=True)
    p_max_w = as_float_array("p_max_w", p_max_w, ndim=1, shape=(gain.shape[1],), strictly_positive=True)
    noise_w = as_positive_scalar("noise_w", noise_w)
    if detectable is None:
        return gain, p_max_w, noise_w, np.ones(gain.shape, dtype=bool)
    detectable = as_mask("detectable", detectable, gain.shape)
    if not detectable.any(axis=1).all():
        first = int(np.flatnonzero(~detectable.any(axis=1))[0])
        raise ValueError(f"detectable leaves UE {first} with no BS to associate with")
    return gain, p_max_w, noise_w, detectable


def _max_sinr(gain, power, noise, detectable):
    se = np.log2(1.0 + sinr_kernel(gain, power, noise))
    return np.argmax(np.where(detectable, se, -1.0), axis=1), se


def _solution(gain, power, noise, assoc, **diagnostics):
    return PowerSolution(assoc, power, rates_kernel(gain, power, noise, assoc, False), diagnostics)


def maramp(gain, p_max_w, noise_w, detectable, rng=None) -> PowerSolution:
    """MARAMP: maximum achievable rate (max-SINR) association at maximum power."""
    gain, p_max_w, noise_w, detectable = check_event(gain, p_max_w, noise_w, detectable)
    assoc, _ = _max_sinr(gain, p_max_w, noise_w, detectable)
    return _solution(gain, p_max_w, noise_w, assoc)


def _msua(gain, power, noise, detectable):
    _, se = _max_sinr(gain, power, noise, detectable)
    se = np.maximum(se, UNDETECTED)
    priced = price_association(np.where(detectable, se, UNDETECTED), np.ones(gain.shape[0]), n_iter=150)
    assoc, _ = load_aware_search_kernel(se, detectable, priced.association, SUM_LOG_RATE, 10_000)
    return assoc


def msuamp(gain, p_max_w, noise_w, detectable, rng=None) -> PowerSolution:
    """MSUAMP: maximum sum-utility (sum log rate) association at maximum power."""
    gain, p_max_w, noise_w, detectable = check_event(gain, p_max_w, noise_w, detectable)
    return _solution(gain, p_max_w, noise_w, _msua(gain, p_max_w, noise_w, detectable))


def _uamwser(gain, power, noise, detectable):
    start, se = _max_sinr(gain, power, noise, detectable)
    assoc, _ = load_aware_search_kernel(np.maximum(se, UNDETECTED), detectable, start, SUM_RATE, 100_000)
    return assoc


def uamwser(gain, p_max_w, noise_w, detectable, rng=None) -> PowerSolution:
    """UAMWSER: association maximising the total effective rate R at maximum power."""
    gain, p_max_w, noise_w, detectable = check_event(gain, p_max_w, noise_w, detectable)
    return _solution(gain, p_max_w, noise_w, _uamwser(gain, p_max_w, noise_w, detectable))


def _alternate(gain, p_max, noise, detectable, associate, objective, switch_off=False, max_rounds=10):
    power = p_max.copy()
    assoc = associate(gain, power, noise, detectable)
    start_value = None
    history = []
    for _ in range(max_rounds):
        power, sweeps, _ = power_control_kernel(gain, power, p_max, noise, assoc, objective,
                                                POWER_LEVELS, 50, switch_off)
        history.append(sweeps[-1])
        if start_value is None:
            start_value = sweeps[0]
        # a BS the power control switched off takes no UE (unless serving BSs may be off)
        allowed = detectable if switch_off else detectable & (power > 0)[None, :]
        new_assoc = associate(gain, power, noise, allowed)
        if np.array_equal(new_assoc, assoc):
            break
        rates = rates_kernel(gain, power, noise, new_assoc, False)
        new_value = rates.sum() if objective == SUM_RATE else np.log(rates).sum()
        if new_value <= history[-1]:
            break
        assoc = new_assoc
    return assoc, power, {"max_power_objective": start_value, "objective_history": history}


def msuapc(gain, p_max_w, noise_w, detectable, rng=None) -> PowerSolution:
    """MSUAPC: MSUA association alternated with power control on the sum-log utility."""
    gain, p_max_w, noise_w, detectable = check_event(gain, p_max_w, noise_w, detectable)
    assoc, power, info = _alternate(gain, p_max_w, noise_w, detectable, _msua, SUM_LOG_RATE)
    return _solution(gain, power, noise_w, assoc, **info)


def juapcmwser(gain, p_max_w, noise_w, detectable, rng=None) -> PowerSolution:
    """JUAPCMWSER: UAMWSER association alternated with power control maximising R."""
    gain, p_max_w, noise_w, detectable = check_event(gain, p_max_w, noise_w, detectable)
    assoc, power, info = _alternate(gain, p_max_w, noise_w, detectable, _uamwser, SUM_RATE)
    return _solution(gain, power, noise_w, assoc, **info)


def juapcmwser_switch_off(gain, p_max_w, noise_w, detectable, rng=None) -> PowerSolution:
    """JUAPCMWSER whose power control may also switch off serving BSs (ours; not a valid
    answer to the paper's problem: the UEs of a switched-off BS get rate 0)."""
    gain, p_max_w, noise_w, detectable = check_event(gain, p_max_w, noise_w, detectable)
    assoc, power, info = _alternate(gain, p_max_w, noise_w, detectable, _uamwser, SUM_RATE, True)
    return _solution(gain, power, noise_w, assoc, **info)


METHODS: dict[str, Callable[..., PowerSolution]] = {
    "MARAMP": maramp,
    "MSUAMP": msuamp,
    "MSUAPC": msuapc,
    "UAMWSER": uamwser,
    "JUAPCMWSER": juapcmwser,
    "JUAPCMWSER-switch-off": juapcmwser_switch_off,
}
"""Paper A's optimisation baselines in its Table II order, then our switch-off variant."""

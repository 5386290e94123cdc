"""Statistics beside every reproduced number: confidence intervals and verdicts.

A Monte-Carlo mean is reported with a 95% confidence interval; a number printed by a paper
gets a verdict from its relative deviation, with the tolerance stated in the table.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["mean_ci", "bootstrap_ci", "verdict", "VERDICTS"]

VERDICTS = ("reproduced", "partly", "not reproduced")
"""The three verdicts, from best to worst."""


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent samples.

    Parameters
    ----------
    values : array_like, shape (n,)
        Finite samples, n >= 2.
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    mean, low, high : float

    Examples
    --------
    >>> m, lo, hi = mean_ci([1.0, 2.0, 3.0])
    >>> round(m, 3), round(lo, 3), round(hi, 3)
    (2.0, -0.484, 4.484)
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"values must be a finite 1-D array of at least 2 samples, got shape {values.shape}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    mean = float(values.mean())
    half = float(stats.t.ppf(0.5 + level / 2, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))
    return mean, mean - half, mean + half


def bootstrap_ci(
    values: np.ndarray, rng: np.random.Generator, level: float = 0.95, resamples: int = 2000,
    statistic=np.mean,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over independent samples.

    Parameters
    ----------
    values : array_like, shape (n,)
    rng : numpy.random.Generator
        Source of the resampling (seeded by the caller).
    level : float
    resamples : int
    statistic : callable
        ``statistic(array, axis=1)`` over resampled rows.

    Returns
    -------
    low, high : float
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"values must be a finite 1-D array of at least 2 samples, got shape {values.shape}")
    if resamples < 100:
        raise ValueError(f"resamples must be >= 100, got {resamples}")
    draws = statistic(values[rng.integers(0, values.size, (resamples, values.size))], axis=1)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def verdict(ours: float, paper: float, tolerance: float, partly: float) -> str:
    """Verdict on one number: ``reproduced`` when ``|ours - paper| <= tolerance |paper|``,
    ``partly`` within ``partly |paper|``, else ``not reproduced``.

    Examples
    --------
    >>> verdict(105.0, 100.0, 0.10, 0.25), verdict(120.0, 100.0, 0.10, 0.25)
    ('reproduced', 'partly')
    """
    if not 0 <= tolerance <= partly:
        raise ValueError(f"need 0 <= tolerance <= partly, got {tolerance}, {partly}")
    relative = abs(ours - paper) / abs(paper)
    if relative <= tolerance:
        return VERDICTS[0]
    return VERDICTS[1] if relative <= partly else VERDICTS[2]

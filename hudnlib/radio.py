"""Link-level quantities shared by both papers: unit conversions, SINR, spectral efficiency.

Both papers use the same downlink model: every BS transmits on the whole band at its power,
so every other BS interferes (reuse 1), and a user's spectral efficiency on BS ``j`` is the
Shannon efficiency of its SINR.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hudnlib.validation import as_float_array, as_mask, as_positive_scalar, as_real_scalar

__all__ = [
    "dbm_to_w",
    "w_to_dbm",
    "noise_power_w",
    "sinr_matrix",
    "cluster_interference",
    "spectral_efficiency",
]

THERMAL_NOISE_DBM_PER_HZ = -174.0
"""Thermal noise density at 290 K, dBm/Hz (paper B, Table II)."""


def dbm_to_w(power_dbm: np.ndarray | float) -> np.ndarray | float:
    """Convert dBm to watts: ``10 ** ((P_dBm - 30) / 10)``.

    Raises
    ------
    ValueError
        ``power_dbm`` is not real or holds NaN or inf.

    Examples
    --------
    >>> float(dbm_to_w(30.0))
    1.0
    """
    power_dbm = as_float_array("power_dbm", power_dbm, ndim=np.ndim(power_dbm), allow_empty=True)
    return 10.0 ** ((power_dbm - 30.0) / 10.0)


def w_to_dbm(power_w: np.ndarray | float) -> np.ndarray | float:
    """Convert watts to dBm: ``10 log10(P_W) + 30``.

    Raises
    ------
    ValueError
        ``power_w`` is not real, not finite, or not > 0 (0 W has no level in dBm).

    Examples
    --------
    >>> float(w_to_dbm(0.1))
    20.0
    """
    power_w = as_float_array("power_w", power_w, ndim=np.ndim(power_w), strictly_positive=True,
                             allow_empty=True)
    return 10.0 * np.log10(power_w) + 30.0


def noise_power_w(bandwidth_hz: float, noise_figure_db: float = 0.0) -> float:
    """Thermal noise power over a band, ``sigma^2 = N0 B`` with N0 = -174 dBm/Hz.

    Parameters
    ----------
    bandwidth_hz : float
        Receiver bandwidth in Hz.
    noise_figure_db : float
        Receiver noise figure in dB (paper B gives none; we use 0 dB, see the book).

    Returns
    -------
    float
        Noise power in W.
    """
    bandwidth_hz = as_positive_scalar("bandwidth_hz", bandwidth_hz)
    noise_figure_db = as_real_scalar("noise_figure_db", noise_figure_db)
    return float(dbm_to_w(THERMAL_NOISE_DBM_PER_HZ + 10.0 * np.log10(bandwidth_hz) + noise_figure_db))


@njit(cache=True)
def sinr_kernel(gain, power_w, noise_w):
    """SINR of every (user, BS) pair (kernel of :func:`sinr_matrix`; trusts its inputs)."""
    n_users, n_bs = gain.shape
    sinr = np.empty((n_users, n_bs))
    for i in range(n_users):
        total = noise_w
        for j in range(n_bs):
            total += power_w[j] * gain[i, j]
        for j in range(n_bs):
            signal = power_w[j] * gain[i, j]
            # eq. (4) of paper B / eq. (1) of paper A: the interference is everything else
            # received plus noise; it can never be below the noise (guards rounding).
            sinr[i, j] = signal / max(total - signal, noise_w)
    return sinr


@njit(cache=True)
def cluster_sinr_kernel(gain, power_w, noise_w, interferes):
    """SINR when only the BSs ``k`` with ``interferes[j, k]`` interfere on BS ``j`` (kernel)."""
    n_users, n_bs = gain.shape
    sinr = np.empty((n_users, n_bs))
    for i in range(n_users):
        for j in range(n_bs):
            total = noise_w
            for k in range(n_bs):
                if k != j and interferes[j, k]:
                    total += power_w[k] * gain[i, k]
            sinr[i, j] = power_w[j] * gain[i, j] / total
    return sinr


def cluster_interference(cluster: np.ndarray) -> np.ndarray:
    """Which BS interferes on which: ``interferes[j, k]`` when BSs ``j`` and ``k`` share a
    cluster; a BS of cluster -1 (an overlay, e.g. a co-channel macro) shares every cluster.

    Parameters
    ----------
    cluster : ndarray of int, shape (J,)
        Cluster of each BS, >= -1.

    Returns
    -------
    ndarray of bool, shape (J, J)
    """
    cluster = np.asarray(cluster)
    if cluster.ndim != 1 or not np.issubdtype(cluster.dtype, np.integer) or np.any(cluster < -1):
        raise ValueError(f"cluster must be a 1-D array of integers >= -1, got {cluster!r}")
    same = cluster[:, None] == cluster[None, :]
    overlay = (cluster[:, None] == -1) | (cluster[None, :] == -1)
    return same | overlay


def sinr_matrix(
    gain: np.ndarray, power_w: np.ndarray, noise_w: float, interferes: np.ndarray | None = None,
) -> np.ndarray:
    """SINR of every user on every BS when all BSs transmit at once.

    Implements eq. (4) of paper B and eq. (1) of paper A:
    ``SINR_ij = p_j g_ij / (sum_{k != j} p_k g_ik + sigma^2)``. With ``interferes`` (J, J)
    only the BSs ``k`` with ``interferes[j, k]`` count in the sum (e.g. paper B's "negligible
    inter-cluster interference", see :func:`cluster_interference`).

    Examples
    --------
    >>> import numpy as np
    >>> gain = np.array([[1e-9, 1e-10, 1e-10]])
    >>> round(float(sinr_matrix(gain, np.ones(3), 1e-12)[0, 0]), 6)  # both others interfere
    4.975124
    >>> round(float(sinr_matrix(gain, np.ones(3), 1e-12, cluster_interference(np.array([0, 0, 1])))[0, 0]), 6)
    9.90099

    Parameters
    ----------
    gain : ndarray, shape (I, J)
        Linear power gain from BS ``j`` to user ``i`` (path loss x shadowing), > 0.
    power_w : ndarray, shape (J,)
        Transmit power of each BS in W, >= 0 (a switched-off BS has power 0).
    noise_w : float
        Noise power over the band in W, > 0.

    Returns
    -------
    ndarray, shape (I, J)
        Linear SINR.
    """
    gain = as_float_array("gain", gain, ndim=2, strictly_positive=True)
    power_w = as_float_array("power_w", power_w, ndim=1, shape=(gain.shape[1],), min_value=0.0)
    noise_w = as_positive_scalar("noise_w", noise_w)
    if interferes is None:
        return sinr_kernel(gain, power_w, noise_w)
    interferes = as_mask("interferes", interferes, (gain.shape[1], gain.shape[1]))
    return cluster_sinr_kernel(gain, power_w, noise_w, interferes)


def spectral_efficiency(sinr: np.ndarray) -> np.ndarray:
    """Shannon spectral efficiency ``c = log2(1 + SINR)`` in bit/s/Hz (eq. (5) of paper B).

    Parameters
    ----------
    sinr : ndarray
        Linear SINR, >= 0, any shape.

    Returns
    -------
    ndarray
        Same shape as ``sinr``.
    """
    sinr = as_float_array("sinr", sinr, ndim=np.ndim(sinr), min_value=0.0, allow_empty=True)
    return np.log1p(sinr) / np.log(2.0)

"""Shared fixtures: small random instances of paper B's downlink."""

from __future__ import annotations

import os

# The suite runs as two pytest-xdist workers on two cores, and each worker's parallel kernels
# start one OpenMP thread per core. OpenMP's default is to spin while waiting at a region's
# end, so with the cores oversubscribed every parallel region waits for a descheduled
# thread's time slice: 300 pricing iterations of a 5 x 3 network took 9 s instead of 3 ms.
# Waiting threads that sleep remove that (read when numba first loads OpenMP; inherited by
# the command-line children some tests start).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pytest

from hudnlib.radio import dbm_to_w, noise_power_w, sinr_matrix, spectral_efficiency


def random_network(rng: np.random.Generator, n_users: int, n_bs: int):
    """Gains spread over 50 dB, powers 23-36 dBm, 20 MHz noise; returns (gain, power, noise)."""
    gain = 10.0 ** rng.uniform(-13.0, -8.0, size=(n_users, n_bs))
    power = dbm_to_w(rng.uniform(23.0, 36.0, size=n_bs))
    return gain, power, noise_power_w(20e6)


def random_instance(rng: np.random.Generator, n_users: int, n_bs: int, alpha_max: float = 5.0):
    """Spectral efficiency (I, J) and alphas in [0.01, alpha_max]."""
    gain, power, noise = random_network(rng, n_users, n_bs)
    se = spectral_efficiency(sinr_matrix(gain, power, noise))
    alpha = rng.uniform(0.01, alpha_max, size=n_users)
    return se, alpha


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261125)

"""Shared fixtures: small random instances of paper B's downlink."""

from __future__ import annotations

import numpy as np
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

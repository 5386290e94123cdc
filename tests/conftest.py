"""Shared fixtures: small random instances of paper B's downlink, and small batches for paper A's
authors' HGSAGE."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # torch is imported by the helpers that use it, not by every test session
    import torch

    from hudnlib.gnn.graph import DenseBatch


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


def authors_arrays(rng: np.random.Generator, n_ue: int = 12, n_bs: int = 7, count: int = 3):
    """``count`` events for the authors' HGSAGE: gains over 60 dB, the ones above -100 dB
    detected plus one random BS per UE (no UE left without one), and maximum powers (one
    50-dBm BS, the rest 20 dBm); returns (gain, detectable, p_max)."""
    gain = 10.0 ** rng.uniform(-13, -7, (count, n_ue, n_bs))
    detectable = gain > 10**-10
    for b in range(count):
        detectable[b, np.arange(n_ue), rng.integers(0, n_bs, n_ue)] = True
    return gain, detectable, dbm_to_w(np.r_[50.0, np.full(n_bs - 1, 20.0)])


def authors_batch(seed: int = 4) -> tuple[DenseBatch, torch.Tensor]:
    """:func:`authors_arrays` of ``seed`` as a dense batch (20 MHz noise) and its
    strongest-channel labels."""
    from hudnlib.gnn.graph import dense_batch_of, strongest_labels

    gain, detectable, p_max = authors_arrays(np.random.default_rng(seed))
    return dense_batch_of(gain, detectable, p_max, noise_power_w(20e6)), strongest_labels(gain, detectable)


def outputs_and_grads(model, batch: DenseBatch, labels: torch.Tensor):
    """A forward of ``model`` on ``batch`` (neighbours drawn from seed 5) and the backward of
    the authors' summed loss: ((z, x, power, loss), the parameters' gradients)."""
    from hudnlib.gnn.authors import authors_loss_terms

    model.zero_grad()
    z, x, power = model(batch, np.random.default_rng(5))
    loss = authors_loss_terms(z, x, power, batch.gain, labels)["loss"].sum()
    loss.backward()
    return (z, x, power, loss), [p.grad.clone() for p in model.parameters()]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261125)

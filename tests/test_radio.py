import numpy as np
import pytest

from hudnlib.radio import (
    dbm_to_w,
    noise_power_w,
    sinr_matrix,
    spectral_efficiency,
    w_to_dbm,
)
from hudnlib.reference import sinr_matrix_np
from tests.conftest import random_network


def test_sinr_matches_numpy_twin(rng):
    for _ in range(30):
        gain, power, noise = random_network(rng, int(rng.integers(1, 40)), int(rng.integers(1, 9)))
        np.testing.assert_allclose(
            sinr_matrix(gain, power, noise), sinr_matrix_np(gain, power, noise), rtol=1e-9
        )


def test_single_bs_sinr_is_snr():
    gain = np.array([[1e-10], [1e-12]])
    np.testing.assert_allclose(sinr_matrix(gain, np.array([2.0]), 1e-13), gain * 2.0 / 1e-13)


def test_sinr_rises_with_own_power_and_falls_with_others(rng):
    gain, power, noise = random_network(rng, 10, 4)
    base = sinr_matrix(gain, power, noise)
    louder = power.copy()
    louder[0] *= 2.0
    boosted = sinr_matrix(gain, louder, noise)
    assert np.all(boosted[:, 0] > base[:, 0])
    assert np.all(boosted[:, 1:] < base[:, 1:])


def test_switched_off_bs_has_zero_sinr_and_no_interference():
    gain = np.array([[1e-9, 1e-9]])
    sinr = sinr_matrix(gain, np.array([1.0, 0.0]), 1e-12)
    assert sinr[0, 1] == 0.0
    assert sinr[0, 0] == pytest.approx(1e-9 / 1e-12)


def test_unit_conversions():
    assert dbm_to_w(30.0) == pytest.approx(1.0)
    assert w_to_dbm(dbm_to_w(23.5)) == pytest.approx(23.5)
    # -174 dBm/Hz over 20 MHz is -100.99 dBm
    assert w_to_dbm(noise_power_w(20e6)) == pytest.approx(-174 + 10 * np.log10(20e6))


def test_spectral_efficiency_is_log2_one_plus_sinr(rng):
    sinr = 10 ** rng.uniform(-6, 4, size=50)
    # log2(1 + x) rounds 1 + x; ours (log1p) is the more accurate of the two for tiny x
    np.testing.assert_allclose(spectral_efficiency(sinr), np.log2(1 + sinr), rtol=1e-9)


@pytest.mark.parametrize(
    "gain, power, noise, match",
    [
        (np.array([[np.nan, 1.0]]), np.ones(2), 1.0, "gain"),
        (np.array([[np.inf, 1.0]]), np.ones(2), 1.0, "gain"),
        (np.array([[0.0, 1.0]]), np.ones(2), 1.0, "gain"),
        (np.ones((2, 2)), np.array([1.0, -1.0]), 1.0, "power_w"),
        (np.ones((2, 2)), np.ones(3), 1.0, "power_w"),
        (np.ones((2, 2)), np.ones(2), 0.0, "noise_w"),
        (np.ones(2), np.ones(2), 1.0, "gain"),
        (np.ones((0, 2)), np.ones(2), 1.0, "gain"),
    ],
)
def test_sinr_rejects_bad_input(gain, power, noise, match):
    with pytest.raises(ValueError, match=match):
        sinr_matrix(gain, power, noise)


def test_spectral_efficiency_rejects_negative_sinr():
    with pytest.raises(ValueError, match="sinr"):
        spectral_efficiency(np.array([1.0, -0.5]))
    with pytest.raises(ValueError, match="bandwidth_hz"):
        noise_power_w(-1.0)


def test_cluster_sinr_equals_a_hand_computed_value():
    from hudnlib.radio import cluster_interference

    # BSs 0, 1 in cluster 0; BS 2 in cluster 1; BS 3 a macro overlaying both (cluster -1)
    gain = np.array([[1e-9, 2e-10, 5e-10, 1e-10]])
    power = np.array([1.0, 1.0, 2.0, 4.0])
    noise = 1e-12
    sinr = sinr_matrix(gain, power, noise, cluster_interference(np.array([0, 0, 1, -1])))
    assert sinr[0, 0] == pytest.approx(1e-9 / (2e-10 + 4e-10 + 1e-12))      # BS 1 and the macro
    assert sinr[0, 2] == pytest.approx(1e-9 / (4e-10 + 1e-12))              # the macro only
    assert sinr[0, 3] == pytest.approx(4e-10 / (1e-9 + 2e-10 + 1e-9 + 1e-12))  # every small BS
    with pytest.raises(ValueError, match="interferes"):
        sinr_matrix(gain, power, noise, np.full((4, 4), 0.5))

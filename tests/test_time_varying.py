import numpy as np
import pytest

from hudnlib.experiments.paper_b.time_varying import TimeVaryingConfig, gauss_markov_fading


@pytest.mark.parametrize("rho", [0.97, 0.9, 0.0])
def test_gauss_markov_power_has_unit_mean_and_the_right_correlation(rho):
    power = gauss_markov_fading(np.random.default_rng(1), (4000,), 30, rho)
    assert power.shape == (30, 4000)
    assert power.mean() == pytest.approx(1.0, abs=0.02)
    # |h|^2 of a complex Gaussian AR(1) process has lag-1 correlation rho^2
    x, y = power[:-1].ravel(), power[1:].ravel()
    assert np.corrcoef(x, y)[0, 1] == pytest.approx(rho**2, abs=0.02)


def test_gauss_markov_is_reproducible_by_seed():
    a = gauss_markov_fading(np.random.default_rng(5), (3, 2), 4, 0.9)
    b = gauss_markov_fading(np.random.default_rng(5), (3, 2), 4, 0.9)
    np.testing.assert_array_equal(a, b)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="rhos"):
        TimeVaryingConfig(samples=1, rhos=(1.5,))
    with pytest.raises(ValueError, match="slots"):
        TimeVaryingConfig(samples=1, slots=0)
    with pytest.raises(ValueError, match="unknown methods"):
        TimeVaryingConfig(samples=1, methods=("Oracle",))

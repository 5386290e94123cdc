import numpy as np
import pytest

from hudnlib.fairness import alpha_utility, group_haf, haf
from hudnlib.reference import alpha_utility_np


def test_utility_matches_numpy_twin(rng):
    rate = 10 ** rng.uniform(-3, 3, size=500)
    alpha = rng.uniform(0, 6, size=500)
    alpha[:20] = 1.0
    alpha[20:40] = 0.0
    np.testing.assert_allclose(alpha_utility(rate, alpha), alpha_utility_np(rate, alpha), rtol=1e-9)


def test_special_cases():
    r = np.array([0.5, 2.0, 8.0])
    np.testing.assert_allclose(alpha_utility(r, 0.0), r)  # sum-rate
    np.testing.assert_allclose(alpha_utility(r, 1.0), np.log(r))  # proportional fairness
    np.testing.assert_allclose(alpha_utility(r, 2.0), -1.0 / r)  # latency


def test_utility_is_increasing_and_concave(rng):
    r = np.linspace(0.05, 20, 400)
    for a in [0.0, 0.3, 1.0, 1.7, 4.0, 12.0]:
        u = alpha_utility(r, a)
        assert np.all(np.diff(u) > 0)
        assert np.all(np.diff(u, 2) <= 1e-12)


def test_large_alpha_and_zero_rate_stay_finite_where_representable():
    assert np.isfinite(alpha_utility(np.array([1e-6]), 5.0)[0])
    assert np.isfinite(alpha_utility(np.array([0.5]), 200.0)[0])
    assert alpha_utility(np.array([0.0]), 0.5)[0] == 0.0
    assert alpha_utility(np.array([0.0]), 2.0)[0] == -np.inf


def test_group_haf_adds_up_to_haf(rng):
    rate = rng.uniform(0.1, 5, 40)
    alpha = rng.uniform(0.01, 5, 40)
    group = rng.integers(0, 4, 40)
    assert group_haf(rate, alpha, group, 4).sum() == pytest.approx(haf(rate, alpha))


@pytest.mark.parametrize(
    "rate, alpha, match",
    [
        (np.array([1.0, np.nan]), np.array([1.0, 1.0]), "rate"),
        (np.array([1.0, -1.0]), np.array([1.0, 1.0]), "rate"),
        (np.array([1.0, 1.0]), np.array([1.0, -0.1]), "alpha"),
        (np.array([1.0, 1.0]), np.array([1.0, np.inf]), "alpha"),
        (np.array([1.0, 1.0]), np.array([1.0, 1.0, 1.0]), "alpha"),
    ],
)
def test_bad_input(rate, alpha, match):
    with pytest.raises(ValueError, match=match):
        alpha_utility(rate, alpha)


def test_group_index_checked():
    with pytest.raises(ValueError, match="group"):
        group_haf(np.ones(3), np.ones(3), np.array([0, 1, 4]), 4)

import numpy as np
import pytest

from hudnlib.baselines.paper_b import METHODS
from tests.conftest import random_instance


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_returns_a_feasible_solution(name):
    rng = np.random.default_rng(7)
    for _ in range(3):
        se, alpha = random_instance(rng, 30, 5)
        kwargs = {"generations": 20} if name == "GA" else {}
        sol = METHODS[name](se, alpha, rng, **kwargs)
        assert sol.association.shape == (30,)
        assert sol.association.min() >= 0 and sol.association.max() < 5
        y = sol.allocation.fraction
        assert np.all(y >= 0)
        used = np.bincount(sol.association, weights=y, minlength=5)
        assert np.all(used <= 1 + 1e-12)
        rate = y * se[np.arange(30), sol.association]
        np.testing.assert_allclose(sol.allocation.rate, rate, rtol=1e-12)
        assert np.isfinite(sol.haf)


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_rejects_bad_alpha(name):
    rng = np.random.default_rng(0)
    se, alpha = random_instance(rng, 6, 2)
    alpha[0] = -0.5
    with pytest.raises(ValueError, match="alpha"):
        METHODS[name](se, alpha, rng)


def test_ordering_on_average():
    """Pricing beats Max-SINR on average; 2RS (started from pricing) never loses to it."""
    rng = np.random.default_rng(11)
    ours, max_sinr, two_ring = [], [], []
    for _ in range(15):
        se, alpha = random_instance(rng, 40, 6)
        sol = METHODS["Ours"](se, alpha, rng)
        ours.append(sol.haf)
        max_sinr.append(METHODS["Max-SINR"](se, alpha, rng).haf)
        two_ring.append(METHODS["2RS"](se, alpha, rng, start=sol.association).haf)
    assert np.mean(ours) > np.mean(max_sinr)
    assert np.all(np.array(two_ring) >= np.array(ours) - 1e-9)


def _tiny_problem():
    rng = np.random.default_rng(0)
    return np.exp(rng.uniform(-2, 2, (8, 3))), rng.uniform(0.1, 3.0, 8)


@pytest.mark.parametrize("case, kwargs, match", [
    ("2RS", {"start": np.full(8, 5)}, "start"),
    ("2RS", {"start": np.zeros(7, int)}, "start"),
    ("2RS", {"max_moves": -1}, "max_moves"),
    ("GA", {"generations": -3}, "generations"),
    ("GA", {"population": 0}, "population"),
])
def test_search_arguments_are_checked_before_the_kernel(case, kwargs, match):
    se, alpha = _tiny_problem()
    with pytest.raises(ValueError, match=match):
        METHODS[case](se, alpha, np.random.default_rng(1), **kwargs)


@pytest.mark.parametrize("name", ["Random", "GA"])
def test_random_methods_need_a_generator(name):
    se, alpha = _tiny_problem()
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        METHODS[name](se, alpha, None)


@pytest.mark.parametrize("value", [1e-50, 1e-9, 1e3])
def test_alpha_outside_the_stated_range_is_refused(value):
    se, alpha = _tiny_problem()
    alpha[2] = value
    for name in ("Ours", "Max-SINR", "PF"):
        with pytest.raises(ValueError, match=r"alpha must be 0 or in \[1e-06, 100\]"):
            METHODS[name](se, alpha, np.random.default_rng(1))

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

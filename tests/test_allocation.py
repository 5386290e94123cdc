import numpy as np
import pytest
from scipy.optimize import minimize

from hudnlib.allocation import allocate_bandwidth, allocate_cell_bandwidth, kkt_residual
from hudnlib.fairness import alpha_utility
from hudnlib.reference import allocate_bandwidth_np, alpha_utility_np
from tests.conftest import random_instance


def test_matches_numpy_bisection_twin(rng):
    for _ in range(30):
        n_users, n_bs = int(rng.integers(1, 50)), int(rng.integers(1, 7))
        se, alpha = random_instance(rng, n_users, n_bs)
        assoc = rng.integers(0, n_bs, n_users)
        for bandwidth in (1.0, 20.0):
            ours = allocate_bandwidth(se, alpha, assoc, bandwidth)
            np.testing.assert_allclose(
                ours.fraction, allocate_bandwidth_np(se, alpha, assoc, bandwidth), rtol=1e-9,
                atol=1e-300,
            )


def _scipy_cell(bc, alpha):
    """Independent solve of one BS's problem with SLSQP on the simplex."""
    n = bc.shape[0]

    def negative(y):
        return -alpha_utility_np(bc * np.maximum(y, 1e-300), alpha).sum()

    best = None
    for start in (np.full(n, 1.0 / n), np.sqrt(bc) / np.sqrt(bc).sum()):
        res = minimize(
            negative, start, method="SLSQP", bounds=[(1e-12, 1.0)] * n,
            constraints=[{"type": "eq", "fun": lambda y: y.sum() - 1.0}],
            options={"ftol": 1e-15, "maxiter": 2000},
        )
        if best is None or res.fun < best.fun:
            best = res
    return -best.fun


def test_matches_scipy_on_each_cell(rng):
    worst = 0.0
    for _ in range(25):
        n = int(rng.integers(2, 9))
        bc = rng.uniform(0.3, 8.0, n)
        alpha = rng.uniform(0.2, 4.0, n)
        ours = alpha_utility(bc * allocate_cell_bandwidth(bc, alpha), alpha).sum()
        theirs = _scipy_cell(bc, alpha)
        # ours is the exact optimum: scipy can only come close from below
        assert ours >= theirs - 1e-6 * max(1.0, abs(theirs))
        worst = max(worst, abs(ours - theirs) / max(1.0, abs(theirs)))
    assert worst < 1e-6


def test_kkt_and_constraints(rng):
    for _ in range(20):
        n_users, n_bs = int(rng.integers(5, 80)), int(rng.integers(1, 8))
        se, alpha = random_instance(rng, n_users, n_bs)
        assoc = rng.integers(0, n_bs, n_users)
        alloc = allocate_bandwidth(se, alpha, assoc)
        assert np.all(alloc.fraction >= 0)
        used = np.bincount(assoc, weights=alloc.fraction, minlength=n_bs)
        occupied = np.bincount(assoc, minlength=n_bs) > 0
        np.testing.assert_allclose(used[occupied], 1.0, atol=1e-12)
        assert np.all(used[~occupied] == 0)
        assert np.all(alloc.residual < 1e-10)
        assert kkt_residual(se, alpha, assoc, alloc) < 1e-8


def test_one_user_gets_the_whole_band_and_empty_bs_nothing():
    se = np.array([[2.0, 1.0], [3.0, 1.0]])
    alloc = allocate_bandwidth(se, np.array([0.5, 3.0]), np.array([0, 0]))
    assert alloc.fraction.sum() == pytest.approx(1.0)
    assert np.isneginf(alloc.log_multiplier[1])
    single = allocate_bandwidth(se, np.array([0.5, 3.0]), np.array([0, 1]))
    np.testing.assert_allclose(single.fraction, [1.0, 1.0])


def test_alpha_zero_user_takes_what_the_others_leave():
    # a = 1 user alone would have lambda = 1/y = 1; the a = 0 user values band at B c = 5 > 1,
    # so lambda = 5: the PF user keeps 1/5 and the linear user takes 4/5.
    y = allocate_cell_bandwidth(np.array([5.0, 3.0]), np.array([0.0, 1.0]))
    np.testing.assert_allclose(y, [0.8, 0.2])
    # with a weak linear user (B c = 0.5 < 1) the PF user keeps everything
    y = allocate_cell_bandwidth(np.array([0.5, 3.0]), np.array([0.0, 1.0]))
    np.testing.assert_allclose(y, [0.0, 1.0])
    # only linear users: the best one takes all
    np.testing.assert_allclose(allocate_cell_bandwidth(np.array([1.0, 3.0]), np.zeros(2)), [0, 1])


def test_alpha_zero_matches_limit_of_small_alpha():
    bc = np.array([5.0, 3.0, 2.0])
    exact = allocate_cell_bandwidth(bc, np.array([0.0, 1.0, 2.0]))
    near = allocate_cell_bandwidth(bc, np.array([1e-4, 1.0, 2.0]))
    np.testing.assert_allclose(exact, near, atol=1e-3)


def test_bad_input():
    se = np.ones((3, 2))
    with pytest.raises(ValueError, match="alpha"):
        allocate_bandwidth(se, np.array([1.0, -1.0, 1.0]), np.zeros(3, int))
    with pytest.raises(ValueError, match="association"):
        allocate_bandwidth(se, np.ones(3), np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="association"):
        allocate_bandwidth(se, np.ones(3), np.array([0, 1]))
    with pytest.raises(ValueError, match="spectral_efficiency"):
        allocate_bandwidth(np.array([[1.0, np.nan]] * 3), np.ones(3), np.zeros(3, int))
    with pytest.raises(ValueError, match="spectral_efficiency"):
        allocate_bandwidth(np.zeros((0, 2)), np.ones(0), np.zeros(0, int))
    with pytest.raises(ValueError, match="no users"):
        allocate_cell_bandwidth(np.array([]), np.array([]))
    with pytest.raises(ValueError, match="bandwidth"):
        allocate_bandwidth(se, np.ones(3), np.zeros(3, int), bandwidth=0.0)


def test_the_split_depends_on_the_rate_unit_only_for_mixed_alphas():
    from hudnlib.allocation import allocate_bandwidth

    rng = np.random.default_rng(3)
    se = np.exp(rng.uniform(-1, 2, (6, 1)))
    assoc = np.zeros(6, int)
    mixed, equal = np.array([0.3, 0.8, 1.0, 2.0, 3.0, 4.5]), np.full(6, 2.0)
    one, twenty = (allocate_bandwidth(se, mixed, assoc, b).fraction for b in (1.0, 20.0))
    assert np.max(np.abs(one - twenty)) > 1e-2
    one, twenty = (allocate_bandwidth(se, equal, assoc, b).fraction for b in (1.0, 20.0))
    np.testing.assert_allclose(one, twenty, atol=1e-10)


def test_group_by_bs_is_a_stable_sort(rng):
    from hudnlib.allocation import group_by_bs

    association = rng.integers(0, 7, 200)
    association[association == 3] = 4  # an empty BS
    starts, order = group_by_bs(association, 7)
    np.testing.assert_array_equal(order, np.argsort(association, kind="stable"))
    np.testing.assert_array_equal(np.diff(starts), np.bincount(association, minlength=7))


def test_parallel_haf_equals_the_serial_one_bit_for_bit(rng):
    from hudnlib.allocation import association_value, chosen_log_bc, chosen_value, parallel_chosen_value

    se, alpha = random_instance(rng, 3000, 200)
    alpha[::11] = 0.0
    association = rng.integers(0, 200, 3000)
    association[association % 17 == 0] = 1  # empty BSs and one crowded BS
    log_bc = np.log(se)
    chosen = chosen_log_bc(log_bc, association)
    np.testing.assert_array_equal(chosen, log_bc[np.arange(3000), association])
    serial = chosen_value(chosen, alpha, association, 200)
    assert parallel_chosen_value(chosen, alpha, association, 200) == serial == association_value(log_bc, alpha, association)
    assert serial == pytest.approx(allocate_bandwidth(se, alpha, association).haf, rel=1e-12)

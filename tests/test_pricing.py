import numpy as np
import pytest

from hudnlib.allocation import allocate_bandwidth
from hudnlib.pricing import best_response, dual_value, price_association
from hudnlib.reference import best_response_np, brute_force_association, price_association_np
from tests.conftest import random_instance


def test_best_response_matches_numpy_twin(rng):
    for _ in range(30):
        se, alpha = random_instance(rng, int(rng.integers(1, 40)), int(rng.integers(1, 7)))
        alpha[:3] = 1.0
        prices = 10 ** rng.uniform(-1, 2, se.shape[1])
        ours = best_response(se, alpha, prices)
        theirs = best_response_np(se, alpha, prices)
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9)
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-9)


def test_pricing_history_matches_numpy_twin(rng):
    for _ in range(5):
        se, alpha = random_instance(rng, 30, 5)
        ours = price_association(se, alpha, n_iter=40)
        assoc, haf_hist, dual_hist = price_association_np(
            se, alpha, ours.initial_price, ours.step0, 40
        )
        np.testing.assert_allclose(ours.dual_history, dual_hist, rtol=1e-9)
        np.testing.assert_allclose(ours.haf_history, haf_hist, rtol=1e-9)
        np.testing.assert_array_equal(ours.association, assoc)


def test_dual_bounds_every_feasible_solution(rng):
    """Weak duality at arbitrary prices: D(mu) >= HAF of any association with Algorithm 1."""
    for _ in range(20):
        se, alpha = random_instance(rng, 12, 3)
        prices = 10 ** rng.uniform(-2, 2, 3)
        bound = dual_value(se, alpha, prices)
        for _ in range(10):
            assoc = rng.integers(0, 3, 12)
            assert bound >= allocate_bandwidth(se, alpha, assoc).haf - 1e-9


def test_weak_duality_against_brute_force():
    """min_t D(mu_t) >= optimum of P1 >= pricing HAF, on every tiny instance."""
    # Up to 6 users on 3 BSs (729 associations): the enumeration costs about 3 ms per association.
    gaps = []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n_users, n_bs = int(rng.integers(3, 7)), int(rng.integers(2, 4))
        se, alpha = random_instance(rng, n_users, n_bs)
        _, optimum = brute_force_association(se, alpha)
        result = price_association(se, alpha, n_iter=300)
        tol = 1e-9 * max(1.0, abs(optimum))
        assert np.all(result.dual_history >= optimum - tol)
        assert optimum >= result.haf - tol
        gaps.append((optimum - result.haf) / abs(optimum))
    gaps = np.array(gaps)
    print(f"\npricing vs brute force over 40 seeds: mean relative gap {gaps.mean():.3e}, "
          f"worst {gaps.max():.3e}, optimal in {np.mean(gaps < 1e-12):.0%} of instances")


def test_history_shapes_and_bound(rng):
    se, alpha = random_instance(rng, 40, 6)
    result = price_association(se, alpha, n_iter=50)
    assert result.haf_history.shape == result.dual_history.shape == (50,)
    assert result.haf == pytest.approx(result.haf_history.max())
    assert result.duality_gap >= 0
    assert np.all(result.prices > 0)


def test_bad_input(rng):
    se, alpha = random_instance(rng, 5, 2)
    with pytest.raises(ValueError, match="alpha"):
        price_association(se, -alpha)
    with pytest.raises(ValueError, match="alpha"):
        price_association(se, alpha[:3])
    with pytest.raises(ValueError, match="n_iter"):
        price_association(se, alpha, n_iter=0)
    with pytest.raises(ValueError, match="initial_price"):
        price_association(se, alpha, initial_price=-1.0)
    with pytest.raises(ValueError, match="prices"):
        best_response(se, alpha, np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="spectral_efficiency"):
        price_association(np.full((5, 2), np.inf), alpha)


def _geometric(rng, n_users, n_bs):
    """Spectral efficiencies and alphas of a geometric network (most BSs hopeless for a user)."""
    from hudnlib.experiments.paper_b.scaling import geometric_instance

    _, _, _, se, alpha, _ = geometric_instance(n_users, n_bs, seed=int(rng.integers(2**31)))
    return se, alpha


@pytest.mark.parametrize("alphas", ["mixed", "with zero and one", "uniform se"])
def test_screened_pricing_gives_the_full_scans_iterates_bit_for_bit(rng, alphas):
    from hudnlib.pricing import MIN_PRICE_FRACTION, full_band_utility, pricing_kernel

    se, alpha = _geometric(rng, 1500, 200)
    if alphas == "with zero and one":
        alpha[::7], alpha[1::5] = 0.0, 1.0
    if alphas == "uniform se":
        se = rng.uniform(0.1, 5.0, se.shape)
    log_bc = np.log(se)
    probe = price_association(se, alpha, n_iter=1)
    args = (log_bc, full_band_utility(log_bc, alpha), alpha, np.full(200, probe.initial_price), probe.step0,
            MIN_PRICE_FRACTION * probe.initial_price, 60)
    full, screened = pricing_kernel(*args, False), pricing_kernel(*args, True)
    for a, b in zip(full[:5], screened[:5]):
        np.testing.assert_array_equal(a, b)
    assert full[5] == 1.0
    if alphas != "uniform se":  # path loss makes most BSs hopeless: few users scan their row
        assert screened[5] < 0.2


def test_screened_best_response_at_spread_prices(rng):
    from hudnlib.pricing import (CHEAP, CANDIDATES, best_response_kernel, full_band_utility, screened_best_response_kernel,
                                 screening_data)

    se, _ = _geometric(rng, 800, 120)
    alpha = rng.uniform(0.0, 4.0, 800)
    log_bc = np.log(se)
    u_full = full_band_utility(log_bc, alpha)
    data = screening_data(log_bc, u_full, alpha, CANDIDATES)
    for spread in (0.0, 2.0, 9.0):  # prices over 0, 2 and 9 decades (floor-priced BSs)
        prices = 10 ** rng.uniform(-spread, 0, 120)
        ours = screened_best_response_kernel(log_bc, u_full, alpha, prices, *data, CHEAP)
        for a, b in zip(best_response_kernel(log_bc, u_full, alpha, prices), ours[:3]):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ours[3], log_bc[np.arange(800), ours[0]])  # the winner's log(Bc)


def test_small_networks_are_not_screened(rng):
    """With J <= CANDIDATES + CHEAP every BS would be evaluated: the kernel scans directly."""
    from hudnlib.pricing import CHEAP, CANDIDATES, MIN_PRICE_FRACTION, full_band_utility, pricing_kernel

    n_bs = CANDIDATES + CHEAP
    se, alpha = _geometric(rng, 300, n_bs)
    log_bc = np.log(se)
    probe = price_association(se, alpha, n_iter=1)
    args = (log_bc, full_band_utility(log_bc, alpha), alpha, np.full(n_bs, probe.initial_price), probe.step0,
            MIN_PRICE_FRACTION * probe.initial_price, 20)
    screened = pricing_kernel(*args, True)
    assert screened[5] == 1.0
    for a, b in zip(pricing_kernel(*args, False)[:5], screened[:5]):
        np.testing.assert_array_equal(a, b)


def test_candidate_sets_hold_each_users_best_bss(rng):
    from hudnlib.pricing import candidate_sets

    log_bc = rng.normal(size=(50, 30))
    cand, cand_log, rest = candidate_sets(log_bc, 6)
    order = np.argsort(-log_bc, axis=1)
    for i in range(50):
        assert set(cand[i]) == set(order[i, :6])
        np.testing.assert_array_equal(cand_log[i], log_bc[i, cand[i]])
        assert rest[i] == log_bc[i, order[i, 6]]
    cand, cand_log, rest = candidate_sets(log_bc, 40)
    assert cand.shape == cand_log.shape == (50, 30) and np.all(rest == -np.inf)
    assert set(cand[0]) == set(range(30))


def test_public_dual_value_is_the_twins_best_responses_plus_the_sum_of_prices(rng):
    """Eq. (18): ``D(mu) = sum_i max_j v_ij(mu) + sum_j mu_j``, from the NumPy twin's best
    responses (catches a dual that forgets the prices' own term)."""
    se, alpha = random_instance(rng, 9, 4)
    prices = rng.uniform(0.05, 3.0, 4)
    _, _, value = best_response_np(se, alpha, prices, 1.0)
    assert dual_value(se, alpha, prices) == pytest.approx(value.sum() + prices.sum(), rel=1e-12)

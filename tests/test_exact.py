"""The exact solver against brute force written independently (every association, every
on/off set of BSs), and what it must refuse."""

import itertools

import numpy as np
import pytest

from hudnlib.allocation import allocate_bandwidth
from hudnlib.effective_rate import effective_rates
from hudnlib.exact import SUM_LOG_RATE, SUM_RATE, best_partition, haf_optimum, sum_rate_optimum


def _event(rng, n_users, n_bs):
    gain = 10.0 ** rng.uniform(-12, -8, size=(n_users, n_bs))
    power = 10.0 ** rng.uniform(-1, 1.5, size=n_bs)
    allowed = rng.random((n_users, n_bs)) < 0.7
    allowed[np.arange(n_users), rng.integers(0, n_bs, n_users)] = True
    return gain, power, 1e-13, allowed


def _brute_sum_rate(gain, power, noise, allowed, objective, switch_off):
    n_users, n_bs = gain.shape
    best = -np.inf
    on_sets = itertools.product([False, True], repeat=n_bs) if switch_off else [(True,) * n_bs]
    for on in on_sets:
        on = np.array(on)
        for assoc in itertools.product(range(n_bs), repeat=n_users):
            assoc = np.array(assoc)
            if not (allowed[np.arange(n_users), assoc].all() and on[assoc].all()):
                continue
            rate = effective_rates(gain, np.where(on, power, 0.0), noise, assoc)
            best = max(best, rate.sum() if objective == SUM_RATE else np.log(rate).sum())
    return best


@pytest.mark.parametrize("n_users,n_bs", [(3, 2), (4, 3), (5, 3)])
@pytest.mark.parametrize("objective", [SUM_RATE, SUM_LOG_RATE])
@pytest.mark.parametrize("switch_off", [False, True])
def test_sum_rate_optimum_equals_brute_force(n_users, n_bs, objective, switch_off):
    rng = np.random.default_rng(n_users * 10 + n_bs + 100 * objective + 7 * switch_off)
    for _ in range(4):
        gain, power, noise, allowed = _event(rng, n_users, n_bs)
        exact = sum_rate_optimum(gain, power, noise, allowed, objective, switch_off)
        assert exact.value == pytest.approx(_brute_sum_rate(gain, power, noise, allowed, objective, switch_off),
                                            rel=1e-12)
        # the returned decision is allowed and achieves the value
        assoc, on = exact.association, exact.power_on
        assert allowed[np.arange(n_users), assoc].all() and on[assoc].all()
        rate = effective_rates(gain, np.where(on, power, 0.0), noise, assoc)
        achieved = rate.sum() if objective == SUM_RATE else np.log(rate).sum()
        assert achieved == pytest.approx(exact.value, rel=1e-12)


@pytest.mark.parametrize("n_users,n_bs", [(3, 2), (5, 3)])
def test_haf_optimum_equals_brute_force(n_users, n_bs):
    rng = np.random.default_rng(n_users + 31 * n_bs)
    for _ in range(4):
        se = rng.uniform(0.05, 6.0, size=(n_users, n_bs))
        alpha = rng.choice([0.255, 1.0, 2.0, 3.75, 0.0], size=n_users)
        brute = max(allocate_bandwidth(se, alpha, np.array(a), 20.0).haf
                    for a in itertools.product(range(n_bs), repeat=n_users))
        exact = haf_optimum(se, alpha, 20.0)
        assert exact.value == pytest.approx(brute, rel=1e-10, abs=1e-10)
        assert allocate_bandwidth(se, alpha, exact.association, 20.0).haf == pytest.approx(exact.value, rel=1e-10)


def test_switching_off_never_loses_and_full_power_is_one_of_its_sets():
    rng = np.random.default_rng(3)
    gain, power, noise, allowed = _event(rng, 6, 4)
    full = sum_rate_optimum(gain, power, noise, allowed)
    searched = sum_rate_optimum(gain, power, noise, allowed, switch_off=True)
    assert searched.value >= full.value
    assert full.power_on.all()


def test_no_allowed_association_is_minus_infinity():
    values = np.array([[0.0, -np.inf, 1.0, -np.inf], [0.0, -np.inf, 2.0, -np.inf]])
    value, association = best_partition(values)
    assert value == -np.inf and (association == -1).all()


def test_bad_input_names_the_argument():
    gain = np.ones((3, 2))
    with pytest.raises(ValueError, match="gain"):
        sum_rate_optimum(-gain, np.ones(2), 1e-13)
    with pytest.raises(ValueError, match="1 to 14 users"):
        sum_rate_optimum(np.ones((15, 2)), np.ones(2), 1e-13)
    with pytest.raises(ValueError, match="objective"):
        sum_rate_optimum(gain, np.ones(2), 1e-13, objective=2)
    with pytest.raises(TypeError, match="switch_off"):
        sum_rate_optimum(gain, np.ones(2), 1e-13, switch_off="no")
    with pytest.raises(ValueError, match="allowed"):
        sum_rate_optimum(gain, np.ones(2), 1e-13, allowed=np.ones((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="alpha"):
        haf_optimum(gain, np.array([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match=r"shape \(J, 2\*\*I\)"):
        best_partition(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="empty cell"):
        best_partition(np.ones((2, 4)))

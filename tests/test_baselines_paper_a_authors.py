"""Paper A's baselines as the authors ran them: each behaviour against a NumPy twin or a
hand-checked case that shows it."""

import numpy as np
import pytest

from hudnlib.baselines.paper_a_authors import (
    AUTHORS_METHODS,
    POWER_NOISE,
    RATE_NOISE,
    _authors_association,
    _dual_log_association,
    _interference_weighted_power,
    _sinr_plus,
)
from hudnlib.effective_rate import effective_rates
from hudnlib.radio import dbm_to_w
from hudnlib.reference import (
    authors_association_np,
    authors_sinr_np,
    dual_log_association_np,
    interference_weighted_power_np,
)

NOISE = 4e-14 * float(dbm_to_w(20.0))


def _event(rng, n_ue=40, n_bs=15):
    gain = 10.0 ** rng.uniform(-14, -7, (n_ue, n_bs))
    p_max = dbm_to_w(np.r_[np.full(3, 36.0), np.full(n_bs - 3, 20.0)])
    return gain, p_max


@pytest.mark.parametrize("seed", range(5))
def test_kernels_match_numpy_twins(seed):
    rng = np.random.default_rng(seed)
    gain, p_max = _event(rng)
    p = p_max / p_max.min()
    sinr, rate = _sinr_plus(gain, p, RATE_NOISE)
    np.testing.assert_allclose(sinr, authors_sinr_np(gain, p, RATE_NOISE), rtol=1e-12)
    np.testing.assert_allclose(rate, np.log2(1 + sinr) + 1e-16, rtol=1e-12)
    np.testing.assert_array_equal(_dual_log_association(np.log(rate), 150, 1e-2),
                                  dual_log_association_np(np.log(rate), 150, 1e-2))
    prior = np.zeros_like(gain)
    prior[np.arange(40), rng.integers(0, 15, 40)] = 1.0
    prior[:, -1] = 1.0
    assoc, stop, passes = _authors_association(sinr, prior, 50)
    twin, twin_passes = authors_association_np(sinr, prior, 50)
    np.testing.assert_array_equal(assoc, twin)
    assert passes == twin_passes
    weight = np.zeros_like(gain)
    weight[np.arange(40), assoc] = 1.0
    np.testing.assert_allclose(_interference_weighted_power(gain, weight, np.log(2), p, p, POWER_NOISE, 15),
                               interference_weighted_power_np(gain, weight, np.log(2), p, p, POWER_NOISE, 15),
                               rtol=1e-9)


def test_maramp_as_run_biases_towards_macros_by_the_linear_power_in_db():
    # One UE, a macro (16 dB above) and a small BS 20 dB stronger in gain: the true SINR
    # prefers the small BS; the defect adds 38.8 dB to the macro instead of 16 dB.
    gain = np.array([[1e-12, 1e-10, 1e-13]])
    p_max = dbm_to_w(np.array([36.0, 20.0, 20.0]))
    true_rx = gain[0] * p_max
    assert np.argmax(true_rx) == 1
    assert AUTHORS_METHODS["MARAMP"](gain, p_max, NOISE).association[0] == 0


@pytest.mark.parametrize("seed", range(4))
def test_uamwser_as_run_stops_at_its_first_pass_and_is_max_sinr(seed):
    rng = np.random.default_rng(10 + seed)
    gain, p_max = _event(rng)
    sol = AUTHORS_METHODS["UAMWSER"](gain, p_max, NOISE)
    assert sol.diagnostics["first_pass_stop"]
    best = np.argmax(gain * p_max, axis=1)  # max SINR = max received power
    keep = best != gain.shape[1] - 1  # the first pass penalises only the last BS
    np.testing.assert_array_equal(sol.association[keep], best[keep])


@pytest.mark.parametrize("seed", range(3))
def test_association_loop_runs_on_where_its_stop_test_fails(seed):
    # Two BSs, every UE starting on the last: the first pass moves every UE to BS 0, so no
    # entry of sx1 is zero and the routine goes on; the kernel follows it pass by pass.
    # (Here the routine never stops and its multipliers grow until, near pass 100, the
    # association is decided by rounding: the twin is compared over the first 30 passes.)
    rng = np.random.default_rng(seed)
    value = rng.uniform(1.0, 8.0, (6, 2))
    prior = np.zeros_like(value)
    prior[:, -1] = 1.0
    for n_pass in range(1, 31):
        assoc, stop, passes = _authors_association(value, prior, n_pass)
        twin, twin_passes = authors_association_np(value, prior, n_pass)
        assert not stop and passes == twin_passes == n_pass
        np.testing.assert_array_equal(assoc, twin)
    gain = 10.0 ** rng.uniform(-10, -8, (6, 2))
    sol = AUTHORS_METHODS["UAMWSER"](gain, dbm_to_w(np.array([20.0, 20.0])), NOISE)
    assert sol.diagnostics["passes"] > 1 and not sol.diagnostics["first_pass_stop"]


def test_msuapc_as_run_maximises_ln_sinr_not_ln_rate():
    # Its first round's association is the dual loop on ln SINR (the swapped outputs),
    # which differs from the dual loop on ln rate that its name promises.
    differs = 0
    for seed in range(6):
        gain, p_max = _event(np.random.default_rng(20 + seed))
        p = p_max / p_max.min()
        sinr, rate = _sinr_plus(gain, p, RATE_NOISE)
        on_sinr = _dual_log_association(np.log(sinr), 150, 2e-2)
        differs += np.any(on_sinr != _dual_log_association(np.log(rate), 150, 2e-2))
    assert differs > 0


@pytest.mark.parametrize("seed", range(3))
def test_juapcmwser_as_run_silences_only_idle_bss(seed):
    gain, p_max = _event(np.random.default_rng(30 + seed))
    sol = AUTHORS_METHODS["JUAPCMWSER"](gain, p_max, NOISE)
    serving = np.bincount(sol.association, minlength=gain.shape[1]) > 0
    assert np.all(sol.power_w[serving] > 0) and np.all(sol.power_w[~serving] == 0)
    assert np.all(sol.power_w <= p_max * (1 + 1e-12))


@pytest.mark.parametrize("name", list(AUTHORS_METHODS))
def test_rates_are_evaluated_with_idle_bss_silent(name):
    gain, p_max = _event(np.random.default_rng(40))
    sol = AUTHORS_METHODS[name](gain, p_max, NOISE)
    np.testing.assert_allclose(sol.rate, effective_rates(gain, sol.power_w, NOISE, sol.association,
                                                         idle_silent=True), rtol=1e-12)
    idle = np.bincount(sol.association, minlength=gain.shape[1]) == 0
    if idle.any() and np.any(sol.power_w[idle] > 0):
        assert sol.total_rate > effective_rates(gain, sol.power_w, NOISE, sol.association).sum()


def test_bad_input_is_refused_with_the_argument_named():
    gain, p_max = _event(np.random.default_rng(50))
    bad = gain.copy()
    bad[3, 2] = np.nan
    for method in AUTHORS_METHODS.values():
        with pytest.raises(ValueError, match="gain"):
            method(bad, p_max, NOISE)
        with pytest.raises(ValueError, match="noise_w"):
            method(gain, p_max, -1.0)


def _msuapc_twin(gain, p_max, ln_of):
    """The authors' ``max_utility_with_PC`` loop in plain NumPy: 20 rounds of the dual loop
    on ``ln_of(SINR, rate)`` and 15 interference-weighted power updates."""
    unit = p_max.min()
    cap = p_max / unit
    sinr = authors_sinr_np(gain, cap, RATE_NOISE)
    c = np.log(ln_of(sinr, np.log2(1.0 + sinr) + 1e-16))
    for _ in range(20):
        assoc = dual_log_association_np(c, 150, 2e-2)
        weight = np.zeros_like(gain)
        weight[np.arange(len(assoc)), assoc] = 1.0
        power = interference_weighted_power_np(gain, weight, np.log(2.0), cap, cap, POWER_NOISE, 15)
        sinr = authors_sinr_np(gain, power, RATE_NOISE)
        c = np.log(ln_of(sinr, np.log2(1.0 + sinr) + 1e-16) + 1e-30)
    return assoc, power * unit


@pytest.mark.parametrize("seed", range(2))
def test_msuapc_as_run_is_the_authors_loop_on_ln_sinr_and_the_fixed_one_on_ln_rate(seed):
    """``msuapc_authors`` by default keeps the authors' swapped outputs (ln SINR);
    ``msuapc_ln_rate`` puts them right (ln rate): each against the NumPy twin of the loop."""
    from hudnlib.baselines.paper_a_authors import msuapc_authors, msuapc_ln_rate

    gain, p_max = _event(np.random.default_rng(61 + seed))  # events where the two readings differ
    for method, ln_of in ((msuapc_authors, lambda sinr, rate: sinr), (msuapc_ln_rate, lambda sinr, rate: rate)):
        assoc, power = _msuapc_twin(gain, p_max, ln_of)
        sol = method(gain, p_max, NOISE)
        np.testing.assert_array_equal(sol.association, assoc)
        np.testing.assert_allclose(sol.power_w, power, rtol=1e-9)
    assert np.any(msuapc_authors(gain, p_max, NOISE).association != msuapc_ln_rate(gain, p_max, NOISE).association)

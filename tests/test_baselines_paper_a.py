import numpy as np
import pytest

from hudnlib.baselines.paper_a import METHODS, POWER_LEVELS
from hudnlib.effective_rate import (
    SUM_LOG_RATE,
    SUM_RATE,
    effective_rates,
    load_aware_search_kernel,
    power_control_kernel,
)
from hudnlib.radio import dbm_to_w, noise_power_w


def _event(rng, n_ue=30, n_bs=12):
    gain = 10.0 ** rng.uniform(-14, -7, (n_ue, n_bs))
    p_max = dbm_to_w(np.r_[np.full(2, 50.0), np.full(n_bs - 2, 20.0)])
    detectable = gain > 10 ** -11.5
    detectable[np.arange(n_ue), np.argmax(gain, axis=1)] = True
    return gain, p_max, noise_power_w(20e6), detectable


def _rates_np(gain, power, noise, assoc):
    """NumPy twin of eq. (2): equal split of the band among each BS's UEs."""
    rx = gain * power
    sinr = rx / (rx.sum(axis=1, keepdims=True) - rx + noise)
    load = np.bincount(assoc, minlength=gain.shape[1])
    rows = np.arange(len(assoc))
    return np.log2(1 + sinr[rows, assoc]) / load[assoc]


def test_effective_rates_match_numpy_twin():
    rng = np.random.default_rng(0)
    for _ in range(20):
        gain, p_max, noise, _ = _event(rng)
        power = p_max * rng.uniform(0, 1, p_max.shape)
        assoc = rng.integers(0, 12, 30)
        np.testing.assert_allclose(effective_rates(gain, power, noise, assoc),
                                   _rates_np(gain, power, noise, assoc), rtol=1e-9)


@pytest.mark.parametrize("objective", [SUM_RATE, SUM_LOG_RATE])
def test_load_aware_search_ends_in_a_local_optimum(objective):
    rng = np.random.default_rng(1)
    gain, p_max, noise, detectable = _event(rng)
    se = np.log2(1 + gain * p_max / ((gain * p_max).sum(1, keepdims=True) - gain * p_max + noise))

    def value(assoc):
        r = _rates_np(gain, p_max, noise, assoc)
        return r.sum() if objective == SUM_RATE else np.log(r).sum()

    start = np.argmax(np.where(detectable, se, -1), axis=1)
    assoc, moves = load_aware_search_kernel(se, detectable, start, objective, 10_000)
    assert moves > 0 and value(assoc) > value(start)
    for i in range(30):
        for j in np.flatnonzero(detectable[i]):
            moved = assoc.copy()
            moved[i] = j
            assert value(moved) <= value(assoc) + 1e-9


@pytest.mark.parametrize("switch_off", [False, True])
@pytest.mark.parametrize("objective", [SUM_RATE, SUM_LOG_RATE])
def test_power_control_never_ends_below_max_power_and_is_coordinatewise_optimal(objective, switch_off):
    rng = np.random.default_rng(2)
    gain, p_max, noise, _ = _event(rng)
    assoc = np.argmax(gain * p_max, axis=1)
    serving = np.bincount(assoc, minlength=12) > 0

    def value(power):
        r = _rates_np(gain, power, noise, assoc)
        with np.errstate(divide="ignore"):  # a switched-off serving BS gives log 0 = -inf
            return r.sum() if objective == SUM_RATE else np.log(r).sum()

    power, history, _ = power_control_kernel(gain, p_max, p_max, noise, assoc, objective, POWER_LEVELS, 50,
                                             switch_off)
    assert history[0] == pytest.approx(value(p_max))
    assert np.all(np.diff(history) >= 0) and value(power) >= value(p_max)
    assert np.all((power >= 0) & (power <= p_max))
    if not switch_off:
        assert np.all(power[serving] > 0)
    for j in range(12):
        for level in POWER_LEVELS:
            if level == 0 and serving[j] and not switch_off:
                continue
            trial = power.copy()
            trial[j] = level * p_max[j]
            assert value(trial) <= value(power) + 1e-9 * abs(value(power))


@pytest.mark.parametrize("name", list(METHODS))
def test_every_baseline_is_feasible(name):
    rng = np.random.default_rng(3)
    for _ in range(3):
        gain, p_max, noise, detectable = _event(rng)
        sol = METHODS[name](gain, p_max, noise, detectable)
        assert sol.association.shape == (30,)
        assert np.all(detectable[np.arange(30), sol.association])
        assert np.all((sol.power_w >= 0) & (sol.power_w <= p_max))
        np.testing.assert_allclose(sol.rate, _rates_np(gain, sol.power_w, noise, sol.association), rtol=1e-9)


@pytest.mark.parametrize("name", [m for m in METHODS if m != "JUAPCMWSER-switch-off"])
def test_corrected_baselines_never_leave_a_ue_at_rate_zero(name):
    rng = np.random.default_rng(6)
    for _ in range(3):
        gain, p_max, noise, detectable = _event(rng)
        sol = METHODS[name](gain, p_max, noise, detectable)
        assert np.all(sol.rate > 0)
        assert np.all(sol.power_w[np.unique(sol.association)] > 0)


def test_switch_off_variant_may_starve_but_never_loses_rate():
    rng = np.random.default_rng(7)
    for _ in range(3):
        gain, p_max, noise, detectable = _event(rng)
        off = METHODS["JUAPCMWSER-switch-off"](gain, p_max, noise, detectable)
        kept = METHODS["JUAPCMWSER"](gain, p_max, noise, detectable)
        assert off.diagnostics["objective_history"][0] >= kept.diagnostics["max_power_objective"] - 1e-9


def test_power_control_methods_beat_their_max_power_start():
    rng = np.random.default_rng(4)
    for _ in range(3):
        gain, p_max, noise, detectable = _event(rng)
        for name in ("MSUAPC", "JUAPCMWSER"):
            sol = METHODS[name](gain, p_max, noise, detectable)
            history = sol.diagnostics["objective_history"]
            assert history[0] >= sol.diagnostics["max_power_objective"] - 1e-9
        assert METHODS["JUAPCMWSER"](gain, p_max, noise, detectable).total_rate >= \
            METHODS["UAMWSER"](gain, p_max, noise, detectable).total_rate - 1e-9


@pytest.mark.parametrize("mask", ["half", "nan", "text", "row", "shape"])
def test_bad_input(mask):
    rng = np.random.default_rng(5)
    gain, p_max, noise, detectable = _event(rng)
    bad = gain.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="gain"):
        METHODS["MARAMP"](bad, p_max, noise, detectable)
    with pytest.raises(ValueError, match="p_max_w"):
        METHODS["MARAMP"](gain, -p_max, noise, detectable)
    wrong = {"half": np.where(detectable, 0.5, 0.0), "nan": np.where(detectable, np.nan, 0.0),
             "text": detectable.astype(str), "row": detectable & (np.arange(30) != 4)[:, None],
             "shape": detectable[:, :3]}[mask]
    for name in METHODS:
        with pytest.raises(ValueError, match="detectable"):
            METHODS[name](gain, p_max, noise, wrong)


def test_integer_masks_of_zeros_and_ones_are_accepted():
    gain, p_max, noise, detectable = _event(np.random.default_rng(8))
    a = METHODS["MSUAMP"](gain, p_max, noise, detectable.astype(int)).association
    np.testing.assert_array_equal(a, METHODS["MSUAMP"](gain, p_max, noise, detectable).association)


def test_corrected_power_control_serves_every_ue_on_real_events():
    from hudnlib.experiments.paper_a_baselines import READINGS, BaselineConfig, radio_map_of
    from hudnlib.scenarios.paper_a import draw_event

    radio_map = radio_map_of(BaselineConfig(samples=1))
    p_max, noise = dbm_to_w(radio_map.power_dbm), READINGS["corrected"].noise(radio_map.config)
    for k in (4, 6, 58):  # events of the full sweep where an earlier version left UEs at rate 0
        event = draw_event(radio_map, np.random.default_rng(np.random.SeedSequence(7, spawn_key=(k,))))
        for name in ("MSUAPC", "JUAPCMWSER"):
            sol = METHODS[name](event.gain, p_max, noise, event.detectable)
            assert np.all(sol.power_w[sol.association] > 0) and np.all(sol.rate > 0)

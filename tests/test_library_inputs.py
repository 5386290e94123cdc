"""Bad input to the public functions: a ValueError that names the argument, never a silent
conversion, a NaN, or a crash inside a kernel (the cases of a hostile-user probe)."""

import importlib
import pkgutil

import numpy as np
import pytest

import hudnlib
from hudnlib.allocation import allocate_bandwidth, allocate_cell_bandwidth
from hudnlib.baselines.paper_b import genetic_association, homogeneous_pricing, two_ring_search
from hudnlib.effective_rate import effective_rates
from hudnlib.fairness import alpha_utility, group_haf
from hudnlib.pricing import price_association
from hudnlib.radio import dbm_to_w, noise_power_w, sinr_matrix, spectral_efficiency, w_to_dbm

GAIN = np.array([[1e-9, 1e-11], [1e-11, 1e-9], [1e-9, 1e-12]])
POWER = np.ones(2)
SE = np.array([[2.0, 1.0], [1.0, 3.0], [0.5, 0.7]])
ALPHA = np.array([1.0, 2.0, 0.5])


@pytest.mark.parametrize("gain", [GAIN > 0, GAIN.astype(complex), GAIN.astype(str), [[None, 1e-9]]],
                         ids=["bool", "complex", "str", "None"])
def test_gains_must_be_real_numbers(gain):
    with pytest.raises(ValueError, match="gain must hold real numbers"):
        sinr_matrix(gain, POWER, 1e-13)
    with pytest.raises(ValueError, match="gain must hold real numbers"):
        effective_rates(gain, POWER, 1e-13, np.array([0, 1, 0]))


@pytest.mark.parametrize("association", [np.array([True, False, True]), np.array([0, 1, 0], complex),
                                         np.array(["0", "1", "0"]), np.array([0.0, np.nan, 1.0])],
                         ids=["bool", "complex", "str", "nan"])
def test_associations_must_be_integer_indices(association):
    with pytest.raises(ValueError, match="association must hold integer indices"):
        effective_rates(GAIN, POWER, 1e-13, association)
    with pytest.raises(ValueError, match="association must hold integer indices"):
        allocate_bandwidth(SE, ALPHA, association)


def test_groups_are_checked_like_associations():
    with pytest.raises(ValueError, match="group must hold integer indices"):
        group_haf(np.ones(3), ALPHA, np.array([True, False, True]), 2)
    with pytest.raises(ValueError, match="group holds an index outside"):
        group_haf(np.ones(3), ALPHA, np.array([0, 2, 1]), 2)
    with pytest.raises(ValueError, match="n_groups must be an integer"):
        group_haf(np.ones(3), ALPHA, np.array([0, 1, 1]), 2.0)
    np.testing.assert_allclose(group_haf(np.ones(3), ALPHA, np.array([0, 1, 1]), 2).sum(),
                               alpha_utility(np.ones(3), ALPHA).sum())


@pytest.mark.parametrize("call, name", [
    (lambda: sinr_matrix(GAIN, POWER, True), "noise_w"),
    (lambda: effective_rates(GAIN, POWER, "1e-13", np.array([0, 1, 0])), "noise_w"),
    (lambda: allocate_bandwidth(SE, ALPHA, np.array([0, 1, 0]), bandwidth="1"), "bandwidth"),
    (lambda: price_association(SE, ALPHA, initial_price="1"), "initial_price"),
    (lambda: price_association(SE, ALPHA, initial_price=True), "initial_price"),
    (lambda: alpha_utility(np.ones(3), True), "alpha"),
    (lambda: alpha_utility(np.ones(3), "1"), "alpha"),
], ids=["noise-bool", "noise-str", "bandwidth-str", "price-str", "price-bool", "alpha-bool", "alpha-str"])
def test_scalars_are_not_converted_from_booleans_or_strings(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("n_iter", [np.nan, np.inf, None, True, 2.5, 0], ids=str)
def test_iteration_counts_are_named(n_iter):
    with pytest.raises(ValueError, match="n_iter must be"):
        price_association(SE, ALPHA, n_iter=n_iter)


def test_unit_conversions_refuse_what_has_no_value():
    assert float(dbm_to_w(30.0)) == 1.0 and float(w_to_dbm(1.0)) == 30.0
    np.testing.assert_allclose(w_to_dbm(dbm_to_w(np.array([-10.0, 20.0]))), [-10.0, 20.0])
    with pytest.raises(ValueError, match="power_dbm contains 1 NaN"):
        dbm_to_w(np.nan)
    for bad in (-1.0, 0.0):
        with pytest.raises(ValueError, match="power_w must be strictly positive"):
            w_to_dbm(bad)
    with pytest.raises(ValueError, match="noise_figure_db must be finite"):
        noise_power_w(1e6, np.nan)


def test_spectral_efficiency_takes_a_scalar():
    assert float(spectral_efficiency(3.0)) == 2.0
    assert spectral_efficiency(np.array([[1.0, 3.0]])).shape == (1, 2)
    with pytest.raises(ValueError, match="sinr must be >= 0"):
        spectral_efficiency(-1.0)


def test_a_default_price_out_of_float_range_says_what_to_pass():
    se = np.full((3, 2), 1e-4)
    with pytest.raises(ValueError, match="default initial price.*pass initial_price"):
        price_association(se, np.full(3, 100.0))


def test_utility_is_minus_inf_where_it_leaves_the_float_range_as_documented():
    assert np.isneginf(alpha_utility(np.array([1e-5]), 100.0)[0])  # -1e495 / 99
    assert np.isfinite(alpha_utility(np.array([1e-3]), 100.0)[0])
    assert "below the range of a float" in alpha_utility.__doc__


def test_one_cell_split_wants_one_row_of_efficiencies():
    np.testing.assert_allclose(allocate_cell_bandwidth(np.array([1.0, 2.0]), np.ones(2)), [0.5, 0.5])
    with pytest.raises(ValueError, match="spectral_efficiency must be 1-D"):
        allocate_cell_bandwidth(np.ones((2, 2)), np.ones(2))


@pytest.mark.parametrize("flag", ["False", 0, None], ids=str)
def test_flags_must_be_booleans(flag):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="idle_silent must be True or False"):
        effective_rates(GAIN, POWER, 1e-13, np.array([0, 1, 0]), idle_silent=flag)
    with pytest.raises(ValueError, match="swaps must be True or False"):
        two_ring_search(SE, ALPHA, rng, swaps=flag)
    with pytest.raises(ValueError, match="seeded must be True or False"):
        genetic_association(SE, ALPHA, rng, seeded=flag)


def test_paper_b_method_scalars_are_not_converted_from_strings():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="assumed_alpha must hold real numbers"):
        homogeneous_pricing(SE, ALPHA, rng, assumed_alpha="1")
    with pytest.raises(ValueError, match="mutation_prob must hold real numbers"):
        genetic_association(SE, ALPHA, rng, mutation_prob="0.5")


def test_no_unchecked_kernel_is_public():
    """Kernels trust their inputs (an out-of-range association reads outside the arrays):
    none is in any module's ``__all__``."""
    public = []
    for info in pkgutil.walk_packages(hudnlib.__path__, "hudnlib."):
        if info.name.startswith(("hudnlib.experiments", "hudnlib.gnn", "hudnlib.cli", "hudnlib.__main__")):
            continue
        module = importlib.import_module(info.name)
        public += [f"{info.name}.{n}" for n in getattr(module, "__all__", []) if n.endswith("_kernel")]
    public += [n for n in hudnlib.__all__ if n.endswith("_kernel")]
    assert public == []


def test_gnn_sizes_and_batches_are_checked():
    pytest.importorskip("torch")
    from hudnlib.gnn.authors import AuthorsHGSAGE
    from hudnlib.gnn.graph import dense_batch
    from hudnlib.gnn.model import HGSAGE

    for kwargs, name in (({"layers": 0}, "layers"), ({"hidden": 0}, "hidden"), ({"hidden": True}, "hidden"),
                         ({"temperature": np.nan}, "temperature")):
        with pytest.raises(ValueError, match=name):
            HGSAGE(**kwargs)
    assert len(HGSAGE(layers=3).layers) == 3
    with pytest.raises(ValueError, match="mask_to_edges must be True or False"):
        AuthorsHGSAGE(4, 2, mask_to_edges="yes")
    for kwargs, message in (({"n_ue": True}, "n_ue must be an integer"), ({"n_bs": 0}, "n_bs must be >= 1"),
                            ({"samples": 2.0}, "samples must be an integer")):
        with pytest.raises(ValueError, match=message):
            AuthorsHGSAGE(**{"n_ue": 4, "n_bs": 2, **kwargs})
    assert AuthorsHGSAGE(np.int64(4), 2).n_ue == 4  # an event size read from an array is an integer too
    with pytest.raises(ValueError, match="graphs is empty"):
        dense_batch([])

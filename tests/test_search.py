import numpy as np
import pytest

from hudnlib.allocation import allocate_bandwidth
from hudnlib.baselines.paper_b import genetic_association, two_ring_search
from hudnlib.reference import brute_force_association
from hudnlib.allocation import association_value
from tests.conftest import random_instance


def _haf(se, alpha, assoc):
    return allocate_bandwidth(se, alpha, assoc).haf


def test_association_value_matches_algorithm_1(rng):
    for _ in range(20):
        se, alpha = random_instance(rng, 25, 4)
        assoc = rng.integers(0, 4, 25)
        assert association_value(np.log(se), alpha, assoc) == pytest.approx(_haf(se, alpha, assoc), rel=1e-12)


@pytest.mark.parametrize("swaps", [False, True])
def test_two_ring_ends_in_a_local_optimum(rng, swaps):
    for _ in range(4):
        se, alpha = random_instance(rng, 14, 3)
        sol = two_ring_search(se, alpha, rng, start=rng.integers(0, 3, 14), swaps=swaps)
        best = sol.haf
        tol = 1e-9 * abs(best)
        for i in range(14):
            for j in range(3):  # every single reassignment
                moved = sol.association.copy()
                moved[i] = j
                assert _haf(se, alpha, moved) <= best + tol
            for k in range(i + 1, 14 if swaps else i + 1):  # every swap
                swapped = sol.association.copy()
                swapped[[i, k]] = swapped[[k, i]]
                assert _haf(se, alpha, swapped) <= best + tol
        assert np.all(np.diff(sol.diagnostics["haf_history"]) > 0)


def _single_move_search(se, alpha, start):
    """Reference: best-improvement walk over exactly the single-user reassignments."""
    assoc, value = start.copy(), _haf(se, alpha, start)
    while True:
        moves = [(i, j) for i in range(se.shape[0]) for j in range(se.shape[1]) if j != assoc[i]]
        values = []
        for i, j in moves:
            moved = assoc.copy()
            moved[i] = j
            values.append(_haf(se, alpha, moved))
        k = int(np.argmax(values))
        if values[k] <= value + 1e-12 * abs(value):
            return assoc
        assoc[moves[k][0]], value = moves[k][1], values[k]


def test_two_ring_without_swaps_walks_the_single_move_neighbourhood(rng):
    for _ in range(4):
        se, alpha = random_instance(rng, 10, 3)
        start = rng.integers(0, 3, 10)
        sol = two_ring_search(se, alpha, rng, start=start)
        np.testing.assert_array_equal(sol.association, _single_move_search(se, alpha, start))


def test_two_ring_never_below_its_start(rng):
    for _ in range(10):
        se, alpha = random_instance(rng, 20, 4)
        start = np.argmax(se, axis=1)
        assert two_ring_search(se, alpha, rng, start=start).haf >= _haf(se, alpha, start) - 1e-12


def test_genetic_never_worse_than_its_best_initial_and_is_seeded():
    for seed in range(5):
        rng = np.random.default_rng(seed)
        se, alpha = random_instance(rng, 20, 4)
        sol = genetic_association(se, alpha, np.random.default_rng(seed), generations=40, seeded=True)
        history = sol.diagnostics["best_history"]
        assert np.all(np.diff(history) >= 0)
        assert sol.haf == pytest.approx(history[-1], rel=1e-12)
        assert sol.haf >= _haf(se, alpha, np.argmax(se, axis=1)) - 1e-12
        again = genetic_association(se, alpha, np.random.default_rng(seed), generations=40, seeded=True)
        np.testing.assert_array_equal(sol.association, again.association)


def test_searches_never_beat_brute_force():
    for seed in range(6):
        rng = np.random.default_rng(seed)
        se, alpha = random_instance(rng, 6, 3)
        _, optimum = brute_force_association(se, alpha)
        for sol in (two_ring_search(se, alpha, rng), genetic_association(se, alpha, rng, generations=50)):
            assert sol.haf <= optimum + 1e-9 * abs(optimum)


def test_bad_ga_settings(rng):
    se, alpha = random_instance(rng, 5, 2)
    with pytest.raises(ValueError, match="parents"):
        genetic_association(se, alpha, rng, parents=70)
    with pytest.raises(ValueError, match="mutation_prob"):
        genetic_association(se, alpha, rng, mutation_prob=1.5)


def _genetic_twin(log_bc, alpha, population, n_parents, mutation_prob, n_generations, rng):
    """PyGAD-style steady-state GA in plain NumPy, drawing from ``rng`` in the kernel's order:
    elitism of one, parents the best ``n_parents`` (consecutive pairs), one-point crossover,
    uniform mutation. Fitness is the library's HAF of an association (what is tested here
    is the search around it)."""
    def fitness(assoc):
        return association_value(log_bc, alpha, assoc)

    pop = population.copy()
    fit = np.array([fitness(p) for p in pop])
    n_pop, n_users = pop.shape
    for _ in range(n_generations):
        order = np.argsort(-fit, kind="mergesort")
        new = [pop[order[0]].copy()]
        for k in range(1, n_pop):
            first, second = pop[order[(k - 1) % n_parents]], pop[order[k % n_parents]]
            cut = rng.integers(1, n_users)
            child = np.where(np.arange(n_users) < cut, first, second)
            for i in range(n_users):
                if rng.random() < mutation_prob:
                    child[i] = rng.integers(0, log_bc.shape[1])
            new.append(child)
        pop = np.array(new)
        fit = np.array([fitness(p) for p in pop])
    return pop[np.argmax(fit)], fit.max()


def test_genetic_kernel_equals_its_numpy_twin():
    """Parents are the best ``n_parents`` individuals (a first parent drawn from the whole
    population, or another crossover, would change the trajectory)."""
    from hudnlib.search import genetic_kernel

    rng = np.random.default_rng(8)
    se, alpha = random_instance(rng, 9, 4)
    log_bc = np.log(se)
    initial = rng.integers(0, 4, size=(12, 9))
    best, value, _ = genetic_kernel(log_bc, alpha, initial, 3, 0.05, 15, np.random.default_rng(2))
    twin_best, twin_value = _genetic_twin(log_bc, alpha, initial, 3, 0.05, 15, np.random.default_rng(2))
    np.testing.assert_array_equal(best, twin_best)
    assert value == pytest.approx(twin_value, rel=1e-9)

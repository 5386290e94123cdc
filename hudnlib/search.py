"""Centralised association search used as paper B's baselines: 2RS and GA.

Both search over associations only; every candidate gets its optimal bandwidth from
Algorithm 1, so the objective is the HAF of P1 restricted to that association.

- **2RS** (Xia 2009): best-improvement local search. The paper's neighbourhood is the
  "2-distance ring" of the binary association vector, i.e. every single-user reassignment;
  we also try every swap of two users on different BSs (the spec's guess) unless
  ``swaps=False``. A move changes only two cells, so only those two are re-solved.
- **GA** (Weise): PyGAD-style genetic algorithm over association vectors: steady-state
  selection of the best ``n_parents``, single-point crossover of consecutive parents,
  uniform random mutation of each gene with probability ``mutation_prob``, elitism of one.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hudnlib.allocation import _allocate_cell, association_value
from hudnlib.fairness import utility_of_log

__all__ = ["cell_value"]


@njit(cache=True)
def cell_value(log_bc, alpha):
    """Optimal HAF of one cell (Algorithm 1, then the utilities); 0 for an empty cell."""
    n = log_bc.shape[0]
    if n == 0:
        return 0.0
    y = np.empty(n)
    _allocate_cell(log_bc, alpha, y)
    total = 0.0
    for k in range(n):
        total += utility_of_log(log_bc[k] + np.log(y[k]), alpha[k])
    return total


@njit(cache=True)
def _cell_with(log_bc, alpha, association, j, drop, add):
    """Value of cell ``j`` after removing user ``drop`` and adding user ``add`` (-1: none)."""
    n = 0
    for i in range(association.shape[0]):
        if association[i] == j and i != drop:
            n += 1
    if add >= 0:
        n += 1
    cell_bc = np.empty(n)
    cell_alpha = np.empty(n)
    m = 0
    for i in range(association.shape[0]):
        if association[i] == j and i != drop:
            cell_bc[m] = log_bc[i, j]
            cell_alpha[m] = alpha[i]
            m += 1
    if add >= 0:
        cell_bc[m] = log_bc[add, j]
        cell_alpha[m] = alpha[add]
    return cell_value(cell_bc, cell_alpha)


@njit(cache=True)
def two_ring_kernel(log_bc, alpha, association, swaps, max_iter, rel_tol):
    """2RS best-improvement local search from ``association`` (kernel).

    Returns the final association, the HAF after each accepted move (first entry: start)
    and the number of accepted moves. Stops when no move improves the HAF by more than
    ``rel_tol * max(1, |HAF|)`` or after ``max_iter`` moves.
    """
    n_users, n_bs = log_bc.shape
    assoc = association.copy()
    cell = np.empty(n_bs)
    for j in range(n_bs):
        cell[j] = _cell_with(log_bc, alpha, assoc, j, -1, -1)
    history = np.empty(max_iter + 1)
    total = cell.sum()
    history[0] = total
    moves = 0
    while moves < max_iter:
        best_gain = rel_tol * max(1.0, abs(total))
        best_i, best_k, best_j = -1, -1, -1
        best_a, best_b = 0.0, 0.0
        for i in range(n_users):
            a = assoc[i]
            without = _cell_with(log_bc, alpha, assoc, a, i, -1)
            for j in range(n_bs):
                if j == a:
                    continue
                with_i = _cell_with(log_bc, alpha, assoc, j, -1, i)
                gain = without + with_i - cell[a] - cell[j]
                if gain > best_gain:
                    best_gain, best_i, best_k, best_j = gain, i, -1, j
                    best_a, best_b = without, with_i
            if swaps:
                for k in range(i + 1, n_users):
                    b = assoc[k]
                    if b == a:
                        continue
                    new_a = _cell_with(log_bc, alpha, assoc, a, i, k)
                    new_b = _cell_with(log_bc, alpha, assoc, b, k, i)
                    gain = new_a + new_b - cell[a] - cell[b]
                    if gain > best_gain:
                        best_gain, best_i, best_k, best_j = gain, i, k, b
                        best_a, best_b = new_a, new_b
        if best_i < 0:
            break
        a = assoc[best_i]
        if best_k >= 0:
            assoc[best_k] = a
        assoc[best_i] = best_j
        cell[a], cell[best_j] = best_a, best_b
        total = cell.sum()
        moves += 1
        history[moves] = total
    return assoc, history[: moves + 1], moves


@njit(cache=True)
def genetic_kernel(log_bc, alpha, population, n_parents, mutation_prob, n_generations, rng):
    """PyGAD-style GA over associations (kernel); fitness = HAF with Algorithm 1.

    Parameters
    ----------
    population : (P, I) int64 initial individuals.
    rng : numpy.random.Generator used for crossover points and mutations.

    Returns the best individual, its HAF, and the best HAF after each generation
    (entry 0: the initial population).
    """
    n_pop, n_users = population.shape
    n_bs = log_bc.shape[1]
    pop = population.copy()
    fitness = np.empty(n_pop)
    for p in range(n_pop):
        fitness[p] = association_value(log_bc, alpha, pop[p])
    history = np.empty(n_generations + 1)
    history[0] = fitness.max()
    new_pop = np.empty_like(pop)
    new_fitness = np.empty(n_pop)
    for g in range(n_generations):
        order = np.argsort(-fitness, kind="mergesort")
        new_pop[0] = pop[order[0]]  # elitism: the best individual survives unchanged
        new_fitness[0] = fitness[order[0]]
        for k in range(1, n_pop):
            first = pop[order[(k - 1) % n_parents]]
            second = pop[order[k % n_parents]]
            cut = rng.integers(1, n_users) if n_users > 1 else 0
            for i in range(n_users):
                gene = first[i] if i < cut else second[i]
                if rng.random() < mutation_prob:
                    gene = rng.integers(0, n_bs)
                new_pop[k, i] = gene
            new_fitness[k] = association_value(log_bc, alpha, new_pop[k])
        pop, new_pop = new_pop, pop
        fitness, new_fitness = new_fitness, fitness
        history[g + 1] = fitness.max()
    best = np.argmax(fitness)
    return pop[best].copy(), fitness[best], history

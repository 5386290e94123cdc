"""Time each numba kernel against its plain-NumPy twin (``make bench``).

Sizes: paper B's network (60 users x 6 BSs) and a large one (10,000 users x 1,000 BSs).
Each entry is the best of several repeats after a warm-up call (JIT compile excluded).
Goals: >= 20x over the twin; one pricing run at the large size in < 1 s and in at most half
the time of streaming its dense (I, J) input once per iteration.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numba import njit, prange

from hudnlib import reference as ref
from hudnlib.allocation import allocate_bandwidth, allocate_kernel
from hudnlib.experiments.paper_b.scaling import geometric_instance as instance
from hudnlib.fairness import _utility_vector, alpha_utility
from hudnlib.pricing import (
    best_response,
    best_response_kernel,
    default_initial_price,
    full_band_utility,
    price_association,
    pricing_kernel,
)
from hudnlib.radio import (
    sinr_kernel,
    dbm_to_w,
    sinr_matrix,
)


def best_time(fn: Callable[[], object], budget_s: float = 2.0, max_repeat: int = 20) -> float:
    """Minimum wall time of ``fn`` over repeats within a time budget (after one warm-up)."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_repeat and (not times or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(n_users: int, n_bs: int, pricing_iters: int, twin_iters: int) -> list[tuple]:
    """Time kernel, public call (kernel + input validation) and twin for each concept."""
    gain, power, noise, se, alpha, assoc = instance(n_users, n_bs)
    rate = allocate_bandwidth(se, alpha, assoc).rate
    prices = np.full(n_bs, default_initial_price(se, alpha, 1.0))
    log_bc = np.log(se)
    u_full = full_band_utility(log_bc, alpha)
    chosen = log_bc[np.arange(n_users), assoc]
    probe = price_association(se, alpha, n_iter=1)
    mu0 = np.full(n_bs, probe.initial_price)
    rows = []

    def row(name, kernel, public, twin, twin_scale=1.0):
        t_kernel = best_time(kernel)
        t_public = best_time(public)
        t_twin = best_time(twin, max_repeat=3) * twin_scale
        rows.append((f"{n_users}x{n_bs}", name, t_kernel, t_public, t_twin, t_twin / t_kernel))

    row("sinr_matrix (eq. 4)", lambda: sinr_kernel(gain, power, noise),
        lambda: sinr_matrix(gain, power, noise), lambda: ref.sinr_matrix_np(gain, power, noise))
    row("alpha_utility (eq. 9)", lambda: _utility_vector(rate, alpha),
        lambda: alpha_utility(rate, alpha), lambda: ref.alpha_utility_np(rate, alpha))
    row("allocate_bandwidth (Alg. 1)", lambda: allocate_kernel(chosen, alpha, assoc, n_bs),
        lambda: allocate_bandwidth(se, alpha, assoc),
        lambda: ref.allocate_bandwidth_np(se, alpha, assoc))
    row("best_response (eqs. 16-17)", lambda: best_response_kernel(log_bc, u_full, alpha, prices),
        lambda: best_response(se, alpha, prices), lambda: ref.best_response_np(se, alpha, prices))
    row(f"price_association, full scan ({pricing_iters} it.)",
        lambda: pricing_kernel(log_bc, u_full, alpha, mu0, probe.step0, 1e-9 * mu0[0], pricing_iters, False),
        lambda: price_association(se, alpha, n_iter=pricing_iters),
        lambda: ref.price_association_np(se, alpha, probe.initial_price, probe.step0, twin_iters),
        twin_scale=pricing_iters / twin_iters)
    row(f"price_association (Alg. 2, {pricing_iters} it.)",
        lambda: pricing_kernel(log_bc, u_full, alpha, mu0, probe.step0, 1e-9 * mu0[0], pricing_iters),
        lambda: price_association(se, alpha, n_iter=pricing_iters),
        lambda: ref.price_association_np(se, alpha, probe.initial_price, probe.step0, twin_iters),
        twin_scale=pricing_iters / twin_iters)
    return rows


def baselines() -> list[tuple[str, float, str]]:
    """Whole methods at the papers' sizes: (name, seconds, goal)."""
    from hudnlib.baselines import paper_b
    from hudnlib.experiments.paper_a_baselines import PAPER_TABLE_III, READINGS, BaselineConfig, radio_map_of
    from hudnlib.experiments.runner import run as run_experiment
    from hudnlib.scenarios.paper_a import draw_event

    rows = []
    _, _, _, se, alpha, _ = instance(60, 6, seed=1)
    rng = np.random.default_rng(0)
    start = paper_b.ours(se, alpha, rng).association
    rows.append(("paper B 2RS, 60 users x 6 BSs", best_time(
        lambda: paper_b.two_ring_search(se, alpha, rng, start=start), max_repeat=5), "-"))
    rows.append(("paper B GA (300 generations), 60 x 6", best_time(
        lambda: paper_b.genetic_association(se, alpha, rng), max_repeat=5), "< 0.5 s"))
    for reading_name, reading in READINGS.items():
        config = BaselineConfig(samples=1, reading=reading_name)
        radio_map = radio_map_of(config)
        event = draw_event(radio_map, np.random.default_rng(0))
        p_max = dbm_to_w(radio_map.power_dbm)
        noise = reading.noise(radio_map.config)
        mask = event.detectable if reading.restrict_to_edges else None
        for name, method in reading.methods.items():
            seconds = best_time(lambda: method(event.gain, p_max, noise, mask), max_repeat=10)
            paper = PAPER_TABLE_III.get(name)  # extra rows (ours) have no paper time
            goal = f"<= {paper * 10:.3g} ms (1% of the paper's)" if paper else "-"
            met = "met" if paper and seconds <= paper / 100 else ("MISSED" if paper else "")
            rows.append((f"paper A {name} ({reading_name}), 120 UEs x 105 BSs, warm", seconds,
                         f"{goal} {met}"))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        run_experiment("paper_b_static_low", "quick", recompute=True, progress=False, n_workers=0,
                       results_dir=Path(scratch))
    rows.append(("paper B Table III sweep, quick scale (8 samples, 9 methods, 1 process)",
                 time.perf_counter() - t0, "full 1,000 samples < 5 min on 2 cores"))
    return rows


@njit(parallel=True)
def _parallel_sum(array):
    total = 0.0
    for i in prange(array.shape[0]):
        total += array[i].sum()
    return total


def read_bandwidth(nbytes: float = 80e6) -> float:
    """Bytes per second of streaming a large float64 array once: the faster of a NumPy sum (one
    thread) and a numba sum over all threads (the pricing kernel's own resources), best of 10."""
    array = np.ones((int(nbytes // 8) // 1000, 1000))
    best = min(best_time(lambda: array.sum(), max_repeat=10), best_time(lambda: _parallel_sum(array), max_repeat=10))
    return array.nbytes / best


def memory_bound(n_users: int, n_bs: int, iters: int, name: str, measured: float, bandwidth: float) -> str:
    """A pricing kernel's time against streaming its dense input, log(Bc) as (I, J) float64,
    once per iteration at the measured read bandwidth (the floor of a kernel that reads every
    entry each iteration; the goal is half of it)."""
    stream = iters * n_users * n_bs * 8 / bandwidth
    verdict = "goal met" if measured <= stream / 2 else "goal MISSED"
    return (f"{n_users}x{n_bs}, {name}: {measured:.3e} s; streaming {iters * n_users * n_bs * 8 / 1e9:.2f} GB "
            f"at the measured {bandwidth / 1e9:.1f} GB/s takes {stream:.3e} s -> {measured / stream:.2f}x "
            f"the streaming time ({verdict}: <= 0.5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="paper size only")
    args = parser.parse_args()
    sizes = [(60, 6, 300, 300)]
    if not args.quick:
        sizes.append((10_000, 1_000, 100, 2))
    print(f"{'size':>11} {'kernel':<38} {'kernel [s]':>10} {'public [s]':>10} "
          f"{'NumPy twin [s]':>14} {'speed-up':>8}")
    bounds = []
    bandwidth = read_bandwidth()
    for n_users, n_bs, iters, twin_iters in sizes:
        for size, name, t_kernel, t_public, t_twin, ratio in run(n_users, n_bs, iters, twin_iters):
            print(f"{size:>11} {name:<38} {t_kernel:10.3e} {t_public:10.3e} {t_twin:14.3e} "
                  f"{ratio:7.1f}x")
            if name.startswith("price_association"):
                bounds.append(memory_bound(n_users, n_bs, iters, name, t_kernel, bandwidth))
    print("\nPricing kernels against streaming their dense input once per iteration:")
    for line in bounds:
        print("  " + line)
    print("\nspeed-up = twin / kernel; 'public' adds input validation and set-up (logs, U(Bc)).")
    print("Twin times of Algorithm 2 at the large size are extrapolated from "
          "2 iterations (its per-iteration cost is constant).\n")
    print("Whole methods: best of up to 10 warm calls after one warm-up call (compilation excluded).")
    print(f"{'whole method':<72} {'time [s]':>9}  goal")
    for name, seconds, goal in baselines():
        print(f"{name:<72} {seconds:9.2e}  {goal}")


if __name__ == "__main__":
    main()

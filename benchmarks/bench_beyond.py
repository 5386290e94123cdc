"""Benchmark: the "Beyond the papers" experiments against their 15-minute budget at full scale,
and the exact solver against its step count.

For each experiment, a few samples run in this process on one thread, as a Dask worker runs
them (one single-threaded process a core); the full scale's time on
2 cores is that per-sample time times the samples over 2 workers, printed beside the stored
full-scale run's own wall time (2 Dask workers) when there is one. The exact solver's
dynamic programme takes ``J 3^I`` steps; its rate in steps per second is printed for the
small events' size and the largest accepted.

Run alone on an idle machine: ``python benchmarks/bench_beyond.py``.
"""

from __future__ import annotations

import json
import time

import numba
import numpy as np

from hudnlib.exact import MAX_USERS, best_partition_kernel, cell_values_kernel
from hudnlib.experiments.catalogue import find_experiment
from hudnlib.provenance import RESULTS_DIR

BUDGET_S = 15 * 60
PROBE = {"beyond_b_on_a": 2, "beyond_a_on_b": 6, "beyond_exact": 4, "beyond_hgsage_small": 4}
"""Samples timed per experiment (``beyond_hgsage_small`` loads its trained GRL; training it
once took about 3 minutes on 2 idle cores, 10,000 steps at 16-18 ms)."""


def _probe(name: str, samples: int) -> float:
    experiment = find_experiment(name)
    config = experiment.scales["full"]
    inputs = experiment.prepare(config) if experiment.prepare else {}
    indices = np.arange(samples)
    inputs = {k: v[:samples] for k, v in inputs.items()}
    experiment.run_samples(config, indices[:1], {k: v[:1] for k, v in inputs.items()})  # compile
    t0 = time.perf_counter()
    experiment.run_samples(config, indices, inputs)
    return (time.perf_counter() - t0) / samples


def main() -> None:
    numba.set_num_threads(1)
    print("Beyond the papers: full scale against the 15-minute budget (2 cores)")
    for name, samples in PROBE.items():
        config = find_experiment(name).scales["full"]
        per = _probe(name, samples)
        estimate = per * config.samples / 2
        record = RESULTS_DIR / f"{name}-full.json"
        stored = json.loads(record.read_text())["wall_time_s"] if record.exists() else float("nan")
        print(f"  {name:15s} {per:7.3f} s/sample x {config.samples:5,} samples / 2 workers = {estimate:6.0f} s "
              f"(stored run: {stored:6.0f} s; budget {BUDGET_S} s: {'met' if max(estimate, stored) <= BUDGET_S else 'NOT met'})")
    rng = np.random.default_rng(0)
    for n_users, n_bs in ((8, 6), (MAX_USERS, 6)):
        se = rng.uniform(0.1, 5.0, (n_users, n_bs))
        allowed = np.ones((n_users, n_bs), dtype=bool)
        values = cell_values_kernel(se, allowed, 0)
        best_partition_kernel(values)
        t0 = time.perf_counter()
        repeats = 20 if n_users <= 10 else 1
        for _ in range(repeats):
            best_partition_kernel(values)
        seconds = (time.perf_counter() - t0) / repeats
        steps = n_bs * 3 ** n_users
        print(f"  exact DP, {n_users:2d} users x {n_bs} BSs: {seconds * 1e3:9.3f} ms, {steps:,} steps, "
              f"{steps / seconds / 1e6:6.1f} M steps/s (enumeration would visit {n_bs ** n_users:,} associations)")


if __name__ == "__main__":
    main()

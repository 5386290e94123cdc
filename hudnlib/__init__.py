"""hudnlib: user association and resource allocation in dense heterogeneous networks.

Numba kernels and experiments reproducing

* paper A - HGSAGE joint user association and power control in a heterogeneous
  ultra-dense network, and
* paper B - heterogeneous alpha-fairness (HAF) with bisection bandwidth allocation
  (Algorithm 1) and distributed subgradient pricing (Algorithm 2).
"""

import os

# Threads that wait at the end of a parallel region spin a short while (1,000 polls) and
# then sleep. OpenMP's default spins 300,000 polls: beside another busy process every region
# waits for a descheduled partner (pricing 15x slower on 2 cores); never spinning
# (OMP_WAIT_POLICY=PASSIVE) fixes that but makes every small region pay a sleep and a wake
# (paper B's 40-user drops 4x slower alone). See benchmarks/bench_contention.py. Read when
# numba's and torch's OpenMP runtimes start, so it holds where hudnlib is imported first;
# an explicit GOMP_SPINCOUNT or OMP_WAIT_POLICY is kept.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "1000")

from hudnlib.allocation import Allocation, allocate_bandwidth, allocate_cell_bandwidth  # noqa: E402
from hudnlib.fairness import alpha_utility, group_haf, haf  # noqa: E402
from hudnlib.pricing import PricingResult, best_response, dual_value, price_association  # noqa: E402
from hudnlib.radio import dbm_to_w, noise_power_w, sinr_matrix, spectral_efficiency, w_to_dbm  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Allocation",
    "PricingResult",
    "allocate_bandwidth",
    "allocate_cell_bandwidth",
    "alpha_utility",
    "best_response",
    "dbm_to_w",
    "dual_value",
    "group_haf",
    "haf",
    "noise_power_w",
    "price_association",
    "sinr_matrix",
    "spectral_efficiency",
    "w_to_dbm",
]

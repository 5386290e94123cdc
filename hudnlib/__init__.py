"""hudnlib: user association and resource allocation in dense heterogeneous networks.

Numba kernels and experiments reproducing

* paper A - HGSAGE joint user association and power control in a heterogeneous
  ultra-dense network, and
* paper B - heterogeneous alpha-fairness (HAF) with bisection bandwidth allocation
  (Algorithm 1) and distributed subgradient pricing (Algorithm 2).
"""

import os

# Threads that wait at the end of a parallel region sleep instead of spinning (OpenMP's
# default spins): beside another busy process, spinning threads make every region wait for
# a descheduled partner (10x slower pricing, 7.6x slower GRL steps measured on 2 cores; see
# benchmarks/bench_contention.py). Read when numba's and torch's OpenMP runtimes start, so
# it holds where hudnlib is imported first; an explicit setting is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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

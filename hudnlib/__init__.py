"""hudnlib: user association and resource allocation in dense heterogeneous networks.

Numba kernels and experiments reproducing

* paper A - HGSAGE joint user association and power control in a heterogeneous
  ultra-dense network, and
* paper B - heterogeneous alpha-fairness (HAF) with bisection bandwidth allocation
  (Algorithm 1) and distributed subgradient pricing (Algorithm 2).
"""

from hudnlib.allocation import Allocation, allocate_bandwidth, allocate_cell_bandwidth
from hudnlib.fairness import alpha_utility, group_haf, haf
from hudnlib.pricing import PricingResult, best_response, dual_value, price_association
from hudnlib.radio import dbm_to_w, noise_power_w, sinr_matrix, spectral_efficiency, w_to_dbm

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

"""Experiments registered outside :data:`hudnlib.experiments.registry.EXPERIMENT_MODULES`.

Every experiment module imports the registry, so an edit of its module list changes the code
hash of every stored result, the GPU-computed HGSAGE results among them (hours on this
2-core machine to recompute). The experiments added since then register here instead;
importing this module (the runner does) registers them, so the CLI, the book and Dask
workers know them. Fold this list into the registry's the next time every result is
recomputed.
"""

from hudnlib.experiments import beyond, paper_b_alpha_family  # noqa: F401

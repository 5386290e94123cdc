"""Beyond the papers: each paper's methods on the other's network, and exact optima of small
events as the referee of every method (the book's part "Beyond the papers").

Importing this package registers its experiments (``beyond_b_on_a``, ``beyond_a_on_b``,
``beyond_exact``, ``beyond_hgsage_small``). The runner imports it, so the CLI, the book and Dask workers know them.
They are not listed in :data:`hudnlib.experiments.registry.EXPERIMENT_MODULES`: every
experiment module imports the registry, so an edit there changes the code hash of every
stored result, among them the GPU-computed HGSAGE results that this 2-core machine needs
hours to recompute.
"""

from hudnlib.experiments.beyond import exact_referee, hgsage_small, paper_a_on_b, paper_b_on_a  # noqa: F401

"""Beyond the papers: each paper's methods on the other's network, and exact optima of small
events as the referee of every method (the book's part "Beyond the papers").

Importing this package registers its experiments (``beyond_b_on_a``, ``beyond_a_on_b``,
``beyond_exact``, ``beyond_hgsage_small``); :mod:`hudnlib.experiments.catalogue` imports it.
"""

from hudnlib.experiments.beyond import exact_referee, hgsage_small, paper_a_on_b, paper_b_on_a  # noqa: F401

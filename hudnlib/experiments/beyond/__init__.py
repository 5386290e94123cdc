"""Beyond the papers: each paper's methods on the other's network, and exact optima of small
events as the referee of every method (the book's part "Beyond the papers").

Importing a module of this package registers its experiment (``beyond_b_on_a``,
``beyond_a_on_b``, ``beyond_exact``, ``beyond_hgsage_small``);
:mod:`hudnlib.experiments.catalogue` imports them one by one, so that a missing optional
package (torch, for the HGSAGE module) sets aside only the module that needs it.
"""

"""Paper B's experiments: heterogeneous alpha-fairness, Algorithms 1-2 and the eight baselines
(the book's part "Paper B").

Importing a module of this package registers its experiments (every name starts with
``paper_b_``); :mod:`hudnlib.experiments.catalogue` imports them one by one. The others hold
what they share: the paper's numbers (:mod:`.targets`), the tables' statistics
(:mod:`.table_statistics`) and the figures' claims (:mod:`.claims`).
"""

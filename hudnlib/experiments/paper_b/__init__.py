"""Paper B's experiments: heterogeneous alpha-fairness, Algorithms 1-2 and the eight baselines
(the book's part "Paper B").

Importing a module of this package registers its experiments (``paper_b_convergence``,
``paper_b_static_*``, ``paper_b_time_varying``, ``paper_b_readings_*``, ``paper_b_selected_*``,
``paper_b_scaling``, ``paper_b_alpha_family``); :mod:`hudnlib.experiments.catalogue` imports
them one by one. The others hold what they share: the paper's numbers (:mod:`.targets`), the
tables' statistics (:mod:`.table_statistics`) and the figures' claims (:mod:`.claims`).
"""

"""The training runs of paper A's GRL registered as experiments, and which runs there are.

The computation is :mod:`hudnlib.experiments.paper_a_hgsage_runs`; this module only lists the
runs and registers two experiments per run and reading. No computation imports it, so adding a
run to :data:`TRAINING_RUNS` leaves the stored results of the other runs current (their code
hash covers the computation, not the list).
"""

from __future__ import annotations

from hudnlib.experiments.paper_a_hgsage_authors import PAPER_STEPS, SECOND_SETTING_EVENTS
from hudnlib.experiments.paper_a_hgsage_runs import TrainingRunConfig, prepare_run, run_samples
from hudnlib.experiments.registry import Experiment, register
from hudnlib.gnn.authors_training import AuthorsTrainConfig

__all__ = ["TRAINING_RUNS"]

TRAINING_RUNS: dict[str, tuple[int, ...]] = {"authors": (1, 2, 3), "corrected": (1, 2)}
"""The training runs ``r >= 1`` registered per reading (run 0 of each reading:
:mod:`~hudnlib.experiments.paper_a_hgsage_authors`). The reading ``authors`` has four runs
because its first two disagree on the central claim (runs 2 and 3 were added there); the
reading ``corrected`` has three (run 2 added so that each reading's verdict over runs rests on
more than two draws). A run costs about 45 min of GRL and 35 min of SRL on the 2-core machine."""

_QUICK = AuthorsTrainConfig(steps=6, batch=4, window=3, checkpoint_every=3)

for _reading, _runs in TRAINING_RUNS.items():
    for _run in _runs:
        register(Experiment(
            name=f"paper_a_hgsage_authors_grl_run{_run}_{_reading}",
            produces=f"paper A: GRL row of Table II from training run {_run} of the authors' configuration, "
                     f"reading '{_reading}'",
            scales={"quick": TrainingRunConfig(samples=3, reading=_reading, srl_steps=0, train=_QUICK,
                                               training_run=_run),
                    "full": TrainingRunConfig(samples=200, reading=_reading, srl_steps=0,
                                              train=AuthorsTrainConfig(steps=PAPER_STEPS), training_run=_run)},
            run_samples=run_samples, prepare=prepare_run,
        ))
        register(Experiment(
            name=f"paper_a_hgsage_authors_srl_run{_run}_{_reading}",
            produces=f"paper A: SRL at the authors' 10,000 steps from training run {_run}, reading '{_reading}' "
                     f"(the first {SECOND_SETTING_EVENTS} events)",
            scales={"quick": TrainingRunConfig(samples=2, reading=_reading, srl_steps=3, srl_marks=(1,), train=_QUICK,
                                               training_run=_run),
                    "full": TrainingRunConfig(samples=SECOND_SETTING_EVENTS, reading=_reading,
                                              train=AuthorsTrainConfig(steps=PAPER_STEPS), training_run=_run)},
            run_samples=run_samples, prepare=prepare_run,
        ))

"""Training runs of the authors' GRL: the run's seed and checkpoint name, bad run indices, and
the run's evaluation pinned to run 0's (:func:`paper_a_hgsage_authors.run_samples`) on the
same model."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import hudnlib.experiments.paper_a_hgsage_runs as runs
from hudnlib.experiments import paper_a_hgsage_authors as authors
from hudnlib.experiments.catalogue import find_experiment
from hudnlib.experiments.paper_a_baselines import prepare_events


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "1", None])
def test_a_training_run_below_one_or_not_an_integer_is_refused(bad):
    with pytest.raises(ValueError, match="training_run"):
        runs.TrainingRunConfig(samples=2, training_run=bad)


def test_run_one_keeps_run_zeros_seed_and_name_and_run_two_moves_the_seed():
    one = runs.TrainingRunConfig(samples=2, reading="corrected")
    two = replace(one, training_run=2)
    assert runs.run_train_config(one) == one.train
    assert runs.run_train_config(two).seed == one.train.seed + 1
    run0 = authors.checkpoint_path(one)
    assert runs.run_checkpoint_path(one).name == f"{run0.stem}_run1.pt"
    assert runs.run_checkpoint_path(two).name.endswith("_run2.pt")
    assert runs.run_checkpoint_path(two).stem[: -len("_run2")] != run0.stem  # another seed, another trajectory
    assert two.train.mask_to_edges and not two.train.idle_silent  # the reading still sets the rule


def test_a_runs_evaluation_equals_run_zeros_on_the_same_checkpoint(monkeypatch):
    """The run module evaluates its model as run 0's module does: given run 0's checkpoint, the
    frames (GRL and SRL decisions, rates, kept steps) are the same."""
    config = find_experiment("paper_a_hgsage_authors_srl_run1_authors").scales["quick"]
    assert config.srl_steps > 0
    monkeypatch.setattr(runs, "run_checkpoint_path", authors.checkpoint_path)
    runs._trained.cache_clear()
    try:
        base = _run_zero_config(config)
        inputs = prepare_events(base.baselines)
        indices = np.arange(base.samples)
        ours = runs.run_samples(config, indices, inputs)
        theirs = authors.run_samples(base, indices, inputs)
    finally:
        runs._trained.cache_clear()
    assert set(ours["method"]) == {"GRL", "SRL", "SRL@1"}
    pd.testing.assert_frame_equal(ours.drop(columns="seconds"), theirs.drop(columns="seconds"))


def _run_zero_config(config: runs.TrainingRunConfig) -> authors.AuthorsGNNConfig:
    """Run 0's config with the fields of ``config`` (training run 1 has run 0's seed)."""
    fields = {k: getattr(config, k) for k in authors.AuthorsGNNConfig.__dataclass_fields__}
    return authors.AuthorsGNNConfig(**fields)


def test_every_listed_run_is_registered_and_the_list_is_outside_the_runs_code_hash(monkeypatch):
    """Adding a run to the list must not make the stored results of the others stale: with the
    list module's source changed, the code hash of the runs' computation stays the same."""
    from hudnlib import provenance
    from hudnlib.experiments.paper_a_hgsage_run_experiments import TRAINING_RUNS

    for reading, indices in TRAINING_RUNS.items():
        assert indices and min(indices) >= 1
        for index in indices:
            for kind in ("grl", "srl"):
                config = find_experiment(f"paper_a_hgsage_authors_{kind}_run{index}_{reading}").scales["full"]
                assert (config.training_run, config.reading) == (index, reading)
    runs_module, list_module = "hudnlib.experiments.paper_a_hgsage_runs", "hudnlib.experiments.paper_a_hgsage_run_experiments"
    before = {m: provenance.module_hash(m) for m in (runs_module, list_module)}
    module_file, other_source = provenance._module_file, provenance._module_file("hudnlib.experiments.catalogue")
    monkeypatch.setattr(provenance, "_module_file",  # the list module's source replaced by another file's
                        lambda name: other_source if name == list_module else module_file(name))
    assert provenance.module_hash(list_module) != before[list_module]  # the change is seen where it is
    assert provenance.module_hash(runs_module) == before[runs_module]

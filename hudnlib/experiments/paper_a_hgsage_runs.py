"""Paper A's GRL as the authors' code trains it, trained more than once: the central claim
across independent training runs of the same configuration.

:mod:`hudnlib.experiments.paper_a_hgsage_authors` evaluates training run 0: the checkpoint
trained at commit 65b7fd9, before commit 0e26b7b moved the neighbour draws from torch's
generator to a NumPy generator (and, for the reading ``authors``, before commit 393c65e gave
the LoS test the authors' ray rule, which changed 55 of 3.37M BS-UE pairs). Training run ``r >= 1`` is trained by the current step with
the training seed ``seed + r - 1``: run 1 has run 0's configuration and seed, and its draws
follow another random stream, so it is an independent training of the same recipe.
Retraining run 0 from scratch with the current code would follow run 1's trajectory; run 0's
stored checkpoint is the record of the earlier training.

Run ``r``'s checkpoint is stored beside run 0's, its name ending in ``_run{r}``.
"""

from __future__ import annotations

import copy
import functools
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from hudnlib.experiments.paper_a_baselines import READINGS, prepare_events
from hudnlib.experiments.paper_a_gnn import decision_frame
from hudnlib.experiments.paper_a_hgsage_authors import (
    PAPER_STEPS, SECOND_SETTING_EVENTS, AuthorsGNNConfig, checkpoint_path, reading_setting,
)
from hudnlib.experiments.registry import Experiment, register
from hudnlib.gnn.authors_training import AuthorsTrainConfig, fine_tune_srl_batched, kept_model, train_grl_authors
from hudnlib.gnn.graph import dense_batch_of, strongest_labels
from hudnlib.gnn.training import default_device, to_device
from hudnlib.storage import atomic_path
from hudnlib.validation import as_count

__all__ = ["TrainingRunConfig", "run_train_config", "run_checkpoint_path", "grl_run_model", "TRAINING_RUNS"]

TRAINING_RUNS = (1,)
"""The training runs ``r >= 1`` registered here (run 0: :mod:`~hudnlib.experiments.paper_a_hgsage_authors`)."""


@dataclass(frozen=True)
class TrainingRunConfig(AuthorsGNNConfig):
    """:class:`~hudnlib.experiments.paper_a_hgsage_authors.AuthorsGNNConfig` for training run
    ``training_run`` (>= 1) of the same configuration.

    Attributes
    ----------
    training_run : int
        The run: trained by the current step with the training seed ``train.seed +
        training_run - 1``. SRL's seed stays ``srl_seed`` (default: ``train.seed``), the same
        as run 0's.
    """

    training_run: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        as_count("training_run", self.training_run, minimum=1)


def run_train_config(config: TrainingRunConfig) -> AuthorsTrainConfig:
    """The training configuration of ``config``'s run (its seed moved by the run index)."""
    return replace(config.train, seed=config.train.seed + config.training_run - 1)


def run_checkpoint_path(config: TrainingRunConfig) -> Path:
    """The GRL checkpoint of ``config``'s training run: run 0's name for the run's training
    configuration, ending in ``_run{r}``."""
    path = checkpoint_path(replace(config, train=run_train_config(config)))
    return path.with_name(f"{path.stem}_run{config.training_run}.pt")


def grl_run_model(config: TrainingRunConfig, progress: bool = True) -> tuple[torch.nn.Module, pd.DataFrame]:
    """Train (or resume, or load) GRL of ``config``'s run; the history is stored beside the
    checkpoint. Returns the kept model and the history."""
    radio_map, p_max, noise = reading_setting(config)
    path = run_checkpoint_path(config)
    model, history = train_grl_authors(radio_map, p_max, noise, run_train_config(config), checkpoint=path,
                                       progress=progress)
    with atomic_path(path.with_suffix(".history.parquet")) as tmp:
        history.to_parquet(tmp, index=False)
    return model, history


def _prepare(config: TrainingRunConfig) -> dict:
    """Runner ``prepare`` step: finish the run's GRL once in the client, then the baselines' events."""
    grl_run_model(config)
    return prepare_events(config.baselines)


@functools.lru_cache(maxsize=4)
def _trained(config: TrainingRunConfig) -> torch.nn.Module:
    radio_map, p_max, _ = reading_setting(config)
    return kept_model(run_checkpoint_path(config), run_train_config(config), radio_map.config.n_active,
                      len(p_max)).eval()


def run_samples(config: TrainingRunConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """GRL and SRL of ``config``'s training run on events ``indices``, evaluated as
    :func:`hudnlib.experiments.paper_a_hgsage_authors.run_samples` evaluates run 0 (the same
    per-event seeds, methods and columns)."""
    model = _trained(config)
    _, p_max, noise = reading_setting(config)
    idle_silent = READINGS[config.reading].idle_silent
    srl: dict[int, list[tuple]] = {local: [] for local in range(len(indices))}
    if config.srl_steps:
        device = default_device()
        batch = to_device(dense_batch_of(inputs["gain"], inputs["detectable"], p_max, noise), device)
        labels = strongest_labels(inputs["gain"], inputs["detectable"]).to(device)
        t0 = time.perf_counter()
        result = fine_tune_srl_batched(copy.deepcopy(model).to(device), batch, labels, config.train,
                                       steps=config.srl_steps, seed=config.srl_seed, record_at=config.srl_marks)
        seconds = (time.perf_counter() - t0) / len(indices)
        for row, steps in enumerate(result.steps):
            name = "SRL" if steps == result.steps[-1] else f"SRL@{steps}"
            for local in srl:
                srl[local].append((name, result.association[row, local], result.power[row, local], seconds,
                                   int(result.best_step[row, local])))
    frames = []
    for local, k in enumerate(indices):
        torch.manual_seed(int(np.random.SeedSequence(config.seed, spawn_key=(int(k),)).generate_state(1)[0]))
        gain, detectable = inputs["gain"][local], inputs["detectable"][local]
        t0 = time.perf_counter()
        with torch.no_grad():
            z, _, power = model(dense_batch_of(gain[None], detectable[None], p_max, noise))
        runs = [("GRL", z[0].argmax(-1).numpy(), power[0].numpy(), time.perf_counter() - t0, 0)] + srl[local]
        frame = decision_frame(gain, noise, [run[:4] for run in runs], idle_silent, sample=int(k))
        frames.append(frame.assign(best_step=frame["method"].map({run[0]: run[4] for run in runs})))
    return pd.concat(frames, ignore_index=True)


_QUICK = AuthorsTrainConfig(steps=6, batch=4, window=3, checkpoint_every=3)

for _reading in ("authors", "corrected"):
    for _run in TRAINING_RUNS:
        register(Experiment(
            name=f"paper_a_hgsage_authors_grl_run{_run}_{_reading}",
            produces=f"paper A: GRL row of Table II from training run {_run} of the authors' configuration, "
                     f"reading '{_reading}'",
            scales={"quick": TrainingRunConfig(samples=3, reading=_reading, srl_steps=0, train=_QUICK,
                                               training_run=_run),
                    "full": TrainingRunConfig(samples=200, reading=_reading, srl_steps=0,
                                              train=AuthorsTrainConfig(steps=PAPER_STEPS), training_run=_run)},
            run_samples=run_samples, prepare=_prepare,
        ))
        register(Experiment(
            name=f"paper_a_hgsage_authors_srl_run{_run}_{_reading}",
            produces=f"paper A: SRL at the authors' 10,000 steps from training run {_run}, reading '{_reading}' "
                     f"(the first {SECOND_SETTING_EVENTS} events)",
            scales={"quick": TrainingRunConfig(samples=2, reading=_reading, srl_steps=3, srl_marks=(1,), train=_QUICK,
                                               training_run=_run),
                    "full": TrainingRunConfig(samples=SECOND_SETTING_EVENTS, reading=_reading,
                                              train=AuthorsTrainConfig(steps=PAPER_STEPS), training_run=_run)},
            run_samples=run_samples, prepare=_prepare,
        ))

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

Run ``r``'s checkpoint is stored beside run 0's, its name ending in ``_run{r}``. The runs
registered as experiments are listed in
:mod:`hudnlib.experiments.paper_a_hgsage_run_experiments`, which no computation imports: adding
a run leaves the stored results of the others current.
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
    AuthorsGNNConfig, _srl_rows, checkpoint_path, reading_setting,
)
from hudnlib.gnn.authors_training import AuthorsTrainConfig, kept_model, train_grl_authors
from hudnlib.gnn.graph import dense_batch_of
from hudnlib.storage import atomic_path
from hudnlib.validation import as_count

__all__ = ["TrainingRunConfig", "run_train_config", "run_checkpoint_path", "grl_run_model", "prepare_run",
           "run_samples"]


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


def prepare_run(config: TrainingRunConfig) -> dict:
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
    setting = reading_setting(config)
    _, p_max, noise = setting
    idle_silent = READINGS[config.reading].idle_silent
    srl = _srl_rows(config, indices, inputs, copy.deepcopy(model), setting) if config.srl_steps else {}
    frames = []
    for local, k in enumerate(indices):
        torch.manual_seed(int(np.random.SeedSequence(config.seed, spawn_key=(int(k),)).generate_state(1)[0]))
        gain, detectable = inputs["gain"][local], inputs["detectable"][local]
        t0 = time.perf_counter()
        with torch.no_grad():
            z, _, power = model(dense_batch_of(gain[None], detectable[None], p_max, noise))
        runs = [("GRL", z[0].argmax(-1).numpy(), power[0].numpy(), time.perf_counter() - t0, 0)] + srl.get(local, [])
        frame = decision_frame(gain, noise, [run[:4] for run in runs], idle_silent, sample=int(k))
        frames.append(frame.assign(best_step=frame["method"].map({run[0]: run[4] for run in runs})))
    return pd.concat(frames, ignore_index=True)

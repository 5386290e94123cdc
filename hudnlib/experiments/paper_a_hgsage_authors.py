"""Paper A's central claim with HGSAGE trained as the authors' code trains it
(:mod:`hudnlib.gnn.authors`, :mod:`hudnlib.gnn.authors_training`), under both readings.

For each reading (``authors``, ``corrected``): GRL is trained on the reading's circumstance
(the checkpoint and its per-step history are stored in ``data/checkpoints``), then evaluated
on the baselines' 200 events of that reading (same seeds), and SRL fine-tunes the GRL model
on every event for ``srl_steps`` steps. ``paper_a_training_authors_recipe_*`` records the
GRL history and one event's SRL curve for Fig. 6.

The GRL checkpoint's name does not depend on ``steps``: the trajectory of the first n steps
is the same whatever the total, so a shorter run resumes into a longer one.
"""

from __future__ import annotations

import copy
import functools
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
import torch

from hudnlib.experiments.paper_a_baselines import READINGS, BaselineConfig, prepare_events, radio_map_of
from hudnlib.experiments.paper_a_gnn import decision_frame
from hudnlib.experiments.registry import Experiment, register
from hudnlib.gnn.authors_training import AuthorsTrainConfig, fine_tune_srl_batched, kept_model, train_grl_authors
from hudnlib.gnn.graph import dense_batch_of, strongest_labels
from hudnlib.gnn.training import CHECKPOINT_DIR, default_device, to_device
from hudnlib.provenance import config_hash
from hudnlib.radio import dbm_to_w
from hudnlib.storage import atomic_path

__all__ = ["AuthorsGNNConfig", "grl_model", "reading_setting", "PAPER_STEPS"]

PAPER_STEPS = 10_000
"""GRL steps of the authors' code."""


@dataclass(frozen=True)
class AuthorsGNNConfig:
    """HGSAGE with the authors' training configuration on paper A's events of one reading.

    Attributes
    ----------
    samples : int
        Events (the baselines' events of the reading: same seeds).
    reading : {"authors", "corrected"}
    seed, circumstance_seed : int
        As in :class:`~hudnlib.experiments.paper_a_baselines.BaselineConfig`.
    srl_steps : int
        SRL steps per event (the authors: 10,000).
    srl_marks : tuple of int
        Earlier SRL step counts whose best decisions are also stored (methods ``SRL@n``).
    srl_seed : int, optional
        Seed of SRL's neighbour draws (default: the training seed); another seed is a
        second numeric setting of the same experiment.
    train : AuthorsTrainConfig
        ``mask_to_edges`` and ``idle_silent`` are set from the reading.
    """

    samples: int
    reading: str = "authors"
    seed: int = 7
    circumstance_seed: int = 2022
    srl_steps: int = PAPER_STEPS
    srl_marks: tuple[int, ...] = (100, 1000, 2000, 5000)
    srl_seed: int | None = None
    train: AuthorsTrainConfig = field(default_factory=AuthorsTrainConfig)

    def __post_init__(self) -> None:
        if self.reading not in READINGS:
            raise ValueError(f"reading must be one of {list(READINGS)}, got {self.reading!r}")
        if self.srl_steps < 0:
            raise ValueError(f"srl_steps must be >= 0, got {self.srl_steps}")
        reading = READINGS[self.reading]
        object.__setattr__(self, "train", replace(self.train, mask_to_edges=reading.restrict_to_edges,
                                                  idle_silent=reading.idle_silent))

    @property
    def baselines(self) -> BaselineConfig:
        """The baselines' config whose events these are."""
        return BaselineConfig(samples=self.samples, seed=self.seed, circumstance_seed=self.circumstance_seed,
                              reading=self.reading)


def reading_setting(config: AuthorsGNNConfig) -> tuple:
    """The reading's radio map, BS powers (W) and noise (W)."""
    radio_map = radio_map_of(config.baselines)
    return radio_map, dbm_to_w(radio_map.power_dbm), READINGS[config.reading].noise(radio_map.config)


def checkpoint_path(config: AuthorsGNNConfig):
    """The GRL checkpoint of ``config`` (its name leaves out the number of steps)."""
    train = {k: v for k, v in asdict(config.train).items() if k not in ("steps", "srl_steps")}
    key = config_hash({"train": train, "reading": config.reading, "circumstance_seed": config.circumstance_seed})
    return CHECKPOINT_DIR / f"hgsage_authors_{config.reading}_{key}.pt"


def grl_model(config: AuthorsGNNConfig, progress: bool = True) -> tuple[torch.nn.Module, pd.DataFrame]:
    """Train (or resume, or load) GRL for ``config``; the history is stored beside the
    checkpoint. Returns the kept model and the history."""
    radio_map, p_max, noise = reading_setting(config)
    path = checkpoint_path(config)
    model, history = train_grl_authors(radio_map, p_max, noise, config.train, checkpoint=path, progress=progress)
    with atomic_path(path.with_suffix(".history.parquet")) as tmp:
        history.to_parquet(tmp, index=False)
    return model, history


def _prepare(config: AuthorsGNNConfig) -> dict:
    """Runner ``prepare`` step: finish GRL once in the client, then the baselines' events."""
    grl_model(config)
    return prepare_events(config.baselines)


@functools.lru_cache(maxsize=4)
def _trained(config: AuthorsGNNConfig) -> torch.nn.Module:
    radio_map, p_max, _ = reading_setting(config)
    return kept_model(checkpoint_path(config), config.train, radio_map.config.n_active, len(p_max)).eval()


def _srl_rows(config: AuthorsGNNConfig, indices: np.ndarray, inputs: dict, model: torch.nn.Module,
              setting: tuple) -> dict[int, list[tuple]]:
    """SRL batched over the chunk's events: per event, a run tuple per stored step count
    (``SRL@n`` for the marks, ``SRL`` for the last) and the step that found the kept decisions."""
    _, p_max, noise = setting
    device = default_device()
    batch = to_device(dense_batch_of(inputs["gain"], inputs["detectable"], p_max, noise), device)
    labels = strongest_labels(inputs["gain"], inputs["detectable"]).to(device)
    t0 = time.perf_counter()
    result = fine_tune_srl_batched(model.to(device), batch, labels, config.train, steps=config.srl_steps,
                                   seed=config.srl_seed, record_at=config.srl_marks)
    seconds = (time.perf_counter() - t0) / len(indices)  # per event: the chunk's time shared out
    runs: dict[int, list[tuple]] = {local: [] for local in range(len(indices))}
    for row, steps in enumerate(result.steps):
        name = "SRL" if steps == result.steps[-1] else f"SRL@{steps}"
        for local in runs:
            runs[local].append((name, result.association[row, local], result.power[row, local], seconds,
                                int(result.best_step[row, local])))
    return runs


def run_samples(config: AuthorsGNNConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """GRL and SRL on events ``indices``: one row per (event, method, UE), the rate under the
    reading's rule; ``seconds`` per event and method; for SRL, ``best_step`` (the step whose
    decisions were kept). SRL runs batched over the chunk's events on CUDA when present."""
    model = _trained(config)
    setting = reading_setting(config)
    _, p_max, noise = setting
    idle_silent = READINGS[config.reading].idle_silent
    srl = _srl_rows(config, indices, inputs, copy.deepcopy(model), setting) if config.srl_steps else {}
    frames = []
    for local, k in enumerate(indices):
        # the sampled aggregator draws from torch's RNG: seeded per event, not per chunk
        torch.manual_seed(int(np.random.SeedSequence(config.seed, spawn_key=(int(k),)).generate_state(1)[0]))
        gain, detectable = inputs["gain"][local], inputs["detectable"][local]
        batch = dense_batch_of(gain[None], detectable[None], p_max, noise)
        t0 = time.perf_counter()
        with torch.no_grad():
            z, _, power = model(batch)
        runs = [("GRL", z[0].argmax(-1).numpy(), power[0].numpy(), time.perf_counter() - t0, 0)]
        runs += srl.get(local, [])
        frame = decision_frame(gain, noise, [run[:4] for run in runs], idle_silent, sample=int(k))
        frames.append(frame.assign(best_step=frame["method"].map({run[0]: run[4] for run in runs})))
    return pd.concat(frames, ignore_index=True)


def run_training(config: AuthorsGNNConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Fig. 6: the GRL history, then SRL on the first event for ``srl_steps`` steps (the
    rate of each step's decisions and the best kept so far)."""
    model, grl = grl_model(config)
    events = prepare_events(replace(config.baselines, samples=1))
    radio_map, p_max, noise = reading_setting(config)
    device = default_device()
    batch = to_device(dense_batch_of(events["gain"][:1], events["detectable"][:1], p_max, noise), device)
    labels = strongest_labels(events["gain"][:1], events["detectable"][:1]).to(device)
    result = fine_tune_srl_batched(model.eval().to(device), batch, labels, config.train, steps=config.srl_steps,
                                   seed=config.srl_seed)
    srl = result.trace.rename(columns={"mean_rate": "rate", "mean_best_rate": "best_rate"})
    return pd.concat([grl.assign(phase="GRL"), srl.assign(phase="SRL")], ignore_index=True)


GRL_STEPS = PAPER_STEPS
"""GRL steps run here, the authors' 10,000: about 1.0-1.5 s per step of 64 events on one core of
the 2-core machine this was built on (both readings side by side), i.e. 3-4 hours per reading;
see the book."""

_QUICK = AuthorsTrainConfig(steps=6, batch=4, window=3, checkpoint_every=3)

SECOND_SEED = 12
"""SRL seed of the second numeric setting (the first: the training seed, 11)."""

SECOND_SETTING_EVENTS = 50
"""Events SRL is rerun on under the second numeric setting."""

for _reading in ("authors", "corrected"):
    _full_train = AuthorsTrainConfig(steps=GRL_STEPS)
    register(Experiment(
        name=f"paper_a_hgsage_authors_recipe_{_reading}",
        produces=f"paper A: GRL and SRL rows of Tables II-III trained as the authors' code, reading '{_reading}'",
        scales={"quick": AuthorsGNNConfig(samples=3, reading=_reading, srl_steps=3, srl_marks=(1,), train=_QUICK),
                "full": AuthorsGNNConfig(samples=200, reading=_reading, train=_full_train)},
        run_samples=run_samples, prepare=_prepare,
    ))
    register(Experiment(
        name=f"paper_a_hgsage_authors_srl_seed_{_reading}",
        produces=f"paper A: SRL under a second numeric setting (SRL seed {SECOND_SEED}), reading '{_reading}'",
        scales={"quick": AuthorsGNNConfig(samples=2, reading=_reading, srl_steps=3, srl_marks=(1,),
                                          srl_seed=SECOND_SEED, train=_QUICK),
                "full": AuthorsGNNConfig(samples=SECOND_SETTING_EVENTS, reading=_reading, srl_seed=SECOND_SEED,
                                         train=_full_train)},
        run_samples=run_samples, prepare=_prepare,
    ))
    register(Experiment(
        name=f"paper_a_training_authors_recipe_{_reading}",
        produces=f"paper A: Fig. 6 trained as the authors' code, reading '{_reading}'",
        scales={"quick": AuthorsGNNConfig(samples=1, reading=_reading, srl_steps=5, srl_marks=(), train=_QUICK),
                "full": AuthorsGNNConfig(samples=1, reading=_reading, srl_marks=(), train=_full_train)},
        run_samples=run_training,
    ))

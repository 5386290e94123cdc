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

import functools
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
import torch

from hudnlib.experiments.paper_a_baselines import READINGS, BaselineConfig, prepare_events, radio_map_of
from hudnlib.experiments.paper_a_gnn import decision_frame
from hudnlib.experiments.registry import Experiment, register
from hudnlib.gnn.authors_training import AuthorsTrainConfig, fine_tune_srl_authors, kept_model, train_grl_authors
from hudnlib.gnn.graph import dense_batch, strongest_labels, to_hetero_data
from hudnlib.gnn.training import CHECKPOINT_DIR
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
    train : AuthorsTrainConfig
        ``mask_to_edges`` and ``idle_silent`` are set from the reading.
    """

    samples: int
    reading: str = "authors"
    seed: int = 7
    circumstance_seed: int = 2022
    srl_steps: int = 100
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


def run_samples(config: AuthorsGNNConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """GRL and SRL on events ``indices``: one row per (event, method, UE), the rate under the
    reading's rule; ``seconds`` per event and method."""
    model = _trained(config)
    radio_map, p_max, noise = reading_setting(config)
    idle_silent = READINGS[config.reading].idle_silent
    frames = []
    for local, k in enumerate(indices):
        # the sampled aggregator draws from torch's RNG: seeded per event, not per chunk
        torch.manual_seed(int(np.random.SeedSequence(config.seed, spawn_key=(int(k),)).generate_state(1)[0]))
        gain, detectable = inputs["gain"][local], inputs["detectable"][local]
        batch = dense_batch([to_hetero_data(gain, detectable, p_max, noise)])
        t0 = time.perf_counter()
        with torch.no_grad():
            z, _, power = model(batch)
        runs = [("GRL", z[0].argmax(-1).numpy(), power[0].numpy(), time.perf_counter() - t0)]
        if config.srl_steps:
            labels = strongest_labels(gain, detectable)[None]
            t0 = time.perf_counter()
            best, _ = fine_tune_srl_authors(model, batch, labels, config.train, steps=config.srl_steps)
            runs.append(("SRL", best["association"], best["power"], time.perf_counter() - t0))
        frames.append(decision_frame(gain, noise, runs, idle_silent, sample=int(k)))
    return pd.concat(frames, ignore_index=True)


def run_training(config: AuthorsGNNConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Fig. 6: the GRL history, then SRL on the first event for ``srl_steps`` steps."""
    model, grl = grl_model(config)
    events = prepare_events(replace(config.baselines, samples=1))
    radio_map, p_max, noise = reading_setting(config)
    gain, detectable = events["gain"][0], events["detectable"][0]
    batch = dense_batch([to_hetero_data(gain, detectable, p_max, noise)])
    labels = strongest_labels(gain, detectable)[None]
    _, srl = fine_tune_srl_authors(model.eval(), batch, labels, config.train, steps=config.srl_steps)
    return pd.concat([grl.assign(phase="GRL"), srl.assign(phase="SRL")], ignore_index=True)


GRL_STEPS = PAPER_STEPS
"""GRL steps run here, the authors' 10,000: about 1.0-1.5 s per step of 64 events on one core of
the 2-core machine this was built on (both readings side by side), i.e. 3-4 hours per reading;
see the book."""

_QUICK = AuthorsTrainConfig(steps=6, batch=4, window=3, checkpoint_every=3)

for _reading in ("authors", "corrected"):
    register(Experiment(
        name=f"paper_a_hgsage_authors_recipe_{_reading}",
        produces=f"paper A: GRL and SRL rows of Tables II-III trained as the authors' code, reading '{_reading}'",
        scales={"quick": AuthorsGNNConfig(samples=3, reading=_reading, srl_steps=3, train=_QUICK),
                "full": AuthorsGNNConfig(samples=200, reading=_reading,
                                         train=AuthorsTrainConfig(steps=GRL_STEPS))},
        run_samples=run_samples, prepare=_prepare,
    ))
    register(Experiment(
        name=f"paper_a_training_authors_recipe_{_reading}",
        produces=f"paper A: Fig. 6 trained as the authors' code, reading '{_reading}'",
        scales={"quick": AuthorsGNNConfig(samples=1, reading=_reading, srl_steps=5, train=_QUICK),
                "full": AuthorsGNNConfig(samples=1, reading=_reading, srl_steps=2_000,
                                         train=AuthorsTrainConfig(steps=GRL_STEPS))},
        run_samples=run_training,
    ))

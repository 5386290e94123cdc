"""Registry of experiments: one per table or figure group of the two papers.

Each experiment module calls :func:`register` when imported. Which modules there are is
:mod:`hudnlib.experiments.catalogue`'s business, not this module's: every experiment module
imports this one, so a list kept here would put every experiment in every stored result's
code hash, and adding an experiment would make every stored result look stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Experiment", "register", "config_dict"]

_REGISTRY: dict[str, Experiment] = {}

@dataclass(frozen=True)
class Experiment:
    """A table or figure (or a group computed from the same runs).

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"paper_b_static_low"``.
    produces : str
        Which of the papers' tables and figures it feeds, e.g. ``"paper B: Table III, Fig. 5"``.
    scales : dict
        ``{"quick": config, "full": config}``; each config a frozen dataclass with an integer
        field ``samples`` and an integer ``seed``.
    run_samples : callable
        ``run_samples(config, indices, inputs) -> DataFrame``: the work of the samples in
        ``indices`` (module-level so that Dask workers can import it); sample ``k`` draws its
        randomness from ``SeedSequence(config.seed, spawn_key=(k,))`` only.
    prepare : callable, optional
        ``prepare(config) -> dict`` of arrays whose first axis is the sample (e.g. channel
        drops); the runner slices them per chunk.
    summarise : callable, optional
        ``summarise(frame, config) -> DataFrame``: the table beside the paper's values.
    """

    name: str
    produces: str
    scales: dict[str, Any]
    run_samples: Callable[[Any, np.ndarray, dict], pd.DataFrame]
    prepare: Callable[[Any], dict] | None = None
    summarise: Callable[[pd.DataFrame, Any], pd.DataFrame] | None = None


def register(experiment: Experiment) -> Experiment:
    """Add an experiment to the registry (names are unique)."""
    if experiment.name in _REGISTRY and _REGISTRY[experiment.name] is not experiment:
        raise ValueError(f"an experiment named {experiment.name!r} is already registered")
    for scale in ("quick", "full"):
        if scale not in experiment.scales:
            raise ValueError(f"experiment {experiment.name!r} lacks the {scale!r} scale")
    _REGISTRY[experiment.name] = experiment
    return experiment


def config_dict(config: Any) -> dict:
    """JSON-ready form of a config dataclass (tuples become lists)."""
    if not is_dataclass(config):
        raise ValueError(f"config must be a dataclass instance, got {type(config).__name__}")
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}

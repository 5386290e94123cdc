"""Registry of experiments: one per table or figure group of the two papers."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Experiment", "register", "get_experiment", "experiments", "config_dict"]

_REGISTRY: dict[str, Experiment] = {}

# Modules whose import registers their experiments.
EXPERIMENT_MODULES = (
    "hudnlib.experiments.paper_b_convergence",
    "hudnlib.experiments.paper_b_static",
    "hudnlib.experiments.paper_b_time_varying",
    "hudnlib.experiments.paper_b_readings",
    "hudnlib.experiments.paper_b_selected",
    "hudnlib.experiments.paper_a_baselines",
    "hudnlib.experiments.paper_a_gnn",
    "hudnlib.experiments.paper_a_hgsage_authors",
    "hudnlib.experiments.paper_b_scaling",
    "hudnlib.experiments.paper_a_hgsage_authors",
)


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


def _load_all() -> None:
    for module in EXPERIMENT_MODULES:
        importlib.import_module(module)


def experiments() -> dict[str, Experiment]:
    """All registered experiments, by name."""
    _load_all()
    return dict(_REGISTRY)


def get_experiment(name: str) -> Experiment:
    """The experiment called ``name``; ``ValueError`` listing the known names otherwise."""
    _load_all()
    if name not in _REGISTRY:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def config_dict(config: Any) -> dict:
    """JSON-ready form of a config dataclass (tuples become lists)."""
    if not is_dataclass(config):
        raise ValueError(f"config must be a dataclass instance, got {type(config).__name__}")
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}

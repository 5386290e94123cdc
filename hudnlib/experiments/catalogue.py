"""Every experiment this installation can run, found without failing on a missing optional part.

:data:`EXPERIMENT_MODULES` lists the modules that register experiments when imported. The
list lives here, not in :mod:`hudnlib.experiments.registry` (which every experiment module
imports): no experiment module imports this one, so adding an experiment leaves every stored
result's code hash as it is.

Optional extras (``gnn``: torch, PyG; ``channels``: Sionna; ``sweeps``: Dask) may be absent.
A module that cannot be imported for that reason is set aside in :data:`UNAVAILABLE`, so that
the CLI, the runner and Dask workers still find every other experiment, and asking for one of
the set-aside experiments names the missing package and its extra. Any other import error is
raised as it is.
"""

from __future__ import annotations

import importlib

from hudnlib.experiments import registry
from hudnlib.experiments.registry import Experiment

__all__ = ["EXPERIMENT_MODULES", "OPTIONAL_PACKAGES", "UNAVAILABLE", "available_experiments", "find_experiment"]

EXPERIMENT_MODULES = (
    "hudnlib.experiments.paper_a_baselines",
    "hudnlib.experiments.paper_a_gnn",
    "hudnlib.experiments.paper_a_hgsage_authors",
    "hudnlib.experiments.paper_a_hgsage_run_experiments",
    "hudnlib.experiments.paper_b.convergence",
    "hudnlib.experiments.paper_b.static",
    "hudnlib.experiments.paper_b.time_varying",
    "hudnlib.experiments.paper_b.readings",
    "hudnlib.experiments.paper_b.selected",
    "hudnlib.experiments.paper_b.scaling",
    "hudnlib.experiments.paper_b.alpha_family",
    "hudnlib.experiments.beyond.paper_b_on_a",
    "hudnlib.experiments.beyond.paper_a_on_b",
    "hudnlib.experiments.beyond.exact_referee",
    "hudnlib.experiments.beyond.hgsage_small",
)
"""Modules whose import registers their experiments (paper A, paper B, beyond the papers)."""

OPTIONAL_PACKAGES = {"torch": "gnn", "torch_geometric": "gnn", "sionna": "channels", "dask": "sweeps",
                     "distributed": "sweeps"}
"""Top-level packages of the optional extras, and the extra that installs each."""

UNAVAILABLE: dict[str, str] = {}
"""Experiment modules that could not be imported here, and the optional package each lacks."""


def _import(module: str) -> None:
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as err:
        package = (err.name or "").split(".")[0]
        if package not in OPTIONAL_PACKAGES:
            raise
        UNAVAILABLE[module] = package


def available_experiments() -> dict[str, Experiment]:
    """Every experiment whose module imports on this installation, by name; the modules set
    aside for a missing optional package are in :data:`UNAVAILABLE`."""
    for module in EXPERIMENT_MODULES:
        _import(module)
    return dict(registry._REGISTRY)


def find_experiment(name: str) -> Experiment:
    """The experiment called ``name``.

    Raises
    ------
    ValueError
        ``name`` is not registered: the message lists the known names, and names the missing
        optional packages (with the extra to install) when some modules could not be imported.
    """
    found = available_experiments()
    if name in found:
        return found[name]
    message = f"unknown experiment {name!r}; known: {', '.join(sorted(found))}"
    if UNAVAILABLE:
        missing = sorted(set(UNAVAILABLE.values()))
        extras = sorted({OPTIONAL_PACKAGES[p] for p in missing})
        message += (f". Not importable here for want of {', '.join(missing)}: "
                    + ", ".join(sorted(UNAVAILABLE)) + " (install the extra: pip install -e '.["
                    + ",".join(extras) + "]')")
    raise ValueError(message)


for _module in EXPERIMENT_MODULES:  # register them on import, as the runner and the workers expect
    _import(_module)

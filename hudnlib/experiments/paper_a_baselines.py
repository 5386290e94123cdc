"""Paper A: the five optimisation baselines on 200 events of one circumstance (Tables II-III,
Figs 7-8). The learning rows (GRL, SRL) are added by the GNN experiments."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudnlib.baselines.paper_a import METHODS
from hudnlib.experiments.registry import Experiment, register
from hudnlib.radio import dbm_to_w, noise_power_w
from hudnlib.scenarios.paper_a import HUDNConfig, build_radio_map, draw_event

__all__ = ["BaselineConfig", "PAPER_TABLE_II", "PAPER_TABLE_III", "radio_map_of", "rate_table", "time_table"]

PAPER_TABLE_II = {"MARAMP": 57.259, "MSUAMP": 108.081, "MSUAPC": 136.219, "UAMWSER": 111.266,
                  "JUAPCMWSER": 153.227, "GRL": 172.565, "SRL": 221.000}
"""Paper A, Table II: total effective rate (bit/s/Hz), mean over 200 events (comparison only)."""

PAPER_TABLE_III = {"MARAMP": 0.037, "MSUAMP": 3.334, "MSUAPC": 285.503, "UAMWSER": 0.204,
                   "JUAPCMWSER": 1019.489, "GRL": 0.039, "SRL": 97.697}
"""Paper A, Table III: mean time per event (s) on an Intel i7-9700K in Python (comparison only)."""


@dataclass(frozen=True)
class BaselineConfig:
    """Events of one circumstance of paper A.

    Attributes
    ----------
    samples : int
        Events (the paper: 200).
    seed : int
        Seed of the events (which UEs are active).
    circumstance_seed : int
        Seed of the buildings and small BSs.
    path_loss_model : {"authors", "3gpp"}
    methods : tuple of str
    """

    samples: int
    seed: int = 7
    circumstance_seed: int = 2022
    path_loss_model: str = "authors"
    methods: tuple[str, ...] = tuple(METHODS)

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        unknown = set(self.methods) - set(METHODS)
        if unknown:
            raise ValueError(f"unknown methods {sorted(unknown)}; known: {list(METHODS)}")


def radio_map_of(config: BaselineConfig):
    """The circumstance's radio map (deterministic in ``circumstance_seed``)."""
    scenario = HUDNConfig(path_loss_model=config.path_loss_model)
    return build_radio_map(scenario, np.random.default_rng(config.circumstance_seed))


def prepare_events(config: BaselineConfig) -> dict:
    """Gains and detectability of every event; event k from ``SeedSequence(seed, (k,))``."""
    radio_map = radio_map_of(config)
    events = [draw_event(radio_map, np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(k,))))
              for k in range(config.samples)]
    return {"gain": np.stack([e.gain for e in events]),
            "detectable": np.stack([e.detectable for e in events]),
            "p_max_w": np.tile(dbm_to_w(radio_map.power_dbm), (config.samples, 1))}


def run_baseline_samples(config: BaselineConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Every method on events ``indices``: one row per (event, method, UE)."""
    noise = noise_power_w(HUDNConfig().bandwidth_hz)
    frames = []
    for local, k in enumerate(indices):
        gain, detectable, p_max = (inputs[key][local] for key in ("gain", "detectable", "p_max_w"))
        for name in config.methods:
            t0 = time.perf_counter()
            solution = METHODS[name](gain, p_max, noise, detectable)
            seconds = time.perf_counter() - t0
            frames.append(pd.DataFrame({
                "sample": int(k), "method": name, "ue": np.arange(gain.shape[0]),
                "bs": solution.association, "rate": solution.rate,
                "bs_power_dbm": 10 * np.log10(np.maximum(solution.power_w[solution.association], 1e-30)) + 30,
                "seconds": seconds,
            }))
    return pd.concat(frames, ignore_index=True)


def rate_table(frame: pd.DataFrame, config: BaselineConfig) -> pd.DataFrame:
    """Table II: mean total effective rate per method beside the paper's."""
    total = frame.groupby(["method", "sample"])["rate"].sum().groupby("method").agg(["mean", "std"])
    rows = []
    for method in config.methods:
        ours, paper = total.loc[method, "mean"], PAPER_TABLE_II[method]
        rows.append({"method": method, "paper": paper, "reproduced": ours, "deviation": ours - paper,
                     "relative": (ours - paper) / paper, "std over events": total.loc[method, "std"]})
    return pd.DataFrame(rows)


def time_table(frame: pd.DataFrame, config: BaselineConfig) -> pd.DataFrame:
    """Table III: mean time per event here beside the paper's i7-9700K Python times."""
    seconds = frame.groupby(["method", "sample"])["seconds"].first().groupby("method").mean()
    rows = []
    for method in config.methods:
        paper = PAPER_TABLE_III[method]
        rows.append({"method": method, "paper [s]": paper, "reproduced [s]": seconds[method],
                     "share of paper time": seconds[method] / paper})
    return pd.DataFrame(rows)


register(Experiment(
    name="paper_a_baselines",
    produces="paper A: Tables II-III and Figs 7-8, optimisation baselines (authors' path loss)",
    scales={"quick": BaselineConfig(samples=4), "full": BaselineConfig(samples=200)},
    run_samples=run_baseline_samples, prepare=prepare_events, summarise=rate_table,
))

register(Experiment(
    name="paper_a_baselines_3gpp",
    produces="paper A: Table II baselines with the 3GPP TR 36.828 reading of the path loss",
    scales={"quick": BaselineConfig(samples=4, path_loss_model="3gpp"),
            "full": BaselineConfig(samples=200, path_loss_model="3gpp")},
    run_samples=run_baseline_samples, prepare=prepare_events, summarise=rate_table,
))

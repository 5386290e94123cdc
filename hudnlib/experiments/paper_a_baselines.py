"""Paper A: the five optimisation baselines on 200 events of one circumstance (Tables II-III,
Figs 7-8), under two named readings of the paper's evaluation. The learning rows (GRL, SRL)
are added by the GNN experiments.

Readings (:data:`READINGS`):

- ``corrected`` (default): Table I's powers (50 / 20 dBm), thermal noise over 20 MHz, exact
  LoS, every transmitting BS interferes, a UE joins only a BS that detects it, baselines
  that solve the stated problem and never switch off a serving BS
  (:mod:`hudnlib.baselines.paper_a`).
- ``authors``: what the authors' code ran (:mod:`hudnlib.baselines.paper_a_authors`):
  macros 16 dB above small BSs, their BS heights and LoS rule, their negligible noise, only
  BSs serving a UE interfere, no graph restriction, their five routines defects included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudnlib.baselines.paper_a import METHODS
from hudnlib.baselines.paper_a_authors import AUTHORS_METHODS, DEFECTS_FIXED
from hudnlib.effective_rate import effective_rates
from hudnlib.experiments.registry import Experiment, register
from hudnlib.experiments.statistics import mean_ci, verdict
from hudnlib.radio import dbm_to_w, noise_power_w
from hudnlib.scenarios.paper_a import HUDNConfig, RadioMap, build_radio_map, draw_event

__all__ = [
    "Reading",
    "READINGS",
    "BaselineConfig",
    "PAPER_TABLE_II",
    "PAPER_TABLE_III",
    "STARVED",
    "TOLERANCE",
    "radio_map_of",
    "rate_table",
    "time_table",
    "circumstance_table",
    "claims_table",
]

PAPER_TABLE_II = {"MARAMP": 57.259, "MSUAMP": 108.081, "MSUAPC": 136.219, "UAMWSER": 111.266,
                  "JUAPCMWSER": 153.227, "GRL": 172.565, "SRL": 221.000}
"""Paper A, Table II: total effective rate (bit/s/Hz), mean over 200 events (comparison only)."""

PAPER_TABLE_III = {"MARAMP": 0.037, "MSUAMP": 3.334, "MSUAPC": 285.503, "UAMWSER": 0.204,
                   "JUAPCMWSER": 1019.489, "GRL": 0.039, "SRL": 97.697}
"""Paper A, Table III: mean time per event (s) on an Intel i7-9700K in Python (comparison only)."""

STARVED = 1e-3
"""A UE counts as starved below this effective rate, bit/s/Hz (20 kbit/s over 20 MHz); a
zero-rate UE has rate exactly 0 (its serving BS is switched off)."""

TOLERANCE = (0.10, 0.25)
"""Table II verdicts: reproduced within 10% of the paper's value, partly within 25%."""


@dataclass(frozen=True)
class Reading:
    """One named reading of paper A's evaluation.

    Attributes
    ----------
    name : str
    macro_power_dbm, small_power_dbm : float
        Maximum powers.
    authors_geometry : bool
        The authors' BS heights and LoS rule instead of ours.
    noise_w : float or None
        Noise power (W); ``None``: thermal noise over 20 MHz.
    restrict_to_edges : bool
        Whether a UE may only join a BS that detects it.
    idle_silent : bool
        Evaluation: whether BSs that serve no UE are silent (no interference).
    methods : dict
        The five baselines (and extra rows) of this reading.
    """

    name: str
    macro_power_dbm: float
    small_power_dbm: float
    authors_geometry: bool
    noise_w: float | None
    restrict_to_edges: bool
    idle_silent: bool
    methods: dict

    def scenario(self, path_loss_model: str) -> HUDNConfig:
        """The circumstance parameters of this reading."""
        geometry = {"bs_heights": "authors", "los_rule": "first_hit"} if self.authors_geometry else {}
        return HUDNConfig(path_loss_model=path_loss_model, macro_power_dbm=self.macro_power_dbm,
                          small_power_dbm=self.small_power_dbm, **geometry)

    def noise(self, scenario: HUDNConfig) -> float:
        """Noise power in W."""
        return noise_power_w(scenario.bandwidth_hz) if self.noise_w is None else self.noise_w


READINGS = {
    "corrected": Reading("corrected", 50.0, 20.0, False, None, True, False, METHODS),
    # The authors' evaluation noise is 4e-14 in a unit where a small BS's power is 1.
    "authors": Reading("authors", 36.0, 20.0, True, 4e-14 * float(dbm_to_w(20.0)), False, True,
                       {**AUTHORS_METHODS, **DEFECTS_FIXED}),
}
"""The two readings of paper A's evaluation (see the module docstring)."""


@dataclass(frozen=True)
class BaselineConfig:
    """Events of one circumstance of paper A under one reading.

    Attributes
    ----------
    samples : int
        Events (the paper: 200).
    seed : int
        Seed of the events (which UEs are active).
    circumstance_seed : int
        Seed of the buildings and small BSs.
    path_loss_model : {"authors", "3gpp"}
    reading : {"corrected", "authors"}
    methods : tuple of str
        Default: every method of the reading.
    events_per_circumstance : int
        0: every event in circumstance ``circumstance_seed``; n > 0: sample ``k`` is
        circumstance ``circumstance_seed + k`` with ``n`` events (the spread of Table II
        across circumstances).
    """

    samples: int
    seed: int = 7
    circumstance_seed: int = 2022
    path_loss_model: str = "authors"
    reading: str = "corrected"
    methods: tuple[str, ...] = ()
    events_per_circumstance: int = 0

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        if self.reading not in READINGS:
            raise ValueError(f"reading must be one of {list(READINGS)}, got {self.reading!r}")
        if self.events_per_circumstance < 0:
            raise ValueError(f"events_per_circumstance must be >= 0, got {self.events_per_circumstance}")
        known = READINGS[self.reading].methods
        unknown = set(self.methods) - set(known)
        if unknown:
            raise ValueError(f"unknown methods {sorted(unknown)}; known: {list(known)}")

    @property
    def method_names(self) -> tuple[str, ...]:
        """The methods run (all of the reading's when ``methods`` is empty)."""
        return self.methods or tuple(READINGS[self.reading].methods)


def radio_map_of(config: BaselineConfig, circumstance_seed: int | None = None) -> RadioMap:
    """The circumstance's radio map under the config's reading (deterministic in its seed)."""
    scenario = READINGS[config.reading].scenario(config.path_loss_model)
    seed = config.circumstance_seed if circumstance_seed is None else circumstance_seed
    return build_radio_map(scenario, np.random.default_rng(seed))


def _event_seed(config: BaselineConfig, k: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(k,)))


def prepare_events(config: BaselineConfig) -> dict:
    """Gains and detectability of every event; event k from ``SeedSequence(seed, (k,))``.

    With ``events_per_circumstance`` the events are drawn by the workers instead.
    """
    if config.events_per_circumstance:
        return {}
    radio_map = radio_map_of(config)
    events = [draw_event(radio_map, _event_seed(config, k)) for k in range(config.samples)]
    return {"gain": np.stack([e.gain for e in events]),
            "detectable": np.stack([e.detectable for e in events])}


def _run_methods(config, radio_map, gain, detectable, labels) -> list[pd.DataFrame]:
    reading = READINGS[config.reading]
    noise = reading.noise(radio_map.config)
    p_max = dbm_to_w(radio_map.power_dbm)
    frames = []
    for name in config.method_names:
        t0 = time.perf_counter()
        solution = reading.methods[name](gain, p_max, noise, detectable if reading.restrict_to_edges else None)
        seconds = time.perf_counter() - t0
        stop = solution.diagnostics.get("first_pass_stop")
        assoc, power = solution.association, solution.power_w
        frames.append(pd.DataFrame({
            **labels, "method": name, "ue": np.arange(gain.shape[0]), "bs": assoc,
            "rate": effective_rates(gain, power, noise, assoc, reading.idle_silent),
            "rate_other_rule": effective_rates(gain, power, noise, assoc, not reading.idle_silent),
            "bs_power_dbm": 10 * np.log10(np.maximum(power[assoc], 1e-30)) + 30,
            "seconds": seconds, "first_pass_stop": np.nan if stop is None else float(stop),
        }))
    return frames


def run_baseline_samples(config: BaselineConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """Every method on events ``indices``: one row per (event, method, UE).

    ``rate`` is evaluated under the reading's rule; ``rate_other_rule`` under the other one
    (idle BSs silent <-> every BS interferes), which measures what that rule does.

    With ``events_per_circumstance`` = n, sample ``k`` is circumstance ``circumstance_seed + k``
    and its n events (event e from ``SeedSequence(seed, (k, e))``).
    """
    frames = []
    if config.events_per_circumstance:
        for k in indices:
            radio_map = radio_map_of(config, config.circumstance_seed + int(k))
            for e in range(config.events_per_circumstance):
                rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(int(k), e)))
                event = draw_event(radio_map, rng)
                frames += _run_methods(config, radio_map, event.gain, event.detectable,
                                       {"sample": int(k), "event": e})
        return pd.concat(frames, ignore_index=True)
    radio_map = radio_map_of(config)
    for local, k in enumerate(indices):
        frames += _run_methods(config, radio_map, inputs["gain"][local], inputs["detectable"][local],
                               {"sample": int(k)})
    return pd.concat(frames, ignore_index=True)


def event_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (method, event): total rate R, zero-rate UEs (rate 0), starved UEs (rate below
    :data:`STARVED`), seconds."""
    keys = ["method", "sample"] + (["event"] if "event" in frame else [])
    flags = frame.assign(zero=frame["rate"] <= 0.0, starved=frame["rate"] < STARVED)
    return flags.groupby(keys, sort=False).agg(
        total=("rate", "sum"), zero_rate=("zero", "sum"), starved=("starved", "sum"),
        seconds=("seconds", "first")).reset_index()


def rate_table(frame: pd.DataFrame, config: BaselineConfig) -> pd.DataFrame:
    """Table II in the paper's layout: per method the paper's value, ours with its 95% CI
    (Student t over events),
    the deviation, the mean numbers of zero-rate and starved UEs per event, and the verdict
    (:data:`TOLERANCE`)."""
    totals = event_totals(frame)
    rows = []
    for method in config.method_names:
        values = totals.loc[totals["method"] == method]
        mean, low, high = mean_ci(values["total"].to_numpy())
        paper = PAPER_TABLE_II.get(method)
        row = {"method": method, "paper": paper, "reproduced": mean, "CI low": low, "CI high": high,
               "deviation": None, "relative": None, "zero-rate UEs / event": values["zero_rate"].mean(),
               "starved UEs / event": values["starved"].mean(),
               "verdict": "extra row (ours)"}
        if paper is not None:
            row.update(deviation=mean - paper, relative=(mean - paper) / paper,
                       verdict=verdict(mean, paper, *TOLERANCE))
        rows.append(row)
    return pd.DataFrame(rows)


def time_table(frame: pd.DataFrame, config: BaselineConfig) -> pd.DataFrame:
    """Table III: mean time per event here (in the sweep, one core a worker) beside the
    paper's i7-9700K Python times."""
    seconds = event_totals(frame).groupby("method")["seconds"].mean()
    rows = []
    for method in config.method_names:
        paper = PAPER_TABLE_III.get(method)
        rows.append({"method": method, "paper [s]": paper, "reproduced [s]": seconds[method],
                     "share of paper time": None if paper is None else seconds[method] / paper})
    return pd.DataFrame(rows)


def circumstance_table(frame: pd.DataFrame, config: BaselineConfig) -> pd.DataFrame:
    """Table II across circumstances: per method the mean over circumstances of each
    circumstance's mean total, the range of those means, and where the paper's value falls."""
    per = event_totals(frame).groupby(["method", "sample"])["total"].mean()
    rows = []
    for method in config.method_names:
        means = per.loc[method].to_numpy()
        paper = PAPER_TABLE_II[method]
        rows.append({"method": method, "paper": paper, "mean over circumstances": means.mean(),
                     "lowest": means.min(), "highest": means.max(),
                     "circumstances below the paper": f"{int((means < paper).sum())} of {means.size}",
                     "within 10% of the paper": f"{int((abs(means - paper) <= 0.1 * paper).sum())} of {means.size}"})
    return pd.DataFrame(rows)


LOW_RATE = 0.05
"""Fig. 7-8 claims: a "low-rate" UE gets below 0.05 bit/s/Hz (1 Mbit/s over 20 MHz)."""

N_MACRO = 5


def claims_table(frame: pd.DataFrame, config: BaselineConfig) -> pd.DataFrame:
    """The paper's claims about Table II and Figs 7-8, each with its criterion and a
    computed verdict (reproduced / not reproduced) on this frame."""
    totals = event_totals(frame).groupby("method")["total"].mean()
    by = {m: part for m, part in frame.groupby("method")}
    five = list(PAPER_TABLE_II)[:5]
    low = {m: float((by[m]["rate"] < LOW_RATE).mean()) for m in five}
    top = {m: float(by[m]["rate"].max()) for m in five}
    order = sorted(five, key=lambda m: totals[m])
    paper_order = sorted(five, key=PAPER_TABLE_II.get)
    macro_share = float((by["MARAMP"]["bs"] < N_MACRO).mean())
    rows = [
        ("Table II ranks the five baselines MARAMP < MSUAMP < UAMWSER < MSUAPC < JUAPCMWSER",
         "same order of our means", " < ".join(order), order == paper_order),
        ("MARAMP connects (nearly) every UE to a macro BS (Fig. 7 text)",
         "share of UEs on macro BSs > 90%", f"{100 * macro_share:.1f}%", macro_share > 0.9),
        ("MARAMP has the most low-rate UEs (Figs 7-8)",
         f"largest share of UEs below {LOW_RATE} bit/s/Hz",
         ", ".join(f"{m} {100 * v:.1f}%" for m, v in low.items()), max(low, key=low.get) == "MARAMP"),
        ("MSUAMP and UAMWSER beat MARAMP (more balanced association)", "mean total rate",
         f"{totals['MSUAMP']:.1f}, {totals['UAMWSER']:.1f} vs {totals['MARAMP']:.1f}",
         min(totals["MSUAMP"], totals["UAMWSER"]) > totals["MARAMP"]),
        ("Power control helps: MSUAPC > MSUAMP and JUAPCMWSER > UAMWSER", "mean total rate",
         f"{totals['MSUAPC']:.1f} > {totals['MSUAMP']:.1f}; {totals['JUAPCMWSER']:.1f} > {totals['UAMWSER']:.1f}",
         totals["MSUAPC"] > totals["MSUAMP"] and totals["JUAPCMWSER"] > totals["UAMWSER"]),
        ("MARAMP has the UE with the highest rate (Fig. 8)", "largest per-UE rate over all events",
         ", ".join(f"{m} {v:.2f}" for m, v in top.items()), max(top, key=top.get) == "MARAMP"),
        ("JUAPCMWSER reaches a higher maximum rate than MSUAMP, UAMWSER, MSUAPC (Fig. 8)",
         "largest per-UE rate over all events",
         f"{top['JUAPCMWSER']:.2f} vs {max(top['MSUAMP'], top['UAMWSER'], top['MSUAPC']):.2f}",
         top["JUAPCMWSER"] > max(top["MSUAMP"], top["UAMWSER"], top["MSUAPC"])),
    ]
    return pd.DataFrame([{"claim": c, "criterion": k, "ours": v,
                          "verdict": "reproduced" if ok else "not reproduced"} for c, k, v, ok in rows])


def _scales(reading: str, path_loss_model: str = "authors") -> dict:
    return {"quick": BaselineConfig(samples=4, reading=reading, path_loss_model=path_loss_model),
            "full": BaselineConfig(samples=200, reading=reading, path_loss_model=path_loss_model)}


register(Experiment(
    name="paper_a_baselines",
    produces="paper A: Tables II-III and Figs 7-8, optimisation baselines, reading 'corrected'",
    scales=_scales("corrected"),
    run_samples=run_baseline_samples, prepare=prepare_events, summarise=rate_table,
))

register(Experiment(
    name="paper_a_baselines_authors",
    produces="paper A: Tables II-III and Figs 7-8, optimisation baselines, reading 'authors'",
    scales=_scales("authors"),
    run_samples=run_baseline_samples, prepare=prepare_events, summarise=rate_table,
))

register(Experiment(
    name="paper_a_baselines_3gpp",
    produces="paper A: Table II baselines, reading 'corrected' with the 3GPP TR 36.828 path loss",
    scales=_scales("corrected", "3gpp"),
    run_samples=run_baseline_samples, prepare=prepare_events, summarise=rate_table,
))

register(Experiment(
    name="paper_a_circumstances",
    produces="paper A: Table II under the reading 'authors' across 20 circumstances (20 events each)",
    scales={"quick": BaselineConfig(samples=2, reading="authors", events_per_circumstance=2,
                                    methods=tuple(AUTHORS_METHODS)),
            "full": BaselineConfig(samples=20, reading="authors", events_per_circumstance=20,
                                   methods=tuple(AUTHORS_METHODS))},
    run_samples=run_baseline_samples, prepare=prepare_events, summarise=circumstance_table,
))

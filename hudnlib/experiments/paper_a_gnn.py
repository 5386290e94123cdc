"""Paper A's learning half: GRL training (Fig. 6), GRL and SRL rows of Tables II-III,
Figs 8-9 (CDFs, UE densities).

``paper_a_training`` trains (or loads) the GRL checkpoint and fine-tunes SRL on one event,
recording both curves. ``paper_a_gnn`` evaluates GRL on the same events as the baselines
(and at other UE densities) and runs SRL on the first ``srl_events`` of them.
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
import torch

from hudnlib.effective_rate import effective_rates
from hudnlib.experiments.paper_a_baselines import BaselineConfig, radio_map_of
from hudnlib.provenance import config_hash
from hudnlib.experiments.registry import Experiment, register
from hudnlib.experiments.statistics import mean_ci, verdict
from hudnlib.gnn.graph import dense_batch, strongest_labels, to_hetero_data
from hudnlib.gnn.model import HGSAGE
from hudnlib.gnn.training import (
    CHECKPOINT_DIR, TrainConfig, event_batch, fine_tune_srl, load_checkpoint, train_grl,
)
from hudnlib.radio import dbm_to_w, noise_power_w
from hudnlib.scenarios.paper_a import HUDNConfig, draw_event
from hudnlib.storage import atomic_path

__all__ = ["GNNConfig", "grl_model", "training_curves", "learning_rate_table", "full_rate_table", "full_time_table",
           "jain_index", "learning_claims_table", "density_claims_table", "decision_frame"]


@dataclass(frozen=True)
class GNNConfig:
    """Evaluation of HGSAGE on paper A's events.

    Attributes
    ----------
    samples : int
        Events (the baselines' events: same seeds).
    seed, circumstance_seed : int
        As in :class:`~hudnlib.experiments.paper_a_baselines.BaselineConfig`.
    densities : tuple of int
        Active UEs per event for Fig. 9 (120 is Tables II-III).
    srl_events : int
        Events (per density) that also get SRL fine-tuning (SRL costs seconds per event).
    train : TrainConfig
    """

    samples: int
    seed: int = 7
    circumstance_seed: int = 2022
    densities: tuple[int, ...] = (120,)
    srl_events: int = 10
    train: TrainConfig = field(default_factory=TrainConfig)


def _setting(config):
    radio_map = radio_map_of(BaselineConfig(samples=1, circumstance_seed=config.circumstance_seed))
    return radio_map, dbm_to_w(radio_map.power_dbm), noise_power_w(HUDNConfig().bandwidth_hz)


def _checkpoint(config):
    key = config_hash({"train": asdict(config.train), "circumstance_seed": config.circumstance_seed})
    return CHECKPOINT_DIR / f"hgsage_grl_{key}.pt"


def grl_model(config, progress: bool = True) -> tuple[HGSAGE, pd.DataFrame]:
    """The GRL model for ``config`` (trained here, or resumed/loaded from its checkpoint),
    and its training history (also stored beside the checkpoint)."""
    radio_map, p_max, noise = _setting(config)
    path = _checkpoint(config)
    history_path = path.with_suffix(".history.parquet")
    model, history = train_grl(radio_map, p_max, noise, config.train, checkpoint=path, progress=progress)
    with atomic_path(history_path) as tmp:
        history.to_parquet(tmp, index=False)
    return model, history


def run_training(config: GNNConfig, indices, inputs) -> pd.DataFrame:
    """Fig. 6: GRL history, then SRL on one event from the GRL model."""
    model, grl = grl_model(config)
    radio_map, p_max, noise = _setting(config)
    batch, labels = event_batch(radio_map, np.random.default_rng(config.seed), 1, p_max, noise)
    _, srl = fine_tune_srl(model, batch, labels, config.train)
    return pd.concat([grl.assign(phase="GRL"), srl.assign(phase="SRL")], ignore_index=True)


def ensure_trained(config: GNNConfig) -> dict:
    """Runner ``prepare`` step: train (or finish training) the GRL model once, in the client,
    so that the workers only load it. Returns no per-sample inputs."""
    grl_model(config)
    return {}


@functools.lru_cache(maxsize=4)
def _trained_model(config: GNNConfig) -> HGSAGE:
    """The finished GRL model of ``config``, read from its checkpoint once per process."""
    saved = load_checkpoint(_checkpoint(config))
    if saved["state"]["step"] < config.train.steps:
        raise ValueError(f"the GRL checkpoint of this config stopped at step {saved['state']['step']}; "
                         "run the experiment's prepare step (ensure_trained) first")
    model = HGSAGE(temperature=config.train.temperature)
    model.load_state_dict(saved["model"])
    return model.eval()


def run_gnn_samples(config: GNNConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """GRL (and SRL on the first ``srl_events``) on events ``indices``, at every density.

    At 120 UEs the events are exactly the baselines' events (same seeds).
    """
    model = _trained_model(config)
    radio_map, p_max, noise = _setting(config)
    frames = []
    for k in indices:
        for n_active in config.densities:
            seq = np.random.SeedSequence(config.seed, spawn_key=(int(k),))
            if n_active != radio_map.config.n_active:
                seq = np.random.SeedSequence(config.seed, spawn_key=(int(k), n_active))
            event = draw_event(radio_map, np.random.default_rng(seq), n_active)
            batch = dense_batch([to_hetero_data(event.gain, event.detectable, p_max, noise)])
            t0 = time.perf_counter()
            with torch.no_grad():
                logits, _, power = model(batch)
            assoc, power_w = logits[0].argmax(-1).numpy(), power[0].numpy()
            grl_seconds = time.perf_counter() - t0
            runs = [("GRL", assoc, power_w, grl_seconds)]
            if k < config.srl_events:
                labels = strongest_labels(event.gain, event.detectable)[None]
                t0 = time.perf_counter()
                best, _ = fine_tune_srl(model, batch, labels, config.train)
                runs.append(("SRL", best["association"], best["power"], time.perf_counter() - t0))
            frames.append(decision_frame(event.gain, noise, runs, sample=int(k), n_active=n_active))
    return pd.concat(frames, ignore_index=True)


def decision_frame(gain: np.ndarray, noise_w: float, runs: list[tuple], idle_silent: bool = False,
                   **keys) -> pd.DataFrame:
    """One row per (method, UE) of one event's ``runs``, each ``(method, association, BS
    powers in W, seconds)``: the serving BS, its power, the UE's effective rate (eq. (2); idle
    BSs silent when ``idle_silent``) and the method's time; ``keys`` become constant columns."""
    return pd.concat([pd.DataFrame({
        **keys, "method": name, "ue": np.arange(len(assoc)), "bs": assoc, "power_w": power_w[assoc],
        "rate": effective_rates(gain, power_w, noise_w, assoc, idle_silent), "seconds": seconds,
    }) for name, assoc, power_w, seconds in runs], ignore_index=True)


def training_curves(frame: pd.DataFrame, window: int = 50) -> pd.DataFrame:
    """Fig. 6 series smoothed with a moving mean over ``window`` steps."""
    smooth = frame.copy()
    cols = ["mean_rate", "max_rate", "our_ua_max_power", "our_pc_strongest", "strongest_max_power",
            "supervised_loss", "total_loss", "rate"]
    for phase, part in smooth.groupby("phase"):
        for c in cols:
            if c in part:
                smooth.loc[part.index, c + "_smooth"] = part[c].rolling(window, min_periods=1).mean()
    return smooth


_QUICK_TRAIN = TrainConfig(steps=20, batch=8, srl_max_steps=20, window=10, checkpoint_every=10)

register(Experiment(
    name="paper_a_training",
    produces="paper A: Fig. 6 (GRL and SRL convergence)",
    scales={"quick": GNNConfig(samples=1, train=_QUICK_TRAIN), "full": GNNConfig(samples=1)},
    run_samples=run_training,
))

LITERAL = {"gated": True, "patience": 1, "lr": 1e-4, "steps": 2000}
"""Algorithm 2 as printed, with Table I's learning rate."""

TABLE_I_LR = {"lr": 1e-4, "steps": 2000}
"""Our training rule with Table I's learning rate."""

register(Experiment(
    name="paper_a_training_gated",
    produces="paper A: Fig. 6 with Algorithm 2 read literally (no step without a new windowed-rate record)",
    scales={"quick": GNNConfig(samples=1, train=replace(_QUICK_TRAIN, gated=True, patience=1)),
            "full": GNNConfig(samples=1, train=TrainConfig(**LITERAL))},
    run_samples=run_training,
))

register(Experiment(
    name="paper_a_training_table1_lr",
    produces="paper A: Fig. 6 with our training rule and Table I's learning rate 1e-4",
    scales={"quick": GNNConfig(samples=1, train=replace(_QUICK_TRAIN, lr=1e-4)),
            "full": GNNConfig(samples=1, train=TrainConfig(**TABLE_I_LR))},
    run_samples=run_training,
))

register(Experiment(
    name="paper_a_gnn",
    produces="paper A: GRL and SRL rows of Tables II-III, Figs 7-9",
    scales={"quick": GNNConfig(samples=4, srl_events=2, densities=(60, 120), train=_QUICK_TRAIN),
            "full": GNNConfig(samples=200, srl_events=10, densities=(60, 90, 120))},
    run_samples=run_gnn_samples, prepare=ensure_trained,
))


def _at_120(gnn: pd.DataFrame) -> pd.DataFrame:
    """The rows at 120 active UEs (Tables II-III), without the density column."""
    if "n_active" not in gnn:
        return gnn
    return gnn[gnn["n_active"] == 120].drop(columns="n_active")


def learning_rate_table(baselines: pd.DataFrame, learned: pd.DataFrame, srl_events: int) -> pd.DataFrame:
    """Table II with the learning rows: every method's mean total rate over its events with
    its 95% CI, deviation from the paper, zero-rate and starved UEs per event, its mean on
    the first ``srl_events`` events and the verdict (``events`` says how many events each
    mean covers; 120 active UEs)."""
    from hudnlib.experiments.paper_a_baselines import PAPER_TABLE_II, TOLERANCE, event_totals

    cols = ["sample", "method", "rate", "seconds"]
    totals = event_totals(pd.concat([baselines[cols], _at_120(learned)[cols]]))
    rows = []
    for method in dict.fromkeys(totals["method"]):
        part = totals[totals["method"] == method]
        mean, low, high = mean_ci(part["total"].to_numpy())
        paper = PAPER_TABLE_II.get(method)
        rows.append({"method": method, "paper": paper, "reproduced": mean, "CI low": low, "CI high": high,
                     "deviation": None if paper is None else mean - paper,
                     "relative": None if paper is None else (mean - paper) / paper,
                     "events": len(part), "zero-rate UEs / event": part["zero_rate"].mean(),
                     "starved UEs / event": part["starved"].mean(),
                     f"mean on the {srl_events} SRL events":
                         part.loc[part["sample"] < srl_events, "total"].mean(),
                     "verdict": "extra row (ours)" if paper is None else verdict(mean, paper, *TOLERANCE)})
    return pd.DataFrame(rows)


def full_rate_table(baselines: pd.DataFrame, gnn: pd.DataFrame, config: GNNConfig) -> pd.DataFrame:
    """:func:`learning_rate_table` for :data:`GNNConfig` evaluations (SRL on the first
    ``srl_events``)."""
    return learning_rate_table(baselines, gnn, config.srl_events)


def full_time_table(baselines: pd.DataFrame, gnn: pd.DataFrame) -> pd.DataFrame:
    """Table III with all seven rows (mean seconds per event here vs the paper's)."""
    from hudnlib.experiments.paper_a_baselines import PAPER_TABLE_III

    cols = ["sample", "method", "seconds"]
    both = pd.concat([baselines[cols], _at_120(gnn)[cols]])
    seconds = both.groupby(["method", "sample"])["seconds"].first().groupby("method").mean()
    return pd.DataFrame([
        {"method": m, "paper [s]": p, "reproduced [s]": seconds[m], "share of paper time": seconds[m] / p}
        for m, p in PAPER_TABLE_III.items() if m in seconds.index
    ])


def jain_index(rate: np.ndarray) -> float:
    """Jain's fairness index ``(sum r)^2 / (n sum r^2)`` of one event's rates (1: all equal)."""
    rate = np.asarray(rate, dtype=float)
    return float(rate.sum() ** 2 / (rate.size * np.square(rate).sum())) if np.any(rate) else 0.0


def learning_claims_table(baselines: pd.DataFrame, learned: pd.DataFrame) -> pd.DataFrame:
    """The paper's claims about GRL and SRL in Figs 7-8, each with its criterion and a
    computed verdict, on the events where SRL ran."""
    from hudnlib.experiments.paper_a_baselines import LOW_RATE, PAPER_TABLE_II

    learned = _at_120(learned)
    events = learned.loc[learned["method"] == "SRL", "sample"].unique()
    both = pd.concat([baselines, learned])
    both = both[both["sample"].isin(events)]
    by = {m: part for m, part in both.groupby("method") if m in PAPER_TABLE_II}
    total = {m: part.groupby("sample")["rate"].sum().mean() for m, part in by.items()}
    jain = {m: part.groupby("sample")["rate"].apply(jain_index).mean() for m, part in by.items()}
    low = {m: float((part["rate"] < LOW_RATE).mean()) for m, part in by.items()}
    best_baseline = max((m for m in total if m not in ("GRL", "SRL")), key=total.get)
    rows = [
        ("GRL and SRL beat every optimisation baseline (Table II, Fig. 7)", "mean total rate",
         f"GRL {total['GRL']:.1f}, SRL {total['SRL']:.1f}; best baseline {best_baseline} {total[best_baseline]:.1f}",
         min(total["GRL"], total["SRL"]) > total[best_baseline]),
        ("SRL improves on GRL (Table II)", "mean total rate", f"{total['SRL']:.1f} vs {total['GRL']:.1f}",
         total["SRL"] > total["GRL"]),
        ("GRL balances the load best: its rates are the most equal (Fig. 8)",
         "highest mean Jain index of the per-UE rates", ", ".join(f"{m} {v:.2f}" for m, v in jain.items()),
         max(jain, key=jain.get) == "GRL"),
        ("SRL sacrifices some UEs' rate for the total (Fig. 8)",
         f"SRL: more UEs below {LOW_RATE} bit/s/Hz than GRL and a higher total",
         f"{100 * low['SRL']:.1f}% vs {100 * low['GRL']:.1f}% below; total {total['SRL']:.1f} vs {total['GRL']:.1f}",
         low["SRL"] > low["GRL"] and total["SRL"] > total["GRL"]),
    ]
    return pd.DataFrame([{"claim": c, "criterion": k, "ours": v, "verdict": "reproduced" if ok else "not reproduced"}
                         for c, k, v, ok in rows])


def density_claims_table(gnn: pd.DataFrame) -> pd.DataFrame:
    """The paper's claims about Fig. 9 (GRL and SRL at several UE densities), computed."""
    rows = []
    for method in ("GRL", "SRL"):
        part = gnn[gnn["method"] == method]
        mean = part.groupby("n_active")["rate"].mean()
        top = part.groupby("n_active")["rate"].max()
        falling = bool(np.all(np.diff(mean.to_numpy()) < 0))
        rows.append((f"{method}: UEs get higher rates at lower UE density (less interference)",
                     "mean per-UE rate falls as the density rises",
                     ", ".join(f"{n} UEs {v:.2f}" for n, v in mean.items()), falling))
        if method == "SRL":
            spread = float(top.max() / top.min() - 1)
            rows.append(("SRL: the maximum rate is almost the same at every density",
                         "largest per-UE rate varies by less than 10% across densities",
                         ", ".join(f"{n} UEs {v:.2f}" for n, v in top.items()), spread < 0.10))
    return pd.DataFrame([{"claim": c, "criterion": k, "ours": v, "verdict": "reproduced" if ok else "not reproduced"}
                         for c, k, v, ok in rows])

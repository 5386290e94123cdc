"""HGSAGE refereed by exact optima: the authors' configuration trained at a small size.

HGSAGE's output is fixed to its training size (an association over ``n_bs`` BSs for each of
``n_ue`` UEs), so the 120 UE x 105 BS models of paper A cannot be run on small events. Here
the authors' configuration is trained (GRL) on a small circumstance cut from paper A's
(``corrected`` reading): an anchor small BS, the 5 other BSs that detect most of the UE
spots it detects, and events of 8 UE spots drawn from those spots (every UE detects the
anchor). On events of that circumstance, GRL and SRL (fine-tuning per event, batched) are
scored by paper A's total rate R beside paper A's five baselines, and every method gets its
gap to the exact optima (:func:`hudnlib.exact.sum_rate_optimum`): HGSAGE sets each BS's power
freely, so its referee is the on/off optimum (which it can beat with intermediate powers)
and, as a bound it cannot beat at full power, the full-power optimum.

Budget (ours): the authors' 10,000 GRL steps; SRL 1,000 steps per event, not their 10,000
(at this size one SRL event-step costs about 5 ms on 2 cores, so 10,000 steps on 50 events
would take 40 minutes); SRL's best after 100 steps is stored too.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
import torch

from hudnlib.baselines.paper_a import METHODS as PAPER_A_METHODS
from hudnlib.effective_rate import effective_rates
from hudnlib.exact import SUM_RATE, sum_rate_optimum
from hudnlib.experiments.beyond.exact_referee import cell_bss, draw_anchor, gap_table
from hudnlib.experiments.beyond.paper_a_on_b import PAPER_A_ROWS
from hudnlib.experiments.beyond.paper_b_on_a import corrected_radio_map
from hudnlib.experiments.paper_a_baselines import READINGS
from hudnlib.experiments.registry import Experiment, register
from hudnlib.gnn.authors_training import AuthorsTrainConfig, fine_tune_srl_batched, kept_model, train_grl_authors
from hudnlib.gnn.graph import dense_batch_of, strongest_labels
from hudnlib.gnn.training import CHECKPOINT_DIR, load_checkpoint
from hudnlib.provenance import config_hash
from hudnlib.radio import dbm_to_w
from hudnlib.scenarios.paper_a import RadioMap, draw_event

__all__ = ["SmallHGSAGEConfig", "small_circumstance", "checkpoint_path", "grl_history", "run_small_samples"]


@dataclass(frozen=True)
class SmallHGSAGEConfig:
    """HGSAGE at a small size against the exact optima.

    Attributes
    ----------
    samples : int
        Events of the small circumstance.
    seed : int
        Seed of the events.
    circumstance_seed : int
        Paper A's circumstance (as its baseline experiment).
    anchor_seed : int
        Seed of the anchor small BS.
    n_users, n_bs : int
        Size of the small circumstance's events.
    srl_steps : int
        SRL steps per event.
    srl_marks : tuple of int
        Earlier SRL step counts also stored (``SRL@n``).
    train : AuthorsTrainConfig
        The authors' configuration; the mask and the evaluation rule of reading
        ``corrected``.
    """

    samples: int
    seed: int = 23
    circumstance_seed: int = 2022
    anchor_seed: int = 3
    n_users: int = 8
    n_bs: int = 6
    srl_steps: int = 1000
    srl_marks: tuple[int, ...] = (100,)
    train: AuthorsTrainConfig = field(default_factory=lambda: AuthorsTrainConfig(mask_to_edges=True,
                                                                                 idle_silent=False))

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        if not 2 <= self.n_users <= 12 or not 2 <= self.n_bs <= 8:
            raise ValueError(f"need 2 <= n_users <= 12 and 2 <= n_bs <= 8, got {self.n_users}, {self.n_bs}")
        if self.srl_steps < 1:
            raise ValueError(f"srl_steps must be >= 1, got {self.srl_steps}")
        if not (self.train.mask_to_edges and not self.train.idle_silent):
            raise ValueError("train must use the corrected reading (mask_to_edges=True, idle_silent=False)")


@functools.lru_cache(maxsize=2)
def small_circumstance(config: SmallHGSAGEConfig) -> tuple[RadioMap, np.ndarray, float]:
    """The small circumstance: paper A's radio map restricted to the anchor's BSs and UE spots.

    Returns the radio map (``n_active`` = ``n_users``), the BSs' maximum powers (W) and the
    noise power (W) of the ``corrected`` reading.
    """
    radio_map = corrected_radio_map(config.circumstance_seed)
    anchor, detect = draw_anchor(radio_map, np.random.default_rng(config.anchor_seed), config.n_users)
    pool = detect[:, anchor]
    bss = cell_bss(anchor, detect[pool].sum(axis=0), config.n_bs)
    n_macro = radio_map.bs_xyz.shape[0] - radio_map.config.n_small
    small = replace(radio_map, bs_xyz=radio_map.bs_xyz[bss], loss_db=radio_map.loss_db[:, bss],
                    los=radio_map.los[:, bss], power_dbm=radio_map.power_dbm[bss], eligible=pool,
                    bs_box=radio_map.bs_box[bss],
                    config=replace(radio_map.config, n_active=config.n_users, n_small=int((bss >= n_macro).sum())))
    return small, dbm_to_w(small.power_dbm), READINGS["corrected"].noise(radio_map.config)


def checkpoint_path(config: SmallHGSAGEConfig):
    """GRL checkpoint of ``config`` (its name leaves out the number of steps)."""
    train = {k: v for k, v in asdict(config.train).items() if k not in ("steps", "srl_steps")}
    key = config_hash({"train": train, "circumstance_seed": config.circumstance_seed,
                       "anchor_seed": config.anchor_seed, "n_users": config.n_users, "n_bs": config.n_bs})
    return CHECKPOINT_DIR / f"hgsage_small_{key}.pt"


def grl_history(config: SmallHGSAGEConfig) -> pd.DataFrame:
    """Per-step GRL history of the stored checkpoint (batch mean rate, kept-model rule, losses)."""
    return pd.DataFrame(load_checkpoint(checkpoint_path(config))["state"]["history"])


def _prepare(config: SmallHGSAGEConfig) -> dict:
    """Runner ``prepare`` step: GRL trained (or resumed) once in the client, then the events."""
    small, p_max, noise = small_circumstance(config)
    train_grl_authors(small, p_max, noise, config.train, checkpoint=checkpoint_path(config))
    events = [draw_event(small, np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(k,))))
              for k in range(config.samples)]
    return {"gain": np.stack([e.gain for e in events]), "detectable": np.stack([e.detectable for e in events])}


@functools.lru_cache(maxsize=2)
def _trained(config: SmallHGSAGEConfig) -> torch.nn.Module:
    return kept_model(checkpoint_path(config), config.train, config.n_users, config.n_bs).eval()


def run_small_samples(config: SmallHGSAGEConfig, indices: np.ndarray, inputs: dict) -> pd.DataFrame:
    """GRL, SRL (batched over the chunk's events) and paper A's baselines on events
    ``indices``, with the exact optima of R: one row per (event, method)."""
    small, p_max, noise = small_circumstance(config)
    model = _trained(config)
    gain, allowed = inputs["gain"], inputs["detectable"]
    batch = dense_batch_of(gain, allowed, p_max, noise)
    srl = fine_tune_srl_batched(model, batch, strongest_labels(gain, allowed), config.train,
                                steps=config.srl_steps, seed=config.seed, record_at=config.srl_marks)
    users = np.arange(config.n_users)
    rows = []
    for local, k in enumerate(indices):
        g, a = gain[local], allowed[local]
        optimum = {off: sum_rate_optimum(g, p_max, noise, a, SUM_RATE, off).value for off in (False, True)}
        torch.manual_seed(int(np.random.SeedSequence(config.seed, spawn_key=(int(k),)).generate_state(1)[0]))
        with torch.no_grad():
            z, _, power = model(dense_batch_of(g[None], a[None], p_max, noise))
        decisions = [("GRL", z[0].argmax(-1).numpy(), power[0].numpy().astype(float))]
        for row, steps in enumerate(srl.steps):
            decisions.append(("SRL" if steps == srl.steps[-1] else f"SRL@{steps}",
                              srl.association[row, local], srl.power[row, local].astype(float)))
        for name in PAPER_A_ROWS:
            solution = PAPER_A_METHODS[name](g, p_max, noise, a)
            decisions.append((name, solution.association, solution.power_w))
        for name, assoc, power_w in decisions:
            rows.append({"sample": int(k), "network": "paper A (small circumstance)", "objective": "R",
                         "method": name,
                         "value": float(effective_rates(g, power_w, noise, assoc).sum()),
                         "optimum full power": optimum[False], "optimum on/off": optimum[True],
                         "full power": bool(np.all(power_w == p_max)),
                         "feasible": bool(a[users, assoc].all()), "dual bound": np.nan, "seconds": np.nan})
    return pd.DataFrame(rows)


def _summary(frame: pd.DataFrame, config: SmallHGSAGEConfig) -> pd.DataFrame:
    return gap_table(frame)


_QUICK_TRAIN = AuthorsTrainConfig(steps=30, mask_to_edges=True, idle_silent=False, checkpoint_every=10)

register(Experiment(
    name="beyond_hgsage_small",
    produces="beyond the papers: HGSAGE (authors' configuration) trained at 8 UEs x 6 BSs, refereed by exact optima",
    scales={"quick": SmallHGSAGEConfig(samples=2, srl_steps=10, srl_marks=(5,), train=_QUICK_TRAIN),
            "full": SmallHGSAGEConfig(samples=50)},
    run_samples=run_small_samples, prepare=_prepare, summarise=_summary,
))

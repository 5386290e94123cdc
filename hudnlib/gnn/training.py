"""Semi-supervised training of HGSAGE: GRL (Algorithm 2) offline, SRL (Algorithm 3) online.

GRL: every step draws a batch of events (random active UEs from the circumstance's radio
map) and computes the loss of eq. (13), ``L = ws Ls - wr R``. When the mean rate of the last
``window`` events has not improved on the best so far for ``patience`` steps, the learning
rate is multiplied by ``decay`` (Algorithm 2, steps 15-21). Algorithm 2 as printed decays at
every miss (``patience=1``) and also *skips* the optimiser step (``gated=True``); read
literally, this stops learning within a few hundred steps (the windowed mean of noisy
batches rarely sets a new record). Our defaults — every step trains, the learning rate
decays after a whole window (100 steps) without a record, learning rate 1e-3 — and the
variants are compared in the book. Labels for ``Ls`` are the
strongest-channel BS of each UE (the authors' code; ``max_channels_connect``).
SRL: fine-tunes a copy of the GRL model on one event with eq. (15),
``L = ws Ls - wr R - we H``, one event per step, until the windowed rate stops changing.

Deterministic by seed (a NumPy Generator draws the events; torch is seeded), resumable from
a checkpoint (model, optimiser, learning rate, window, both RNG states, history), CPU by
default and CUDA when available.
"""

from __future__ import annotations

import copy
import json
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from hudnlib.gnn.graph import DenseBatch, dense_batch_of, strongest_labels
from hudnlib.gnn.model import HGSAGE
from hudnlib.gnn.objective import hard_association, loss_terms, rate
from hudnlib.provenance import CHECKPOINT_DIR, config_hash, provenance_record
from hudnlib.scenarios.paper_a import RadioMap, draw_event
from hudnlib.storage import StoreError, atomic_path, file_digest, verify, write_json

__all__ = ["TrainConfig", "event_batch", "train_grl", "fine_tune_srl", "load_checkpoint", "save_checkpoint",
           "resume", "to_device", "default_device", "CHECKPOINT_DIR"]


@dataclass(frozen=True)
class TrainConfig:
    """GRL and SRL hyper-parameters (Table I of paper A unless marked).

    Attributes
    ----------
    steps : int
        GRL steps (the paper: 10,000).
    batch : int
        Events per GRL step (64).
    lr : float
        Adam learning rate (Table I: 1e-4; our default 1e-3: with 1e-4 the rate term never
        overtook the supervised term within our step budget, see the book).
    decay : float
        Learning-rate decay when the windowed rate does not improve (0.99).
    window : int
        Window length (100).
    ws, wr, we : float
        Weights of the supervised loss (100), the rate (1) and the entropy (1e-2, SRL).
    srl_ws : float
        The supervised weight in SRL ("smaller"; guess: 1).
    srl_lr : float
        SRL learning rate (guess: the GRL one).
    srl_max_steps : int
        Cap on SRL steps per event (the paper's Fig. 6 shows 5,000).
    srl_tolerance : float
        SRL stops when the windowed mean rate changes by less than this (relative) over a
        window (guess).
    temperature : float
        Softmax temperature of eq. (8) (guess: 0.5).
    gated : bool
        Take an optimiser step only when the windowed rate improved (Algorithm 2 literally).
    patience : int
        Steps without a new windowed-rate record before the learning rate decays (guess:
        one window, 100; Algorithm 2 literally: 1).
    seed : int
    checkpoint_every : int
    """

    steps: int = 3000
    batch: int = 64
    lr: float = 1e-3
    decay: float = 0.99
    window: int = 100
    ws: float = 100.0
    wr: float = 1.0
    we: float = 1e-2
    srl_ws: float = 1.0
    srl_lr: float = 1e-4
    srl_max_steps: int = 1000
    srl_tolerance: float = 1e-3
    temperature: float = 0.5
    gated: bool = False
    patience: int = 100
    seed: int = 11
    checkpoint_every: int = 100

    def __post_init__(self) -> None:
        for name in ("steps", "batch", "window", "srl_max_steps", "checkpoint_every", "patience"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.decay <= 1:
            raise ValueError(f"decay must be in (0, 1], got {self.decay}")


def default_device() -> torch.device:
    """CUDA when available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def event_batch(radio_map: RadioMap, rng: np.random.Generator, size: int, p_max_w: np.ndarray,
                noise_w: float) -> tuple[DenseBatch, torch.Tensor]:
    """``size`` fresh events as a dense batch, with strongest-channel labels (B, I)."""
    events = [draw_event(radio_map, rng) for _ in range(size)]
    gain = np.stack([event.gain for event in events])
    detectable = np.stack([event.detectable for event in events])
    return dense_batch_of(gain, detectable, p_max_w, noise_w), strongest_labels(gain, detectable)


def to_device(batch: DenseBatch, device: torch.device) -> DenseBatch:
    """The batch with its tensors on ``device``."""
    fields = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in batch.__dict__.items()}
    return DenseBatch(**fields)


def train_grl(
    radio_map: RadioMap, p_max_w: np.ndarray, noise_w: float, config: TrainConfig,
    checkpoint: Path | None = None, progress: bool = True,
) -> tuple[HGSAGE, pd.DataFrame]:
    """Algorithm 2 (GRL). Resumes from ``checkpoint`` when it holds the same config.

    Returns the model and the per-step history (mean and max batch rate, "our UA with
    maximum power", supervised and total loss, learning rate, whether the step trained).
    """
    device = default_device()
    torch.manual_seed(config.seed)
    model = HGSAGE(temperature=config.temperature).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    rng = np.random.default_rng(config.seed)
    key = config_hash(asdict(config))
    state = resume(checkpoint, key, config.steps, model, optimizer, rng, device) or {
        "step": 0, "lr": config.lr, "best": -np.inf, "window": [], "history": []}
    window = deque(state["window"], maxlen=config.window)
    start = time.perf_counter()
    bar = tqdm(range(state["step"], config.steps), initial=state["step"], total=config.steps,
               desc="GRL", disable=not progress)
    for step in bar:
        batch, labels = event_batch(radio_map, rng, config.batch, p_max_w, noise_w)
        batch, labels = to_device(batch, device), labels.to(device)
        logits, x, power = model(batch)
        terms = loss_terms(logits, x, power, batch, labels, model.temperature)
        loss = config.ws * terms["supervised"] - config.wr * (terms["rate_power"] + terms["rate_assoc"])
        with torch.no_grad():
            hard = hard_association(logits)
            per_event = rate(hard, power, batch).sum(-1)
            max_power = rate(hard, batch.p_max, batch).sum(-1)
        window.extend(per_event.cpu().tolist())
        recent = float(np.mean(window))
        improved = recent > state["best"]
        trained = improved or not config.gated
        if trained:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if improved:
            state["best"] = recent
            state["stale"] = 0
        else:
            state["stale"] = state.get("stale", 0) + 1
            if state["stale"] >= config.patience:
                state["stale"] = 0
                state["lr"] *= config.decay
                for group in optimizer.param_groups:
                    group["lr"] = state["lr"]
        state["history"].append({
            "step": step + 1, "mean_rate": float(per_event.mean()), "max_rate": float(per_event.max()),
            "our_ua_max_power": float(max_power.mean()), "supervised_loss": terms["supervised"].item(),
            "total_loss": float(loss.detach()), "lr": state["lr"], "trained": trained,
        })
        bar.set_postfix(rate=f"{recent:.1f}", lr=f"{state['lr']:.1e}")
        state["step"] = step + 1
        if checkpoint is not None and (state["step"] % config.checkpoint_every == 0 or state["step"] == config.steps):
            state["window"] = list(window)
            save_checkpoint(checkpoint, model, optimizer, rng, state, config, key, time.perf_counter() - start)
    return model.cpu(), pd.DataFrame(state["history"])


def resume(checkpoint: Path | None, key: str, steps: int, model: torch.nn.Module,
           optimizer: torch.optim.Optimizer, rng: np.random.Generator, device: torch.device) -> dict | None:
    """Restore ``model``, ``optimizer`` and both RNGs from ``checkpoint`` when it holds the
    training run ``key``, and return its saved ``state`` (None: start afresh).

    Raises
    ------
    ValueError
        The checkpoint is past the ``steps`` asked for (the run cannot be shortened).
    """
    if checkpoint is None or not checkpoint.exists():
        return None
    saved = load_checkpoint(checkpoint, device)
    if saved["config_hash"] != key:
        return None
    if saved["state"]["step"] > steps:
        raise ValueError(f"{checkpoint.name} is at step {saved['state']['step']}, past the "
                         f"{steps} steps asked for; ask for {saved['state']['step']}")
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    rng.bit_generator.state = saved["rng"]
    torch.set_rng_state(saved["torch_rng"].cpu())  # loaded onto the training device
    return saved["state"]


def save_checkpoint(path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    rng: np.random.Generator, state: dict, config, key: str, seconds: float) -> None:
    """Write a resumable checkpoint atomically (model, optimiser, both RNG states, ``state``
    of plain data and tensors) and its provenance record with the file's SHA-256."""
    with atomic_path(path) as tmp:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "state": state,
                    "config_hash": key}, tmp)
    record = provenance_record(asdict(config), seconds, module=__name__)
    record["steps_done"] = state["step"]
    record["files"] = {path.name: file_digest(path)}
    write_json(path.with_suffix(".json"), record)


def load_checkpoint(path: Path, device: torch.device | str = "cpu") -> dict:
    """A GRL checkpoint, checked against the SHA-256 in its record and loaded with
    ``weights_only=True`` (tensors and plain data only: a crafted file cannot run code).

    Raises :class:`~hudnlib.storage.StoreError` when the file was altered or cannot be read.
    """
    path = Path(path)
    heal = f"delete {path.name} and its .json, then rerun the experiment that trains it"
    try:
        expected = json.loads(path.with_suffix(".json").read_text()).get("files", {}).get(path.name)
    except (OSError, json.JSONDecodeError):
        expected = None
    verify(path, expected, heal, record=path.with_suffix(".json"))
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:
        raise StoreError(f"{path.name} cannot be loaded safely ({type(exc).__name__}); {heal}") from exc


def fine_tune_srl(
    model: HGSAGE, batch: DenseBatch, labels: torch.Tensor, config: TrainConfig,
) -> tuple[dict, pd.DataFrame]:
    """Algorithm 3 (SRL) on one event (``batch`` of size 1); the GRL model is not modified.

    Returns the best decisions seen (``rate``, ``association``, ``power``; the network can
    score its own output, so keeping the best is part of the online procedure) and the
    per-step history.
    """
    torch.manual_seed(config.seed)
    tuned = copy.deepcopy(model)
    optimizer = torch.optim.Adam(tuned.parameters(), lr=config.srl_lr)
    rates: list[float] = []
    history = []
    best = {"rate": -np.inf}
    for step in range(config.srl_max_steps):
        logits, x, power = tuned(batch)
        terms = loss_terms(logits, x, power, batch, labels, tuned.temperature)
        loss = (config.srl_ws * terms["supervised"] - config.wr * (terms["rate_power"] + terms["rate_assoc"])
                - config.we * terms["entropy"])
        current = float(terms["rate"])
        if current > best["rate"]:
            best = {"rate": current, "association": logits[0].argmax(-1).cpu().numpy(),
                    "power": power[0].detach().cpu().numpy()}
        rates.append(current)
        history.append({"step": step + 1, "rate": current, "supervised_loss": terms["supervised"].item(),
                        "total_loss": float(loss.detach())})
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        w = config.window
        if len(rates) >= 2 * w:
            now, before = np.mean(rates[-w:]), np.mean(rates[-2 * w:-w])
            if abs(now - before) < config.srl_tolerance * abs(before):
                break
    return best, pd.DataFrame(history)

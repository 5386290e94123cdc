"""Stored Sionna channel sets for paper B: generated once, in fixed chunks, kept under data/.

Sionna on the CPU costs seconds per batch (and ~5 s to import), so every sweep reads its
drops from a compressed ``.npz`` file instead of calling Sionna. Drop ``k`` always belongs to
chunk ``k // CHUNK`` and that chunk is generated from its own spawned seed, so the first
``n`` drops of a set are the same whatever size the set grew to: a quick run and a full run
share their first drops.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from hudnlib.provenance import CHANNELS_DIR, config_hash, provenance_record
from hudnlib.scenarios.paper_b import HetNetConfig, draw_topology, sionna_gains
from hudnlib.storage import StoreError, atomic_path, file_digest, lock, read_checked, write_json

__all__ = ["CHUNK", "CHANNELS_DIR", "ChannelSet", "load_channel_set"]

CHUNK = 100
"""Drops generated per Sionna batch (and per spawned seed)."""


@dataclass(frozen=True)
class ChannelSet:
    """Drops of paper B's HetNet.

    Attributes
    ----------
    gain : ndarray, shape (S, I, J)
        Linear large-scale gains.
    power_dbm : ndarray, shape (S, J)
        BS transmit powers.
    indoor : ndarray of bool, shape (S, I)
    config : HetNetConfig
    seed : int
    path : Path
        The ``.npz`` file; its provenance record is ``path.with_suffix(".json")``.
    """

    gain: np.ndarray
    power_dbm: np.ndarray
    indoor: np.ndarray
    config: HetNetConfig
    seed: int
    path: Path

    def __len__(self) -> int:
        return self.gain.shape[0]


def _generate_chunk(config: HetNetConfig, seed: int, chunk: int):
    topo_seq, sionna_seq = np.random.SeedSequence(seed, spawn_key=(chunk,)).spawn(2)
    rng = np.random.default_rng(topo_seq)
    topologies = [draw_topology(config, rng) for _ in range(CHUNK)]
    gain = sionna_gains(config, topologies, seed=int(sionna_seq.generate_state(1)[0]))
    return (gain, np.stack([t.power_dbm for t in topologies]), np.stack([t.indoor for t in topologies]))


def _read_record(path: Path, heal: str) -> dict:
    """The provenance record beside a stored set; :class:`~hudnlib.storage.StoreError` naming
    the file and the cure when it is missing, not JSON, or not a record."""
    record_path = path.with_suffix(".json")
    try:
        record = json.loads(record_path.read_text())
    except FileNotFoundError:
        raise StoreError(f"{path.name} has no provenance record ({record_path.name} is missing): {heal}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{record_path.name} is not a JSON record ({exc}): {heal}") from None
    if not isinstance(record, dict) or not isinstance(record.get("files", {}), dict):
        raise StoreError(f"{record_path.name} is not a provenance record (no 'files' table): {heal}")
    return record


def load_channel_set(
    config: HetNetConfig, n_drops: int, seed: int, directory: Path = CHANNELS_DIR,
    progress: bool = True,
) -> ChannelSet:
    """The first ``n_drops`` drops of the channel set for ``(config, seed)``.

    Loads ``directory/paper_b_<hash>.npz`` and generates (then stores) any missing chunks.

    Parameters
    ----------
    config : HetNetConfig
    n_drops : int
        Number of drops wanted (>= 1).
    seed : int
        Seed of the set.
    directory : Path
    progress : bool
        Show a progress bar while Sionna generates chunks.
    """
    if n_drops < 1:
        raise ValueError(f"n_drops must be >= 1, got {n_drops}")
    key = {"scenario": config.as_dict(), "seed": int(seed), "chunk": CHUNK,
           "gain": "10^(-pathloss/10) * sf from sionna UMa/UMi sample_lsp"}
    path = directory / f"paper_b_{config_hash(key)}.npz"
    heal = f"delete {path.name} and its .json; the next run regenerates it with Sionna"

    def read(p):
        with np.load(p) as data:
            return data["gain"], data["power_dbm"], data["indoor"]

    with lock(path):
        parts: list[tuple[np.ndarray, ...]] = []
        if path.exists():
            record = _read_record(path, heal)
            parts.append(read_checked(path, record.get("files", {}).get(path.name), heal, read))
        have = parts[0][0].shape[0] if parts else 0
        missing = range(have // CHUNK, -(-n_drops // CHUNK))
        if len(missing):
            start = time.perf_counter()
            for chunk in tqdm(missing, desc="Sionna channel chunks", disable=not progress):
                parts.append(_generate_chunk(config, seed, chunk))
            gain, power, indoor = (np.concatenate(p) for p in zip(*parts))
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as handle:
                    np.savez_compressed(handle, gain=gain, power_dbm=power, indoor=indoor)
            record = provenance_record({**key, "n_drops": int(gain.shape[0])}, time.perf_counter() - start,
                                       module=__name__)
            record["files"] = {path.name: file_digest(path)}
            write_json(path.with_suffix(".json"), record)
        else:
            gain, power, indoor = parts[0]
    return ChannelSet(gain[:n_drops], power[:n_drops], indoor[:n_drops], config, int(seed), path)

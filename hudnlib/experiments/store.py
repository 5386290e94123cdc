"""Result store: tidy frames under ``data/results/`` with a provenance record beside each."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from hudnlib.experiments.provenance import config_hash, provenance_record

__all__ = ["RESULTS_DIR", "load_or_compute", "load_provenance"]

RESULTS_DIR = Path(__file__).resolve().parents[2] / "data" / "results"


def _paths(name: str, results_dir: Path) -> tuple[Path, Path]:
    return results_dir / f"{name}.parquet", results_dir / f"{name}.json"


def load_provenance(name: str, results_dir: Path = RESULTS_DIR) -> dict:
    """The provenance record of a stored result."""
    return json.loads(_paths(name, results_dir)[1].read_text())


def load_or_compute(
    name: str,
    config: dict,
    compute: Callable[[dict], pd.DataFrame],
    *,
    recompute: bool = False,
    results_dir: Path = RESULTS_DIR,
) -> tuple[pd.DataFrame, dict]:
    """Return the stored result for ``config``, computing and storing it if needed.

    A stored result is served only if its config hash equals that of ``config``, so a
    changed config is never answered with a stale frame.

    Parameters
    ----------
    name : str
        File stem of the result (one per experiment and scale).
    config : dict
        JSON-serialisable configuration; it alone determines the result.
    compute : callable
        ``compute(config) -> DataFrame``.
    recompute : bool
        Ignore any stored result.
    results_dir : Path
        Where results live.

    Returns
    -------
    frame : pandas.DataFrame
    provenance : dict
    """
    frame_path, record_path = _paths(name, results_dir)
    if not recompute and frame_path.exists() and record_path.exists():
        record = json.loads(record_path.read_text())
        if record.get("config_hash") == config_hash(config):
            return pd.read_parquet(frame_path), record
    start = time.perf_counter()
    frame = compute(config)
    record = provenance_record(config, time.perf_counter() - start)
    results_dir.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(frame_path, index=False)
    record_path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return frame, record

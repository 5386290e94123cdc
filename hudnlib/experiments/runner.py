"""Run a registered experiment: chunked, resumable, Dask-parallel, stored with provenance.

Work is split by sample into chunks of ``chunk_size`` samples; sample ``k`` takes its
randomness only from ``SeedSequence(config.seed, spawn_key=(k,))``, so the frame does not
depend on the number of workers or on the scheduler. Every finished chunk is written to
``data/results/<name>-<scale>.partial/`` at once; a rerun after an interruption computes only
the chunks that are missing. The finished frame is stored as ``<name>-<scale>.parquet``
with a provenance record (``.json``) and served again while the config is unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pandas as pd
from tqdm import tqdm

from hudnlib.experiments.provenance import config_hash, provenance_record
from hudnlib.experiments.registry import config_dict, get_experiment
from hudnlib.experiments.store import RESULTS_DIR

__all__ = ["run", "book_scale", "SCHEDULER_ENV"]

SCHEDULER_ENV = "HUDNLIB_SCHEDULER"
"""Environment variable with a Dask scheduler address, used when ``scheduler`` is not given."""


def _run_chunk(
    name: str, config: Any, indices: np.ndarray, inputs: dict, threads: int | None = None
) -> tuple[pd.DataFrame, float]:
    """Worker side: one chunk of samples (module-level so Dask can ship it).

    ``threads`` caps numba's threads: a Dask worker is one single-threaded process per core,
    and letting each worker's parallel kernels start one thread per core oversubscribes
    the machine.
    """
    if threads is not None:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    start = time.perf_counter()
    frame = get_experiment(name).run_samples(config, indices, inputs)
    return frame, time.perf_counter() - start


def _chunk_path(partial: Path, first: int) -> Path:
    return partial / f"chunk-{first:07d}.parquet"


def run(
    name: str,
    scale: str = "quick",
    *,
    config: Any = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    chunk_size: int = 10,
    recompute: bool = False,
    progress: bool = True,
    results_dir: Path | str = RESULTS_DIR,
) -> tuple[pd.DataFrame, dict]:
    """Compute (or load) the result of one experiment.

    Parameters
    ----------
    name : str
        Registered experiment name (see ``python -m hudnlib list``).
    scale : {"quick", "full"}
        Named config; ignored when ``config`` is given.
    config : dataclass, optional
        A custom config of the experiment's config type (stored under ``<name>-custom``).
    scheduler : str, optional
        Address of a running Dask scheduler; default: ``$HUDNLIB_SCHEDULER``, else a
        ``LocalCluster``.
    n_workers : int, optional
        Workers of the local cluster (default: one per core); ``0`` runs in this process.
    chunk_size : int
        Samples per task (and per resumable piece).
    recompute : bool
        Ignore a stored result and any partial chunks.
    progress : bool
        Show a progress bar.
    results_dir : Path

    Returns
    -------
    frame : DataFrame
        Tidy result, sorted by sample.
    provenance : dict
    """
    experiment = get_experiment(name)
    if config is None:
        if scale not in experiment.scales:
            raise ValueError(f"scale must be one of {sorted(experiment.scales)}, got {scale!r}")
        config = experiment.scales[scale]
    else:
        scale = "custom"
    stem = f"{name}-{scale}"
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    results_dir = Path(results_dir)
    cfg = config_dict(config)
    key = config_hash(cfg)
    frame_path, record_path = results_dir / f"{stem}.parquet", results_dir / f"{stem}.json"
    if not recompute and frame_path.exists() and record_path.exists():
        record = json.loads(record_path.read_text())
        if record.get("config_hash") == key:
            return pd.read_parquet(frame_path), record

    partial = results_dir / f"{stem}.partial"
    marker = partial / "config.json"
    if partial.exists() and (recompute or not marker.exists()
                             or json.loads(marker.read_text()).get("config_hash") != key):
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"config": cfg, "config_hash": key}, indent=2) + "\n")

    starts = range(0, config.samples, chunk_size)
    todo = [s for s in starts if not _chunk_path(partial, s).exists()]
    timing_path = partial / "timing.json"
    timing = json.loads(timing_path.read_text()) if timing_path.exists() else {}
    wall = time.perf_counter()
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV)
    workers_used = 0
    if todo:
        inputs = experiment.prepare(config) if experiment.prepare else {}
        jobs = {s: np.arange(s, min(s + chunk_size, config.samples)) for s in todo}

        def sliced(idx):
            return {k: v[idx] for k, v in inputs.items()}

        bar = tqdm(total=len(starts), initial=len(starts) - len(todo), desc=name, disable=not progress)

        def finish(first, frame, seconds):
            frame.to_parquet(_chunk_path(partial, first), index=False)
            timing[str(first)] = seconds
            timing_path.write_text(json.dumps(timing))
            bar.update(1)

        if scheduler is None and n_workers == 0:
            for first, idx in jobs.items():
                finish(first, *_run_chunk(name, config, idx, sliced(idx)))
        else:
            from contextlib import nullcontext

            from dask.distributed import Client, LocalCluster, as_completed

            local = (LocalCluster(n_workers=n_workers or os.cpu_count(), threads_per_worker=1,
                                  processes=True, dashboard_address=None, silence_logs=logging.ERROR)
                     if scheduler is None else nullcontext(scheduler))
            with local as address, Client(address) as client:
                workers_used = len(client.scheduler_info()["workers"])
                futures = {client.submit(_run_chunk, name, config, idx, sliced(idx), 1, pure=False): first
                           for first, idx in jobs.items()}
                for future in as_completed(futures):
                    finish(futures[future], *future.result())
        bar.close()
    frame = pd.concat([pd.read_parquet(_chunk_path(partial, s)) for s in starts], ignore_index=True)
    record = provenance_record(cfg, time.perf_counter() - wall)
    record.update({
        "experiment": name, "scale": scale,
        "produces": experiment.produces, "workers": workers_used,
        "scheduler": scheduler or ("in-process" if workers_used == 0 else "LocalCluster"),
        "chunk_size": chunk_size, "compute_time_s": round(sum(timing.values()), 3),
    })
    results_dir.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(frame_path, index=False)
    record_path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    shutil.rmtree(partial)
    return frame, record


def book_scale() -> str:
    """Scale the book's chapters use: ``$HUDNLIB_SCALE`` or ``full`` (stored in data/results)."""
    scale = os.environ.get("HUDNLIB_SCALE", "full")
    if scale not in ("quick", "full"):
        raise ValueError(f"HUDNLIB_SCALE must be 'quick' or 'full', got {scale!r}")
    return scale

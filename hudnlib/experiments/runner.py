"""Run a registered experiment: chunked, resumable, Dask-parallel, stored with provenance.

Work is split by sample into chunks of ``chunk_size`` samples; sample ``k`` takes its
randomness only from ``SeedSequence(config.seed, spawn_key=(k,))``, so the frame does not
depend on the number of workers or on the scheduler. Every finished chunk is written
(atomically) to ``data/results/<name>-<scale>.partial-<config hash>/`` at once; a rerun after
an interruption computes only the chunks that are missing or unreadable. A chunk's file is
named by the samples it holds and carries its identity (experiment, config hash, code hash,
samples) in its own metadata: chunks of another experiment, config, code or chunk size are
dropped, never mixed in, and the finished frame must hold every sample exactly once. The
finished frame
is stored as ``<name>-<scale>.parquet`` with a provenance record (``.json``) that holds the
frame's SHA-256; it is served again only while the record names the same experiment and
config and the file matches its hash. One lock per experiment and scale serialises runs
that would write the same files (a valid stored result is served without it); a second,
short lock covers the replacement of the frame and its record and their reading, so a
reader never pairs a new frame with an old record. Runs of different configs never share a
folder.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from hudnlib.experiments.catalogue import find_experiment
from hudnlib.experiments.registry import config_dict
from hudnlib.provenance import RESULTS_DIR, config_hash, module_hash, provenance_record, stale_reasons
from hudnlib.storage import StoreError, atomic_path, file_digest, lock, read_checked, write_json

__all__ = ["run", "load", "book_scale", "heal_command", "SCHEDULER_ENV"]

SCHEDULER_ENV = "HUDNLIB_SCHEDULER"
"""Environment variable with a Dask scheduler address, used when ``scheduler`` is not given."""


def _run_chunk(
    name: str, config: Any, indices: np.ndarray, inputs: dict, threads: int | None = None,
    torch_threads: int = 1,
) -> tuple[pd.DataFrame, float]:
    """Worker side: one chunk of samples (module-level so Dask can ship it).

    ``threads`` caps numba's threads: a Dask worker is one single-threaded process per core,
    and letting each worker's parallel kernels start one thread per core oversubscribes
    the machine. torch, where the experiment uses it, runs ``torch_threads`` threads here and
    in a Dask worker alike: its sums are then added in the same order in this process and in
    a worker, and a result does not depend on ``--workers`` (it may on ``torch_threads``,
    which is recorded).
    """
    if threads is not None:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    experiment = find_experiment(name)
    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    start = time.perf_counter()
    try:
        if torch is not None:
            torch.set_num_threads(torch_threads)
        frame = experiment.run_samples(config, indices, inputs)
    finally:
        if torch is not None:
            torch.set_num_threads(previous)
    return frame, time.perf_counter() - start


class OtherConfig(StoreError):
    """The stored result belongs to another experiment or config."""


def _chunk_path(partial: Path, first: int, stop: int) -> Path:
    """A chunk's file, named by the samples it holds: ``first`` to ``stop - 1``."""
    return partial / f"chunk-{first:07d}-{stop:07d}.parquet"


CHUNK_KEY = b"hudnlib.chunk"
"""Parquet metadata key of a chunk's identity (experiment, config hash, code hash, samples)."""


def _write_chunk(path: Path, frame: pd.DataFrame, identity: dict) -> None:
    """Write a chunk atomically, its identity in the file's own metadata."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), CHUNK_KEY: json.dumps(identity).encode()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def _read_chunk(path: Path, identity: dict) -> pd.DataFrame | None:
    """A finished chunk, or None (removed, with a note) when it cannot be read, was written
    for another experiment, config, code or set of samples, or does not hold exactly the
    samples its identity names."""
    try:
        table = pq.read_table(path)
        found = json.loads((table.schema.metadata or {}).get(CHUNK_KEY, b"null"))
        frame = table.to_pandas()
    except Exception as exc:  # truncated, a folder in its place, not parquet at all
        found, frame, why = None, None, f"unreadable: {type(exc).__name__}"
    else:
        why = "written for another experiment, config, code or set of samples"
        if found == identity and "sample" in frame.columns and \
                set(frame["sample"].unique().tolist()) != set(range(identity["first"], identity["stop"])):
            found, why = None, "its rows do not hold exactly its samples"
    if found == identity:
        return frame
    print(f"note: dropping chunk {path.name} ({why}); it is recomputed", file=sys.stderr)
    shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    return None


def heal_command(name: str, scale: str) -> str:
    """The command that (re)computes a stored result."""
    return f"python -m hudnlib run {name} --scale {scale} --recompute"


def _resolve(name: str, scale: str, config: Any) -> tuple[Any, Any, str]:
    """The experiment, its config and the stored scale label (``custom-<config hash>`` for a
    custom config, so that two custom configs never share files)."""
    experiment = find_experiment(name)
    if config is None:
        if scale not in experiment.scales:
            raise ValueError(f"scale must be one of {sorted(experiment.scales)}, got {scale!r}")
        return experiment, experiment.scales[scale], scale
    expected = type(experiment.scales["quick"])
    if not isinstance(config, expected):
        raise ValueError(f"config must be a {expected.__name__} for {name!r}, got {type(config).__name__}")
    return experiment, config, f"custom-{config_hash(config_dict(config))}"


def load(name: str, scale: str = "quick", *, config: Any = None,
         results_dir: Path | str = RESULTS_DIR) -> tuple[pd.DataFrame, dict]:
    """The stored result of an experiment, checked: never computes.

    Raises :class:`~hudnlib.storage.StoreError` (a ``ValueError``) naming the command that
    heals it when the result is not computed yet, belongs to another experiment or config,
    or does not match the content hash in its record.
    """
    _, config, scale = _resolve(name, scale, config)
    stem = f"{name}-{scale}"
    results_dir = Path(results_dir)
    frame_path, record_path = results_dir / f"{stem}.parquet", results_dir / f"{stem}.json"
    custom = scale.startswith("custom")
    heal = "run it again with recompute=True" if custom else heal_command(name, scale)
    if not record_path.exists():
        raise StoreError(f"{name} ({scale}) is not computed yet; compute it: {heal.replace(' --recompute', '')}")
    with _swap_lock(results_dir, stem):  # never between a writer's two replacements
        try:
            record = json.loads(record_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise StoreError(f"{record_path.name} cannot be read ({exc}); recompute it: {heal}") from exc
        if not isinstance(record, dict) or not isinstance(record.get("files") or {}, dict):
            raise StoreError(f"{record_path.name} is not a provenance record; recompute it: {heal}")
        if record.get("experiment") != name or record.get("config_hash") != config_hash(config_dict(config)):
            raise OtherConfig(f"{record_path.name} records another experiment or config; recompute it: {heal}")
        if frame_path.is_dir():
            raise StoreError(f"a folder sits where {frame_path.name} should be; remove it, then: {heal}")
        frame = read_checked(frame_path, (record.get("files") or {}).get(frame_path.name), heal, pd.read_parquet)
    return frame, record


@contextmanager
def _swap_lock(results_dir: Path, stem: str) -> Iterator[None]:
    """Held while a result's frame and record are replaced, and while they are read, so that
    a reader never pairs a new frame with an old record. A folder that cannot hold the lock
    file (read-only) has no writer to wait for."""
    try:
        held = lock(results_dir / f"{stem}.swap")
        held.acquire()
    except OSError:
        yield
        return
    try:
        yield
    finally:
        held.release()


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
    torch_threads: int = 1,
) -> tuple[pd.DataFrame, dict]:
    """Compute (or load) the result of one experiment.

    Parameters
    ----------
    name : str
        Registered experiment name (see ``python -m hudnlib list``).
    scale : {"quick", "full"}
        Named config; ignored when ``config`` is given.
    config : dataclass, optional
        A custom config of the experiment's config type (stored under
        ``<name>-custom-<config hash>``).
    scheduler : str, optional
        Address of a running Dask scheduler; default: ``$HUDNLIB_SCHEDULER`` unless
        ``n_workers`` is given, else a ``LocalCluster``.
    n_workers : int, optional
        Workers of the local cluster (default: one per core); ``0`` runs in this process.
    chunk_size : int
        Samples per task (and per resumable piece).
    recompute : bool
        Ignore a stored result. Chunks left by an interrupted run of the same config and code
        are kept (so an interrupted recompute resumes); chunks of other code are dropped.
    progress : bool
        Show a progress bar.
    results_dir : Path
    torch_threads : int
        Threads torch uses per chunk, in this process or in a worker (experiments that use
        torch). 1 (default): a result does not depend on the number of workers. More threads
        change the order of torch's sums, so the values within rounding (and chaotic ones,
        as SRL's, beyond it); the record names the count, and chunks computed with another
        count are never mixed in. 2 in one process is the fastest way to run SRL on 2 cores.

    Returns
    -------
    frame : DataFrame
        Tidy result, sorted by sample.
    provenance : dict
    """
    experiment, config, scale = _resolve(name, scale, config)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if n_workers is not None and n_workers < 0:
        raise ValueError(f"n_workers must be >= 0 (0: in this process), got {n_workers}")
    if scheduler is not None and n_workers is not None:
        raise ValueError("give either scheduler or n_workers, not both")
    if isinstance(torch_threads, bool) or not isinstance(torch_threads, int) or torch_threads < 1:
        raise ValueError(f"torch_threads must be an integer >= 1, got {torch_threads!r}")
    stem = f"{name}-{scale}"
    results_dir = Path(results_dir)
    cfg = config_dict(config)
    key = config_hash(cfg)
    frame_path, record_path = results_dir / f"{stem}.parquet", results_dir / f"{stem}.json"
    def stored(report: bool):
        """The valid stored result, or None (a changed config is computed afresh; a damaged
        result is healed, with a note when ``report``)."""
        if recompute or not record_path.exists():
            return None
        try:
            return load(name, scale, config=config if scale.startswith("custom") else None, results_dir=results_dir)
        except OtherConfig:
            return None
        except StoreError as exc:
            if report:
                print(f"note: {exc}; recomputing", file=sys.stderr)
            return None

    served = stored(report=False)  # a valid result is served without waiting for (or creating) the writer lock
    if served is not None:
        return served
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
        writer = lock(results_dir / stem)
        writer.acquire()
    except OSError as exc:
        raise StoreError(f"cannot write to {results_dir} ({exc.strerror}); give a writable "
                         "results folder (--results-dir)") from exc
    try:
        served = stored(report=True)  # another run may have stored it while this one waited
        if served is not None:
            return served
        return _compute(experiment, name, scale, config, cfg, key, scheduler, n_workers, chunk_size,
                        progress, results_dir, frame_path, record_path, torch_threads)
    finally:
        writer.release()


def _compute(experiment, name, scale, config, cfg, key, scheduler, n_workers, chunk_size,
             progress, results_dir, frame_path, record_path, torch_threads):
    partial = results_dir / f"{name}-{scale}.partial-{key}"
    code = module_hash(experiment.run_samples.__module__)
    if partial.exists():
        try:
            left = json.loads((partial / "config.json").read_text())
            left = (left.get("module_hash"), left.get("torch_threads", 1))
        except (OSError, json.JSONDecodeError, AttributeError):
            left = (None, None)
        if left != (code, torch_threads):  # chunks of other code or torch threads are never mixed in
            why = "other code" if left[0] != code else "another torch thread count"
            print(f"note: dropping the chunks in {partial.name}: {why} computed them", file=sys.stderr)
            shutil.rmtree(partial)
    try:
        partial.mkdir(parents=True, exist_ok=True)
        write_json(partial / "config.json", {"config": cfg, "config_hash": key, "module_hash": code,
                                             "torch_threads": torch_threads})
    except OSError as exc:
        raise StoreError(f"cannot write to {results_dir} ({exc.strerror}); give a writable "
                         "results folder (--results-dir)") from exc
    identity = {"experiment": name, "config_hash": key, "module_hash": code, "torch_threads": torch_threads}
    # chunk -> (its file, its identity), by first sample
    chunks = {first: (_chunk_path(partial, first, stop), {**identity, "first": first, "stop": stop})
              for first in range(0, config.samples, chunk_size)
              for stop in [min(first + chunk_size, config.samples)]}
    expected = {path.name for path, _ in chunks.values()}
    stray = [p for p in partial.glob("chunk-*") if p.name not in expected]
    if stray:  # another chunk size (or an older layout): its pieces never fill this one's
        print(f"note: dropping {len(stray)} chunk(s) in {partial.name} cut for another chunk size", file=sys.stderr)
        for path in stray:
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    done = {first: _read_chunk(path, chunk_identity) for first, (path, chunk_identity) in chunks.items()
            if path.exists()}
    todo = [first for first in chunks if done.get(first) is None]
    starts = list(chunks)
    timing_path = partial / "timing.json"
    try:
        timing = json.loads(timing_path.read_text()) if timing_path.exists() else {}
        timing = {k: float(v) for k, v in timing.items()} if isinstance(timing, dict) else {}
    except (OSError, ValueError, TypeError, AttributeError):
        print(f"note: {timing_path.name} in {partial.name} cannot be read; the chunk times restart", file=sys.stderr)
        timing = {}
    wall = time.perf_counter()
    if scheduler is None and n_workers is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    workers_used = 0
    if todo:
        inputs = experiment.prepare(config) if experiment.prepare else {}
        jobs = {first: np.arange(first, chunks[first][1]["stop"]) for first in todo}

        def sliced(idx):
            return {k: v[idx] for k, v in inputs.items()}

        bar = tqdm(total=len(starts), initial=len(starts) - len(todo), desc=name, disable=not progress)

        def finish(first, frame, seconds):
            path, chunk_identity = chunks[first]
            _write_chunk(path, frame, chunk_identity)
            done[first] = frame
            timing[path.name] = seconds
            write_json(timing_path, timing)
            bar.update(1)

        if scheduler is None and n_workers == 0:
            for first, idx in jobs.items():
                finish(first, *_run_chunk(name, config, idx, sliced(idx), None, torch_threads))
        else:
            from contextlib import nullcontext

            try:
                from dask.distributed import Client, LocalCluster, as_completed
            except ImportError as exc:
                raise ValueError("dask is not installed (the 'sweeps' extra): install it, or run in this "
                                 "process with --workers 0 (n_workers=0)") from exc

            local = (LocalCluster(n_workers=n_workers or os.cpu_count(), threads_per_worker=1,
                                  processes=True, dashboard_address=None, silence_logs=logging.ERROR)
                     if scheduler is None else nullcontext(scheduler))
            with local as address, Client(address) as client:
                workers_used = len(client.scheduler_info()["workers"])
                futures = {client.submit(_run_chunk, name, config, idx, sliced(idx), 1, torch_threads, pure=False): first
                           for first, idx in jobs.items()}
                for future in as_completed(futures):
                    finish(futures[future], *future.result())
        bar.close()
    frame = pd.concat([done[s] for s in starts], ignore_index=True)
    if "sample" in frame.columns and sorted(frame["sample"].unique().tolist()) != list(range(config.samples)):
        raise StoreError(f"the chunks of {name} ({scale}) do not cover samples 0-{config.samples - 1} exactly "
                         f"once; nothing was stored: rerun with --recompute")
    record = provenance_record(cfg, time.perf_counter() - wall, module=experiment.run_samples.__module__)
    record.update({
        "experiment": name, "scale": scale,
        "produces": experiment.produces, "workers": workers_used,
        "scheduler": scheduler or ("in-process" if workers_used == 0 else "LocalCluster"),
        "chunk_size": chunk_size, "torch_threads": torch_threads, "compute_time_s": round(sum(timing.get(n, 0.0) for n in expected), 3),
    })
    if frame_path.is_dir():
        raise StoreError(f"a folder sits where {frame_path.name} should be; the finished chunks are kept in "
                         f"{partial.name}: remove the folder and rerun")
    kept = _same_values(name, scale, config, results_dir, frame)
    if kept is not None and not stale_reasons(kept[1]) and kept[1].get("packages") == record["packages"]:
        shutil.rmtree(partial)  # the same values by the same code: nothing new to store
        return kept
    try:
        with _swap_lock(results_dir, f"{name}-{scale}"):
            if kept is None:
                with atomic_path(frame_path) as tmp:
                    frame.to_parquet(tmp, index=False)
                record["files"] = {frame_path.name: file_digest(frame_path)}
            else:  # new code or packages, the same values: the frame file (and its timings) stays
                frame = kept[0]
                record["files"] = kept[1]["files"]
                record["values_unchanged_since"] = kept[1].get("git_commit")
            write_json(record_path, record)
    except OSError as exc:
        raise StoreError(f"cannot write the result to {results_dir} ({exc.strerror}); the finished "
                         f"chunks are kept in {partial.name}: make the folder writable and rerun") from exc
    shutil.rmtree(partial)
    return frame, record


TIMING_COLUMNS = ("seconds",)
"""Frame columns that hold measured run times, which no seed fixes."""


def _same_values(name: str, scale: str, config: Any, results_dir: Path,
                 frame: pd.DataFrame) -> tuple[pd.DataFrame, dict] | None:
    """The valid stored result when it holds exactly ``frame``'s values (the measured run
    times of :data:`TIMING_COLUMNS` aside), else None: a recompute that changes no value then
    rewrites no frame file, and the repository does not grow by a copy of it."""
    try:
        stored, record = load(name, scale, config=config if scale.startswith("custom") else None,
                              results_dir=results_dir)
    except StoreError:
        return None
    values = [c for c in frame.columns if c not in TIMING_COLUMNS]
    if list(stored.columns) != list(frame.columns) or not stored[values].equals(frame[values]):
        return None
    return stored, record


def book_scale() -> str:
    """Scale the book's chapters use: ``$HUDNLIB_SCALE`` or ``full`` (stored in data/results)."""
    scale = os.environ.get("HUDNLIB_SCALE", "full")
    if scale not in ("quick", "full"):
        raise ValueError(f"HUDNLIB_SCALE must be 'quick' or 'full', got {scale!r}")
    return scale

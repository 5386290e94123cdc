"""Command line: ``python -m hudnlib list | run EXPERIMENT | show EXPERIMENT``.

``run`` computes (or loads) a result; ``show`` prints a stored result's table and never
computes. Every error ends the command with a one-line message and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from hudnlib.experiments.catalogue import OPTIONAL_PACKAGES, UNAVAILABLE, available_experiments, find_experiment
from hudnlib.experiments.runner import SCHEDULER_ENV, load, run
from hudnlib.provenance import RESULTS_DIR, stale_reasons

__all__ = ["main"]


def _integer(text: str, minimum: int, meaning: str = "") -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be >= {minimum}{meaning}, got {value}")
    return value


def _workers(text: str) -> int:
    return _integer(text, 0, " (0: in this process)")


def _positive(text: str) -> int:
    return _integer(text, 1)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hudnlib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the registered experiments and what they reproduce")
    run_p = sub.add_parser("run", help="compute (or load) an experiment's result")
    show_p = sub.add_parser("show", help="print a stored result's table beside the paper's values")
    for p in (run_p, show_p):
        p.add_argument("experiment")
        p.add_argument("--scale", choices=("quick", "full"), default="quick")
        p.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                       help="where results are stored (default: data/results)")
    run_p.add_argument("--scheduler", default=None,
                       help=f"Dask scheduler address (default: ${SCHEDULER_ENV}, else a local cluster)")
    run_p.add_argument("--workers", type=_workers, default=None,
                       help="local Dask workers (default: one per core; 0: in this process)")
    run_p.add_argument("--recompute", action="store_true", help="ignore a stored result")
    run_p.add_argument("--chunk-size", type=_positive, default=10,
                       help="samples per task and per resumable piece (default: 10)")
    run_p.add_argument("--torch-threads", type=_positive, default=1,
                       help="threads torch uses per chunk (default: 1, so that a result does not depend on "
                            "--workers; more change torch's rounding and are recorded; 2 with --workers 0 is "
                            "the fastest SRL on 2 cores)")
    return parser


def _status(name: str, scale: str, record: dict) -> str:
    line = f"{name} ({scale}): computed at commit {record['git_commit']} in {record['wall_time_s']} s"
    reasons = stale_reasons(record)
    if reasons:
        line += f"\nWARNING: {'; '.join(reasons)}: python -m hudnlib run {name} --scale {scale} --recompute"
    return line


def _main(args: argparse.Namespace) -> int:
    if args.command == "list":
        for name, experiment in available_experiments().items():
            sizes = ", ".join(f"{s}: {c.samples} samples" for s, c in experiment.scales.items())
            print(f"{name:<28} {experiment.produces}  [{sizes}]")
        for module, package in sorted(UNAVAILABLE.items()):
            print(f"not available here: the experiments of {module} need {package} "
                  f"(pip install -e '.[{OPTIONAL_PACKAGES[package]}]')")
        return 0
    experiment = find_experiment(args.experiment)
    if args.command == "run":
        if args.scheduler is not None and args.workers is not None:
            raise ValueError("give either --scheduler or --workers, not both")
        cores = os.cpu_count() or 1
        if args.workers is not None and args.workers > cores:
            print(f"note: --workers {args.workers} on {cores} cores: the workers share the cores "
                  "(no faster than one per core, and each waits on the others)", file=sys.stderr)
        frame, record = run(args.experiment, args.scale, scheduler=args.scheduler, n_workers=args.workers,
                            recompute=args.recompute, results_dir=args.results_dir,
                            chunk_size=args.chunk_size, torch_threads=args.torch_threads)
        print(f"{len(frame)} rows. " + _status(args.experiment, args.scale, record))
        return 0
    frame, record = load(args.experiment, args.scale, results_dir=args.results_dir)
    print(_status(args.experiment, args.scale, record))
    if experiment.summarise is not None:
        with pd.option_context("display.width", 200, "display.max_rows", 500,
                               "display.float_format", "{:.4g}".format):
            print(experiment.summarise(frame, experiment.scales[args.scale]).to_string())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (2: bad input or a missing/corrupt result)."""
    args = _parser().parse_args(argv)
    try:
        return _main(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:  # noqa: BLE001 - the CLI reports, never prints a traceback
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):  # Ctrl-C inside a compiled kernel
            return _interrupted()
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _interrupted() -> int:
    print("interrupted: finished chunks are kept; run the same command to resume", file=sys.stderr)
    return 130

"""Command line: ``python -m hudnlib list | run EXPERIMENT | show EXPERIMENT``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from hudnlib.experiments.registry import experiments, get_experiment
from hudnlib.experiments.runner import SCHEDULER_ENV, run
from hudnlib.experiments.store import RESULTS_DIR

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hudnlib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the registered experiments and what they reproduce")
    for command, text in (("run", "compute (or load) an experiment's result"),
                          ("show", "print an experiment's table beside the paper's values")):
        p = sub.add_parser(command, help=text)
        p.add_argument("experiment")
        p.add_argument("--scale", choices=("quick", "full"), default="quick")
        p.add_argument("--scheduler", default=None,
                       help=f"Dask scheduler address (default: ${SCHEDULER_ENV}, else a local cluster)")
        p.add_argument("--workers", type=int, default=None,
                       help="local Dask workers (default: one per core; 0: in this process)")
        p.add_argument("--recompute", action="store_true", help="ignore a stored result")
        p.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                       help="where results are stored (default: data/results)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "list":
        for name, experiment in experiments().items():
            sizes = ", ".join(f"{s}: {c.samples} samples" for s, c in experiment.scales.items())
            print(f"{name:<28} {experiment.produces}  [{sizes}]")
        return 0
    try:
        experiment = get_experiment(args.experiment)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    frame, record = run(args.experiment, args.scale, scheduler=args.scheduler,
                        n_workers=args.workers, recompute=args.recompute,
                        results_dir=args.results_dir)
    print(f"{args.experiment} ({args.scale}): {len(frame)} rows, {record['wall_time_s']} s, "
          f"commit {record['git_commit'][:12]}")
    if args.command == "show" and experiment.summarise is not None:
        with pd.option_context("display.width", 200, "display.max_rows", 500,
                               "display.float_format", "{:.4g}".format):
            print(experiment.summarise(frame, experiment.scales[args.scale]).to_string())
    return 0

"""Reduced precision, and same-maths float32 rewrites, for the authors' GRL and SRL on this CPU:
a diagnostic outside the stored results.

The library trains in float32. This script asks whether a step that runs most of its matrix
products in bfloat16 (this CPU has AVX512-BF16) trains the same models, and how fast it is;
and how fast the step gets in float32 when rewritten without changing its maths
(``float32_rewrites.py``). The README gives its results and the verdicts.

- ``time``: the library's float32 GRL step and each form below, alone on the same stream of
  batches (ms per step, fastest and median of 10, after one warm-up step); for the float32
  forms also their matrix products replayed alone (``bench_gnn.py``'s floor).
- ``train SEED [STEPS] [--form FORM]``: GRL of the reading ``authors`` in that form, through the
  library's own training loop (:func:`hudnlib.gnn.authors_training.train_grl_authors`: the same
  draws, loss, schedule, keep-best rule and resumable checkpoints), the checkpoint in
  ``.precision_study/`` (ignored by git). Seeds 11, 12 and 13 are the training seeds of the
  stored float32 training runs 1, 2 and 3.
- ``evaluate SEED... [--form FORM]``: each finished run's kept model evaluated exactly as the
  stored training runs are (:func:`hudnlib.experiments.paper_a_hgsage_runs.run_samples`, in
  float32) on the 200 events of the reading: its GRL against JUAPCMWSER and against the float32
  run of the same training seed (paired, 95% CIs), its climb beside the twin's, and the
  criterion over seeds (:func:`evaluate`).
- ``spikes SEED STEPS [--form FORM]``: a run of ``STEPS`` from scratch (nothing kept) and how
  far its steps' gradient norms stray from their median (:func:`gradient_spikes`).
- ``climb SEED... [--form FORM]``: each seed's 50-step moving batch rate at steps 100, 300 and
  1,000 in that form and in the library's step (the stored run for seeds 11-13, else the
  ``float32`` form's), and the paired difference at step 1,000 over the seeds (:func:`climb`).
- ``srl RUN EVENTS [--form FORM] [--chunk N]``: SRL at the authors' 10,000 steps from the kept
  model of the stored float32 training run ``RUN`` (reading ``authors``), computed in that form
  on the first ``EVENTS`` events in chunks of ``N`` (default 10, as the stored results were
  computed), against the stored float32 SRL of that run on the same events; the GRL rows show
  what the form's inference alone moves.

The forms are in ``study_forms.py`` (:data:`study_forms.FORMS`).

Run each command alone on the idle machine: the times are the point.
"""

from __future__ import annotations

import argparse
import time
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import torch
from scipy import stats

from hudnlib.experiments import paper_a_hgsage_runs
from hudnlib.experiments.paper_a_baselines import prepare_events
from hudnlib.experiments.paper_a_central_claim import event_totals_by_method, paired_against
from hudnlib.experiments.paper_a_hgsage_authors import (
    PAPER_STEPS, SECOND_SETTING_EVENTS, AuthorsGNNConfig, reading_setting,
)
from hudnlib.experiments.paper_a_hgsage_runs import TrainingRunConfig
from hudnlib.experiments.runner import load
from hudnlib.experiments.statistics import mean_ci
from hudnlib.gnn import authors_training
from hudnlib.gnn.authors import AuthorsHGSAGE
from hudnlib.gnn.authors_training import AuthorsTrainConfig, kept_model, train_grl_authors

from bench_gnn import product_floor, recorded_products
from study_forms import FLOAT32_FORMS, FORMS, LIBRARY, NotingAdam, built_as, drawn_as

STUDY_DIR = Path(__file__).resolve().parents[1] / ".precision_study"
BASELINE = "JUAPCMWSER"


def evaluated_as(model: AuthorsHGSAGE) -> AbstractContextManager:
    """While entered, :func:`hudnlib.experiments.paper_a_hgsage_runs.run_samples` evaluates
    ``model`` instead of the stored run's model (it takes its model from ``_trained``)."""
    return mock.patch.object(paper_a_hgsage_runs, "_trained", lambda _config: model)


def run_config(seed: int, steps: int = PAPER_STEPS) -> TrainingRunConfig:
    """The stored float32 training run of training seed ``seed`` (run ``seed - 10``), reading
    ``authors``, GRL only."""
    return TrainingRunConfig(samples=200, reading="authors", srl_steps=0, train=AuthorsTrainConfig(steps=steps),
                             training_run=seed - 10)


def checkpoint(seed: int, form: str = "mixed") -> Path:
    """Where the study keeps the GRL checkpoint of ``form`` and ``seed``."""
    return STUDY_DIR / f"grl_{form}_seed{seed}.pt"


def time_steps() -> None:
    """Prints the library's float32 GRL step and each form's, alone on the same batches."""
    config = AuthorsGNNConfig(samples=200, reading="authors")
    radio_map, p_max, noise = reading_setting(config)
    n_ue, n_bs = radio_map.config.n_active, len(p_max)
    print(f"GRL step, batch 64, events drawn included, {torch.get_num_threads()} threads "
          "(fastest / median of 10 after a warm-up):")
    for name, cls in FORMS.items():
        torch.manual_seed(0)
        model = cls(n_ue, n_bs)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
        rng = np.random.default_rng(0)

        def step():
            batch, labels = authors_training.event_batch(radio_map, rng, 64, p_max, noise)
            z, x, power = model(batch, rng)
            loss = authors_training.authors_loss_terms(z, x, power, batch.gain, labels)["loss"].sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        with drawn_as(name, radio_map):  # the events drawn as the form's training loop draws them
            times = []
            for _ in range(11):
                start = time.perf_counter()
                step()
                times.append(time.perf_counter() - start)
            floor = ""
            if name in FLOAT32_FORMS:
                seconds, flops = product_floor(recorded_products(step), torch.device("cpu"))
                floor = f"; its matrix products alone {1e3 * seconds:.1f} ms ({flops / 1e9:.1f} GFLOP)"
        fastest, median = min(times[1:]), float(np.median(times[1:]))
        print(f"  {name:32s} {1e3 * fastest:6.1f} / {1e3 * median:6.1f} ms  (10,000 steps: {fastest * 1e4 / 60:.1f} "
              f"min{floor})")


def moving_rate(history: pd.DataFrame) -> pd.Series:
    """A GRL history's 50-step moving batch rate (the climbs the study compares)."""
    return history["mean_rate"].rolling(50, min_periods=1).mean()


def train(seed: int, steps: int, form: str) -> None:
    """Trains (or resumes) GRL of ``form`` with training seed ``seed`` to ``steps`` steps and
    prints its 50-step moving batch rate at a few steps."""
    config = run_config(seed, steps)
    radio_map, p_max, noise = reading_setting(config)
    STUDY_DIR.mkdir(exist_ok=True)
    start = time.perf_counter()
    with built_as(FORMS[form]), drawn_as(form, radio_map):
        _, history = train_grl_authors(radio_map, p_max, noise, paper_a_hgsage_runs.run_train_config(config),
                                       checkpoint=checkpoint(seed, form))
    history.to_parquet(checkpoint(seed, form).with_suffix(".history.parquet"), index=False)
    smooth = moving_rate(history)
    marks = [m for m in (100, 200, 300, 500, 1000, 2000, 5000, 10_000) if m <= len(history)]
    print(f"{form}, seed {seed}: {len(history)} steps; this call {time.perf_counter() - start:.0f} s; 50-step moving "
          "batch rate at steps " + ", ".join(f"{m}: {smooth.iloc[m - 1]:.1f}" for m in marks))


def _difference(paired: dict, digits: int = 1) -> str:
    """``+d [+low, +high]`` of a :func:`paired_against` result."""
    return (f"{paired['difference [bit/s/Hz]']:+.{digits}f} [{paired['difference CI low']:+.{digits}f}, "
            f"{paired['difference CI high']:+.{digits}f}]")


def evaluate(seeds: list[int], form: str) -> None:
    """Prints, per seed, the ``form`` run's kept GRL beside its float32 twin's, then the verdict of
    the criterion written before the runs finished: over the seeds, the 95% t interval of the mean
    of (form - float32) must lie inside +-delta, delta being the half-width of the float32 rows'
    own 95% CIs (a Table II row's precision): "equivalent" when it does, "different" when it
    excludes 0, otherwise "not shown with n seeds"."""
    config = run_config(seeds[0])
    radio_map, p_max, _ = reading_setting(config)
    inputs = prepare_events(config.baselines)
    baselines = event_totals_by_method(load("paper_a_baselines_authors", "full")[0])[BASELINE]
    rows, gaps, half_widths = [], [], []
    for seed in seeds:
        config = run_config(seed)
        model = kept_model(checkpoint(seed, form), paper_a_hgsage_runs.run_train_config(config),
                           radio_map.config.n_active, len(p_max)).eval()
        with evaluated_as(model):
            ours = event_totals_by_method(paper_a_hgsage_runs.run_samples(config, np.arange(config.samples), inputs))["GRL"]
        twin = event_totals_by_method(load(f"paper_a_hgsage_authors_grl_run{config.training_run}_authors", "full")[0])["GRL"]
        best, vs_twin, own = paired_against(ours, baselines), paired_against(ours, twin), paired_against(twin, baselines)
        gaps.append(vs_twin["difference [bit/s/Hz]"])
        half_widths.append((own["CI high"] - own["CI low"]) / 2)
        climb = {}
        for name, path in ((form, checkpoint(seed, form)), ("float32", paper_a_hgsage_runs.run_checkpoint_path(config))):
            smooth = moving_rate(pd.read_parquet(path.with_suffix(".history.parquet")))
            climb[name] = " / ".join(f"{smooth.iloc[m - 1]:.0f}" for m in (100, 300, 1000, 3000, 10_000))
        rows.append({"seed": seed, f"{form} GRL": best["mean [bit/s/Hz]"],
                     f"{form} - {BASELINE}": _difference(best),
                     "float32 GRL": own["mean [bit/s/Hz]"],
                     f"{form} - float32": _difference(vs_twin),
                     f"moving rate at 100/300/1k/3k/10k, {form}": climb[form], "float32": climb["float32"]})
    print(pd.DataFrame(rows).to_string(index=False, float_format="{:.1f}".format))
    delta = float(np.mean(half_widths))
    if len(seeds) < 2:
        print(f"one seed: no verdict over seeds (delta = {delta:.1f})")
        return
    gap, low, high = mean_ci(np.array(gaps))
    verdict = ("equivalent" if -delta <= low and high <= delta else "different" if low > 0 or high < 0
               else f"not shown with {len(seeds)} seeds")
    print(f"{form} - float32 over the {len(seeds)} seeds: {gap:+.1f} [{low:+.1f}, {high:+.1f}] (95% t interval); "
          f"delta (the float32 rows' CI half-width) {delta:.1f}: {verdict}")
    spread = float(np.std(gaps, ddof=1))
    needed = next(n for n in range(2, 10_000) if stats.t.ppf(0.975, n - 1) * spread / np.sqrt(n) <= delta)
    print(f"seed-to-seed standard deviation of ({form} - float32): {spread:.1f}; seeds needed for a 95% interval "
          f"of half-width delta at that spread: {needed}")


def gradient_spikes(seed: int, steps: int, form: str) -> None:
    """Trains ``form`` from scratch for ``steps`` steps (no checkpoint) and prints how far its
    steps' gradient norms stray from their median, beside its moving batch rate: the authors'
    loss lets one UE's rounding residue carry a step (README)."""
    config = run_config(seed, steps)
    radio_map, p_max, noise = reading_setting(config)
    optimizers = []

    def noting(*args, **kwargs):
        optimizers.append(NotingAdam(*args, **kwargs))
        return optimizers[-1]

    with built_as(FORMS[form]), drawn_as(form, radio_map), mock.patch.object(authors_training.torch.optim, "Adam",
                                                                              noting):
        _, history = train_grl_authors(radio_map, p_max, noise, paper_a_hgsage_runs.run_train_config(config),
                                       progress=False)
    ratio = np.array(optimizers[0].norms) / np.median(optimizers[0].norms)
    smooth = moving_rate(history)
    print(f"{form}, seed {seed}, {steps} steps: gradient norm over its median, largest per 50 steps "
          + " / ".join(f"{ratio[i:i + 50].max():.1f}" for i in range(0, steps, 50))
          + f"; steps above 10x: {int((ratio > 10).sum())}, above 100x: {int((ratio > 100).sum())}, the first at "
          f"step {int(np.argmax(ratio > 10)) + 1 if (ratio > 10).any() else '-'}; moving batch rate at the last step "
          f"{smooth.iloc[-1]:.1f}")


CLIMB_MARKS = (100, 300, 1000)
"""The steps at which :func:`climb` reads the moving batch rate."""


def _history(seed: int, form: str) -> pd.DataFrame:
    """The study's run of ``form`` and ``seed``; for the library's step and a seed with a stored
    float32 run, that run's history when the study has not trained one."""
    path = checkpoint(seed, form).with_suffix(".history.parquet")
    if form == LIBRARY and not path.exists():
        path = paper_a_hgsage_runs.run_checkpoint_path(run_config(seed)).with_suffix(".history.parquet")
    if not path.exists():
        raise ValueError(f"no {form} run for seed {seed}: train it first")
    return pd.read_parquet(path)


def climb(seeds: list[int], form: str) -> None:
    """Prints, per seed, the 50-step moving batch rate of ``form``'s run and of the library's step
    (:data:`LIBRARY`) at :data:`CLIMB_MARKS`, then the paired difference at the last mark over the
    seeds with its 95% t interval: whether ``form`` climbs as the library's step does, at the
    cost of the first thousand steps of each run instead of ten thousand."""
    rows, gaps = [], []
    for seed in seeds:
        rates = {}
        for name in (form, LIBRARY):
            history = _history(seed, name)
            if len(history) < CLIMB_MARKS[-1]:
                raise ValueError(f"the {name} run for seed {seed} has {len(history)} steps, fewer than "
                                 f"{CLIMB_MARKS[-1]}")
            smooth = moving_rate(history)
            rates[name] = [float(smooth.iloc[m - 1]) for m in CLIMB_MARKS]
        gaps.append(rates[form][-1] - rates[LIBRARY][-1])
        rows.append({"seed": seed, **{f"{name} at {m}": r for name in (form, LIBRARY)
                                      for m, r in zip(CLIMB_MARKS, rates[name])}, "difference": gaps[-1]})
    print(pd.DataFrame(rows).to_string(index=False, float_format="{:.1f}".format))
    if len(seeds) > 1:
        gap, low, high = mean_ci(np.array(gaps))
        print(f"{form} - {LIBRARY} at step {CLIMB_MARKS[-1]} over {len(seeds)} seeds: {gap:+.1f} [{low:+.1f}, "
              f"{high:+.1f}] (95% t interval)")


def srl(run: int, events: int, form: str, chunk: int = 10) -> None:
    """SRL at the authors' 10,000 steps in ``form`` from stored float32 training run ``run`` on
    its first ``events`` events, ``chunk`` of them batched together, against that run's stored
    SRL (and GRL) on them (batched by 10). Each chunk's SRL starts from the same seed, so an
    event sees the same draws in any chunk; the batched products' rounding can differ with
    the chunk's size, which then acts as another numeric setting."""
    config = replace(run_config(10 + run), samples=SECOND_SETTING_EVENTS, srl_steps=PAPER_STEPS)
    radio_map, p_max, _ = reading_setting(config)
    inputs = prepare_events(config.baselines)
    stored = event_totals_by_method(load(f"paper_a_hgsage_authors_srl_run{run}_authors", "full")[0])
    model = FORMS[form](radio_map.config.n_active, len(p_max))
    model.load_state_dict(paper_a_hgsage_runs._trained(config).state_dict())
    frames = []
    with evaluated_as(model.eval()), drawn_as(form, radio_map):  # the form's step on the stored run's weights
        for first in range(0, events, chunk):
            indices = np.arange(first, min(first + chunk, events))
            start = time.perf_counter()
            frames.append(paper_a_hgsage_runs.run_samples(config, indices, {k: v[indices] for k, v in inputs.items()}))
            seconds = time.perf_counter() - start
            print(f"events {indices[0]}-{indices[-1]}: {seconds:.0f} s ({1e3 * seconds / len(indices) / PAPER_STEPS:.2f} "
                  "ms per event-step)", flush=True)
    ours = event_totals_by_method(pd.concat(frames, ignore_index=True))
    for method in ("GRL", "SRL"):
        change = paired_against(ours[method], stored[method])
        spread = (ours[method] - stored[method]).dropna().std(ddof=1)
        print(f"{method}: {form} {change['mean [bit/s/Hz]']:.1f}, float32 "
              f"{change['mean [bit/s/Hz]'] - change['difference [bit/s/Hz]']:.1f}, change "
              f"{_difference(change, 2)} on {change['events']} events (per-event sd {spread:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("time", help="the float32 step and each form's, alone")
    train_parser = sub.add_parser("train", help="GRL in a reduced-precision form (resumable)")
    train_parser.add_argument("seed", type=int)
    train_parser.add_argument("steps", type=int, nargs="?", default=PAPER_STEPS)
    train_parser.add_argument("--form", choices=sorted(FORMS), default="mixed")
    srl_parser = sub.add_parser("srl", help="SRL in a form from a stored float32 run")
    srl_parser.add_argument("run", type=int)
    srl_parser.add_argument("events", type=int)
    srl_parser.add_argument("--form", choices=sorted(FORMS), default="mixed")
    srl_parser.add_argument("--chunk", type=int, default=10, help="events batched together (default 10, as stored)")
    spikes_parser = sub.add_parser("spikes", help="a short run's gradient norms against their median")
    spikes_parser.add_argument("seed", type=int)
    spikes_parser.add_argument("steps", type=int)
    spikes_parser.add_argument("--form", choices=sorted(FORMS), default="mixed")
    climb_parser = sub.add_parser("climb", help="the first 1,000 steps' batch rates beside the library's step")
    climb_parser.add_argument("seeds", type=int, nargs="+")
    climb_parser.add_argument("--form", choices=sorted(FORMS), default="mixed")
    evaluate_parser = sub.add_parser("evaluate", help="kept models' GRL on the 200 events")
    evaluate_parser.add_argument("seeds", type=int, nargs="+")
    evaluate_parser.add_argument("--form", choices=sorted(FORMS), default="mixed")
    args = parser.parse_args()
    if args.command == "time":
        time_steps()
    elif args.command == "train":
        if args.seed < 11:
            parser.error(f"seed must be >= 11 (the training seeds of runs 1, 2, ...), got {args.seed}")
        train(args.seed, args.steps, args.form)
    elif args.command == "spikes":
        if args.seed < 11 or args.steps < 1:
            parser.error(f"need seed >= 11 and steps >= 1, got {args.seed}, {args.steps}")
        gradient_spikes(args.seed, args.steps, args.form)
    elif args.command == "climb":
        try:
            climb(args.seeds, args.form)
        except ValueError as exc:  # a run not trained, or not far enough
            parser.error(str(exc))
    elif args.command == "srl":
        if args.run < 1 or not 2 <= args.events <= SECOND_SETTING_EVENTS or args.chunk < 1:
            parser.error(f"need run >= 1, 2 <= events <= {SECOND_SETTING_EVENTS} (the paired comparison needs "
                         f"two events) and chunk >= 1, got {args.run}, {args.events}, {args.chunk}")
        srl(args.run, args.events, args.form, args.chunk)
    else:
        missing = [seed for seed in args.seeds if not checkpoint(seed, args.form).exists()]
        if missing:
            parser.error(f"no {args.form} run in {STUDY_DIR} for seed(s) {missing}: train them first")
        try:
            evaluate(args.seeds, args.form)
        except ValueError as exc:  # a run not trained to its last step
            parser.error(str(exc))


if __name__ == "__main__":
    main()

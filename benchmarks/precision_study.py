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
- ``srl RUN EVENTS [--form FORM] [--chunk N]``: SRL at the authors' 10,000 steps from the kept
  model of the stored float32 training run ``RUN`` (reading ``authors``), computed in that form
  on the first ``EVENTS`` events in chunks of ``N`` (default 10, as the stored results were
  computed), against the stored float32 SRL of that run on the same events; the GRL rows show
  what the form's inference alone moves.

Forms (:data:`FORMS`; the weights and the optimiser's state stay float32 and are cast once per
product; the loss is in float64, the library's except in ``float32-rewritten``):

- ``mixed`` (:class:`MixedHGSAGE`): bfloat16 for the aggregations, the projections and the power
  head's hidden product; float32 for the first layer's projection of the standardised gains (a
  bfloat16 input carries 8 bits of a standardised gain) and for the association head from the
  batch normalisation on (its softmax at temperature 0.001 of max-min normalised logits
  resolves differences that bfloat16 rounds away);
- ``float32-state``: the same with the first layer's states left in float32;
- ``whole``: every product in bfloat16;
- ``float32-rewritten`` (:class:`float32_rewrites.RewrittenHGSAGE`): float32 throughout, the
  power head collapsed to one product and each layer after its projections computed by numba
  kernels (the sampled means gathered, the own parts added, the ReLU applied in one pass), and
  the association head's batch normalisation and max-min normalised softmax as kernels too
  (``float32_heads.py``); its neighbour draws are listed from the adjacency's bit sets
  (``float32_draws.py``); its training loop and SRL also draw their events with
  :class:`float32_rewrites.EventSource`, log their decision rates with
  :func:`float32_rewrites.decision_rate` and compute the loss's rates with
  :func:`float32_heads.loss_terms` (:func:`drawn_as`);
- ``float32-reordered-loss``: the library's float32 step with only the loss's two rates
  computed by :func:`float32_heads.loss_terms` (the same float64 maths, summed in another
  order): the smallest rounding perturbation of the library's own step, to ask whether one
  seed's kept model survives it;
- ``float32-reordered-input``: the library's float32 step with only the standardised gains
  computed by :func:`float32_rewrites.standardised` (mean and deviation accumulated in float64:
  about 40% of the model's inputs differ from the library's by one float32 rounding), a
  perturbation at float32's last bits.

Run each command alone on the idle machine: the times are the point.
"""

from __future__ import annotations

import argparse
import time
from contextlib import AbstractContextManager, ExitStack, nullcontext
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
from hudnlib.gnn import authors, authors_training
from hudnlib.gnn.authors import (
    AuthorsHGSAGE, neighbourhoods, projection_params, standardised_gain, torch_seeded_generator,
)
from hudnlib.gnn.authors_training import AuthorsTrainConfig, kept_model, train_grl_authors
from hudnlib.gnn.sampling import sampled_weights
from hudnlib.scenarios.paper_a import RadioMap

import float32_heads
import float32_rewrites
from bench_gnn import product_floor, recorded_products

STUDY_DIR = Path(__file__).resolve().parents[1] / ".precision_study"
BASELINE = "JUAPCMWSER"


class MixedHGSAGE(AuthorsHGSAGE):
    """:class:`~hudnlib.gnn.authors.AuthorsHGSAGE` computed in mixed precision (the module
    docstring says which products run in bfloat16); the same parameters, draws and outputs'
    dtypes as the float32 model, so a checkpoint of one loads into the other. ``half`` is the
    products' precision (a test sets it to float32 to pin the maths to the library's forward);
    without ``islands`` the first layer's projection and the association head run in it too
    (the whole step in bfloat16, :class:`WholeBfloat16HGSAGE`)."""

    half = torch.bfloat16
    islands = True
    float32_first_state = False

    def forward(self, batch, rng=None, *, params=None, shared_draws=False, allowed=None):
        if self.mask_to_edges:
            raise ValueError("the mixed step is written for the reading 'authors' (no mask)")
        p = projection_params(self) if params is None else params
        allowed = neighbourhoods(batch.adj) if allowed is None else allowed
        if rng is None and batch.adj.device.type == "cpu":
            rng = torch_seeded_generator()
        weights = [sampled_weights(a, self.samples, rng, shared_draws).to(self.half) for _ in range(2) for a in allowed]
        h_ue = standardised_gain(batch.gain)
        h_bs = h_ue.transpose(-1, -2)
        for layer in range(2):
            w_bs_ue, w_bs_bs, w_ue_bs, w_ue_ue = weights[4 * layer:4 * layer + 4]
            proj_bs, proj_ue = p[f"proj_bs.{layer}"], p[f"proj_ue.{layer}"]
            if layer == 0 and self.islands:  # float32 product of the standardised gains
                y_bs, y_ue = h_bs @ proj_bs, h_ue @ proj_ue
                if not self.float32_first_state:  # rounded after it
                    y_bs, y_ue = y_bs.to(self.half), y_ue.to(self.half)
            else:
                y_bs, y_ue = h_bs.to(self.half) @ proj_bs.to(self.half), h_ue.to(self.half) @ proj_ue.to(self.half)
            s_bs1, s_bs2, n_bs2, to_ue = y_bs.chunk(4, -1)
            s_ue1, s_ue2, n_ue2, to_bs = y_ue.chunk(4, -1)
            to_bs, to_ue, n_bs2, n_ue2 = (v.to(self.half) for v in (to_bs, to_ue, n_bs2, n_ue2))
            h_bs = torch.relu(torch.cat([s_bs1 + w_bs_ue @ to_bs, s_bs2 + w_bs_bs @ n_bs2], -1))
            h_ue = torch.relu(torch.cat([s_ue1 + w_ue_bs @ to_ue, s_ue2 + w_ue_ue @ n_ue2], -1))
        hidden = (h_bs @ p["power_hidden"].mT.to(self.half)).float() + p["power_bias"][..., :, None]
        power = torch.sigmoid(hidden @ p["power_out"].mT).squeeze(-1).double() * batch.p_max
        head = torch.float32 if self.islands else self.half
        h_ue = h_ue.to(head)
        n_ue = h_ue.shape[-2]
        average = torch.full((1, 1, n_ue), 1.0 / n_ue, dtype=head)
        centred = h_ue - average @ h_ue
        h_ue = centred * torch.rsqrt(average @ (centred * centred) + 1e-5) * p["norm_scale"][..., None, :].to(head) \
            + p["norm_shift"][..., None, :].to(head)
        z = h_ue @ p["assoc_out"].mT.to(head)
        top, bottom = z.max(-1, keepdim=True).values, z.min(-1, keepdim=True).values
        normalised = (z - top) / (top - bottom).clamp(min=1e-12)
        return z, torch.softmax(normalised / self.temperature, -1), power


class WholeBfloat16HGSAGE(MixedHGSAGE):
    """The whole step in bfloat16 (no float32 islands); the loss stays float64."""

    islands = False


class Float32StateHGSAGE(MixedHGSAGE):
    """The mixed step with the first layer's states in float32: its self parts are not rounded,
    only the neighbours' projections entering the bfloat16 aggregation products."""

    float32_first_state = True


REWRITTEN = "float32-rewritten"
"""The form that also draws its events and logs its rates its own way (:func:`drawn_as`)."""

REORDERED_LOSS = "float32-reordered-loss"
"""The library's float32 step with only its loss's rates reordered (:func:`drawn_as`): a
perturbation of the library's own step at float64's last bits."""

REORDERED_INPUT = "float32-reordered-input"
"""The library's float32 step with only its standardised gains computed otherwise (:func:`drawn_as`):
a perturbation of the library's own step at float32's last bits, in its input."""

FORMS = {"mixed": MixedHGSAGE, "whole": WholeBfloat16HGSAGE, "float32-state": Float32StateHGSAGE,
         REWRITTEN: float32_rewrites.RewrittenHGSAGE, REORDERED_LOSS: AuthorsHGSAGE, REORDERED_INPUT: AuthorsHGSAGE}
"""The step's forms by name (``train --form``)."""

FLOAT32_FORMS = ("float32 (the library)", REWRITTEN)
"""The forms whose products ``time`` also replays alone (in float32, as they run; the rewritten
form's layers are numba kernels, not products)."""


def built_as(cls: type[MixedHGSAGE]) -> AbstractContextManager:
    """While entered, the library's training loop builds ``cls`` instead of its float32 model
    (it builds its models through ``authors_training._new_model``)."""
    return mock.patch.object(authors_training, "_new_model",
                             lambda config, n_ue, n_bs: cls(n_ue, n_bs, mask_to_edges=config.mask_to_edges))


def _kernel_standardised_gain(gain: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """:func:`hudnlib.gnn.authors.standardised_gain` computed by :func:`float32_rewrites.standardised`."""
    if dtype != torch.float32:
        raise TypeError(f"the kernel standardises in float32 only, got {dtype}")
    return float32_rewrites.standardised(gain)


def drawn_as(form: str, radio_map: RadioMap) -> AbstractContextManager:
    """While entered, the library's training loop and SRL draw their events, compute their
    decision rates and their loss as ``form`` does: :data:`REWRITTEN` with
    :class:`float32_rewrites.EventSource`, :func:`float32_rewrites.decision_rate` and
    :func:`float32_heads.loss_terms` (the same events, rates and loss), :data:`REORDERED_LOSS`
    with :func:`float32_heads.loss_terms` only (the loss's float64 rates summed in another
    order), :data:`REORDERED_INPUT` with the model's standardised gains from
    :func:`float32_rewrites.standardised` only, the other forms as the library."""
    if form == REORDERED_INPUT:
        return mock.patch.object(authors, "standardised_gain", _kernel_standardised_gain)
    if form not in (REWRITTEN, REORDERED_LOSS):
        return nullcontext()
    stack = ExitStack()
    stack.enter_context(mock.patch.object(authors_training, "authors_loss_terms", float32_heads.loss_terms))
    if form == REORDERED_LOSS:
        return stack
    source = float32_rewrites.EventSource(radio_map)
    stack.enter_context(mock.patch.object(authors_training, "event_batch",
                                          lambda _map, rng, size, p_max, noise: source.batch(rng, size, p_max, noise)))
    stack.enter_context(mock.patch.object(authors_training, "decision_rate", float32_rewrites.decision_rate))
    return stack


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
    for name, cls in {FLOAT32_FORMS[0]: AuthorsHGSAGE, **FORMS}.items():
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
        print(f"  {name:22s} {1e3 * fastest:6.1f} / {1e3 * median:6.1f} ms  (10,000 steps: {fastest * 1e4 / 60:.1f} "
              f"min{floor})")


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
    smooth = history["mean_rate"].rolling(50, min_periods=1).mean()
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
            smooth = pd.read_parquet(path.with_suffix(".history.parquet"))["mean_rate"].rolling(50, min_periods=1).mean()
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

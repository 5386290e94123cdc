"""The library's parallel work beside another process doing the same (``make bench``).

A notebook next to a Dask sweep is the normal case: two processes whose OpenMP threads
(numba's and torch's) share the cores. OpenMP's default lets a thread that waits at the end
of a parallel region spin on its core, so a descheduled partner makes every region wait a
time slice. ``import hudnlib`` therefore lets waiting threads spin only 1,000 polls before
they sleep (``GOMP_SPINCOUNT=1000``, unless the environment sets it or a wait policy);
never spinning (``OMP_WAIT_POLICY=PASSIVE``) also holds up beside other work but makes
small parallel regions pay a sleep and a wake each, 4x slower alone on paper B's drops.

Each case runs in fresh processes: alone, then beside a second process running pricing at
the same size in a loop; printed with the ratio (goal: within 2.5x of alone; fair sharing
of the cores alone gives 2x), under the library's default, under OpenMP's own (spin
300,000 polls, then sleep), never spinning (``PASSIVE``) and always spinning (``ACTIVE``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRICING = """
import time, numpy as np
from hudnlib import price_association
from hudnlib.experiments.paper_b.scaling import geometric_instance
_, _, _, se, alpha, _ = geometric_instance(10_000, 1_000)
price_association(se, alpha, n_iter=5)
def once():
    price_association(se, alpha, n_iter=100)
"""

GRL = """
import hudnlib  # first: torch's OpenMP runtime reads the wait settings when torch is imported
import time, numpy as np, torch
from hudnlib.experiments.paper_a_hgsage_authors import AuthorsGNNConfig, reading_setting
from hudnlib.gnn.authors import AuthorsHGSAGE, authors_loss_terms
from hudnlib.gnn.training import event_batch
radio_map, p_max, noise = reading_setting(AuthorsGNNConfig(samples=1))
model = AuthorsHGSAGE(radio_map.config.n_active, len(p_max))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
rng = np.random.default_rng(0)
def once():
    batch, labels = event_batch(radio_map, rng, 64, p_max, noise)
    z, x, power = model(batch, rng)
    loss = authors_loss_terms(z, x, power, batch.gain, labels)["loss"].sum()
    optimizer.zero_grad(); loss.backward(); optimizer.step()
once()
"""

TIMED = """
times = []
for _ in range({repeats}):
    t0 = time.perf_counter(); once(); times.append(time.perf_counter() - t0)
print(sorted(times)[len(times) // 2])
"""

LOAD = PRICING + "\nwhile True:\n    once()\n"


def _env(policy: str | None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OMP_WAIT_POLICY", None)
    env.pop("GOMP_SPINCOUNT", None)
    if policy is not None:  # "": set but empty, which OpenMP ignores (its own default) and hudnlib keeps
        env["OMP_WAIT_POLICY"] = policy
    return env


def median_time(setup: str, repeats: int, policy: str | None, beside: bool) -> float:
    """Median wall time of ``once()`` in a fresh process, alone or beside the load."""
    load = None
    if beside:
        load = subprocess.Popen([sys.executable, "-c", LOAD], env=_env(policy), cwd=ROOT, stderr=subprocess.DEVNULL)
        time.sleep(8.0)  # past its imports and first calls
    try:
        out = subprocess.run([sys.executable, "-c", setup + TIMED.format(repeats=repeats)], env=_env(policy),
                             cwd=ROOT, capture_output=True, text=True, check=True)
    finally:
        if load is not None:
            load.kill()
            load.wait()
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"Contention ({os.cpu_count()} cores): median of repeated runs, alone and beside a process "
          "pricing 10,000 x 1,000 in a loop")
    for label, setup, repeats in (("pricing 10,000 x 1,000, 100 iterations", PRICING, 9),
                                  ("GRL step of the authors' HGSAGE, batch 64", GRL, 7)):
        for policy, name in ((None, "library default (spin 1,000)"), ("", "OpenMP default (spin 300,000)"),
                             ("PASSIVE", "passive (no spin)"), ("ACTIVE", "active (spin)")):
            alone = median_time(setup, repeats, policy, beside=False)
            beside = median_time(setup, repeats, policy, beside=True)
            print(f"  {label:43s} {name:26s} alone {alone:7.3f} s  beside {beside:7.3f} s  "
                  f"({beside / alone:.1f}x; goal <= 2.5x)")


if __name__ == "__main__":
    main()

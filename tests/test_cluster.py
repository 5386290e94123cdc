"""A real Dask cluster on 127.0.0.1 (a scheduler and two worker processes) gives the same
frame as an in-process run."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from hudnlib.experiments import runner
from hudnlib.experiments.paper_b.static import StaticConfig

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
CONFIG = StaticConfig(samples=4, n_users=(30,), methods=("Ours", "Max-SINR", "Random"), n_iter=40)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_real_scheduler_and_two_workers_give_the_in_process_frame(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        time.sleep(2)
        procs += [subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard",
                                    "--name", f"w{k}"], env=env, cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for k in range(2)]
        from dask.distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        clustered, record = runner.run("paper_b_users_low", config=CONFIG, scheduler=address, chunk_size=1,
                                       progress=False, results_dir=tmp_path / "cluster")
        assert record["workers"] == 2 and record["scheduler"] == address
        inline, _ = runner.run("paper_b_users_low", config=CONFIG, n_workers=0, progress=False,
                               results_dir=tmp_path / "inline")
        pd.testing.assert_frame_equal(clustered.drop(columns="seconds"), inline.drop(columns="seconds"))
    finally:
        for p in procs[::-1]:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)

"""The result store against interruption, corruption, tampering and concurrent runs:
real ``python -m hudnlib`` processes, no mocks."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from hudnlib.experiments import runner
from hudnlib.experiments.paper_b_static import StaticConfig
from hudnlib.gnn.training import load_checkpoint
from hudnlib.storage import StoreError, file_digest

ROOT = Path(__file__).resolve().parents[1]
NAME = "paper_b_users_low"


def _cli(*args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(runner.SCHEDULER_ENV, None)
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.Popen([sys.executable, "-m", "hudnlib", *args], cwd=ROOT, env=env, text=True, **streams)


def _values(frame):
    return frame.drop(columns="seconds")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    frame, _ = runner.run(NAME, "quick", n_workers=0, progress=False, results_dir=out)
    return frame


def _chunks(folder):
    return sorted(folder.glob("*.partial-*/chunk-*.parquet"))


# Only a guard against a hung child, never a speed requirement: on a clean clone the child
# compiles every kernel (about 30 s on an idle 2-core machine, several times that while the
# other test worker is busy).
HANG_GUARD_S = 900


def _kill_sweep_after(folder, n_chunks):
    """Start ``python -m hudnlib run`` (one sample a chunk) and SIGKILL it once it has
    written ``n_chunks`` chunks. The child's output goes to files, so that it can never block
    on a full pipe, and is quoted if the child dies or hangs."""
    log = folder / "child.log"
    with open(log, "w") as out:
        proc = _cli("run", NAME, "--workers", "0", "--chunk-size", "1", "--results-dir", str(folder),
                    stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + HANG_GUARD_S
        while len(_chunks(folder)) < n_chunks and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not finished, f"the sweep ended before it could be interrupted:\n{log.read_text()[-3000:]}"
    assert len(_chunks(folder)) >= n_chunks, (
        f"the sweep wrote {len(_chunks(folder))} of {n_chunks} chunks in {HANG_GUARD_S} s:\n"
        f"{log.read_text()[-3000:]}")


def test_sigkill_mid_sweep_then_resume_gives_the_identical_frame(tmp_path, reference):
    _kill_sweep_after(tmp_path, 2)
    assert 2 <= len(_chunks(tmp_path)) < 8
    assert not (tmp_path / f"{NAME}-quick.parquet").exists()
    resumed = _cli("run", NAME, "--workers", "0", "--chunk-size", "1", "--results-dir", str(tmp_path))
    _, err = resumed.communicate()
    assert resumed.returncode == 0, err
    frame, _ = runner.load(NAME, "quick", results_dir=tmp_path)
    pd.testing.assert_frame_equal(_values(frame), _values(reference))


def test_truncated_chunk_is_recomputed(tmp_path, reference):
    _kill_sweep_after(tmp_path, 3)
    chunk = _chunks(tmp_path)[0]
    chunk.write_bytes(chunk.read_bytes()[:100])
    frame, _ = runner.run(NAME, "quick", n_workers=0, chunk_size=1, progress=False, results_dir=tmp_path)
    pd.testing.assert_frame_equal(_values(frame), _values(reference))


def _plant_in_first_chunk(folder, other_code):
    """Mark the first chunk of an interrupted sweep (haf = 1e9), optionally as other code's."""
    chunk = _chunks(folder)[0]
    planted = pd.read_parquet(chunk)
    planted["haf"] = 1e9
    planted.to_parquet(chunk, index=False)
    if other_code:
        config_file = chunk.parent / "config.json"
        config_file.write_text(config_file.read_text().replace('"module_hash": "', '"module_hash": "old'))


@pytest.mark.parametrize("other_code", [False, True])
def test_an_interrupted_recompute_resumes_its_chunks_but_never_mixes_in_other_codes(tmp_path, reference,
                                                                                  other_code, capsys):
    _kill_sweep_after(tmp_path, 3)
    _plant_in_first_chunk(tmp_path, other_code)
    frame, _ = runner.run(NAME, "quick", n_workers=0, chunk_size=1, progress=False, recompute=True,
                          results_dir=tmp_path)
    if other_code:  # dropped and recomputed
        assert "other code computed them" in capsys.readouterr().err
        pd.testing.assert_frame_equal(_values(frame), _values(reference))
    else:  # the same code's chunk is resumed as it is
        assert (frame["haf"] == 1e9).any()
        assert (frame["haf"] != 1e9).any()


@pytest.mark.parametrize("damage", ["truncate", "edit", "swap"])
def test_a_damaged_stored_frame_is_never_served(tmp_path, reference, damage, capsys):
    runner.run(NAME, "quick", n_workers=0, progress=False, results_dir=tmp_path)
    path = tmp_path / f"{NAME}-quick.parquet"
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:-200])
    elif damage == "edit":
        edited = pd.read_parquet(path)
        edited.loc[0, "haf"] = 1e9
        edited.to_parquet(path, index=False)
    else:
        other, _ = runner.run("paper_b_users_high", "quick", n_workers=0, progress=False, results_dir=tmp_path)
        path.write_bytes((tmp_path / "paper_b_users_high-quick.parquet").read_bytes())
    with pytest.raises(StoreError, match="does not match the hash"):
        runner.load(NAME, "quick", results_dir=tmp_path)
    frame, _ = runner.run(NAME, "quick", n_workers=0, progress=False, results_dir=tmp_path)
    assert "recomputing" in capsys.readouterr().err
    pd.testing.assert_frame_equal(_values(frame), _values(reference))


def test_two_configs_run_concurrently_keep_their_own_results(tmp_path):
    script = ("import sys; from hudnlib.experiments import runner; "
              "from hudnlib.experiments.paper_b_static import StaticConfig; "
              "c = StaticConfig(samples=6, n_users=(30,), methods=('Ours', 'Random'), n_iter=30, "
              "seed=int(sys.argv[1])); "
              f"runner.run('{NAME}', config=c, n_workers=0, chunk_size=1, progress=False, "
              f"results_dir=sys.argv[2])")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(seed), str(tmp_path)], cwd=ROOT, env=env,
                              stderr=subprocess.PIPE, text=True) for seed in (1, 2)]
    for p in procs:
        _, err = p.communicate()
        assert p.returncode == 0, err
    for seed in (1, 2):
        config = StaticConfig(samples=6, n_users=(30,), methods=("Ours", "Random"), n_iter=30, seed=seed)
        stored, record = runner.load(NAME, config=config, results_dir=tmp_path)
        alone, _ = runner.run(NAME, config=config, n_workers=0, progress=False, recompute=True,
                              results_dir=tmp_path / f"alone{seed}")
        assert record["config"]["seed"] == seed
        pd.testing.assert_frame_equal(_values(stored), _values(alone))


def test_write_failure_keeps_the_finished_chunks(tmp_path):
    (tmp_path / f"{NAME}-quick.parquet").mkdir()  # the final write cannot replace a folder
    with pytest.raises(StoreError, match="finished chunks are kept"):
        runner.run(NAME, "quick", n_workers=0, chunk_size=2, progress=False, results_dir=tmp_path)
    assert len(_chunks(tmp_path)) == 4


def _checkpoint(tmp_path, payload):
    path = tmp_path / "model.pt"
    torch.save(payload, path)
    path.with_suffix(".json").write_text(json.dumps({"files": {path.name: file_digest(path)}}))
    return path


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {Path(os.environ['EXPLOIT_FLAG'])}",))


def test_checkpoints_load_weights_only_and_refuse_tampering(tmp_path, monkeypatch):
    good = _checkpoint(tmp_path, {"model": {"w": torch.ones(2)}, "state": {"step": 3}})
    assert load_checkpoint(good)["state"]["step"] == 3
    good.write_bytes(good.read_bytes()[:-8] + b"\\0" * 8)
    with pytest.raises(StoreError, match="does not match"):
        load_checkpoint(good)
    flag = tmp_path / "ran"
    monkeypatch.setenv("EXPLOIT_FLAG", str(flag))
    crafted = _checkpoint(tmp_path, {"model": _Exploit()})
    with pytest.raises(StoreError, match="cannot be loaded safely"):
        load_checkpoint(crafted)
    assert not flag.exists()

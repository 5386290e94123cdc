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
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from hudnlib.experiments import runner
from hudnlib.experiments.paper_b.static import StaticConfig
from hudnlib.gnn.training import load_checkpoint
from hudnlib.storage import StoreError, atomic_path, file_digest, write_json

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
    table = pq.read_table(chunk)  # rewritten with its identity kept: the same code's chunk
    planted = table.to_pandas()
    planted["haf"] = 1e9
    pq.write_table(pa.Table.from_pandas(planted, preserve_index=False).replace_schema_metadata(table.schema.metadata),
                   chunk)
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
              "from hudnlib.experiments.paper_b.static import StaticConfig; "
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
    good.with_suffix(".json").unlink()
    with pytest.raises(StoreError, match=r"has no record: .*\.json is missing"):
        load_checkpoint(good)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_stored_files_follow_the_umask_like_any_other_file(tmp_path, umask):
    old = os.umask(umask)
    try:
        with atomic_path(tmp_path / "frame.parquet") as tmp:
            tmp.write_bytes(b"x")
        write_json(tmp_path / "record.json", {"a": 1})
        (tmp_path / "plain").write_bytes(b"x")
    finally:
        os.umask(old)
    expected = (tmp_path / "plain").stat().st_mode & 0o777
    assert expected == 0o666 & ~umask
    for name in ("frame.parquet", "record.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == expected


@pytest.mark.parametrize("then", [["--chunk-size", "2"], ["--chunk-size", "3"], ["--recompute"]])
def test_a_resume_with_another_chunk_size_neither_loses_nor_doubles_samples(tmp_path, reference, then):
    """Interrupted with one sample a chunk, resumed with another chunk size (or recomputed
    with the default): the stored frame holds every sample exactly once."""
    _kill_sweep_after(tmp_path, 2)
    resumed = _cli("run", NAME, "--workers", "0", "--results-dir", str(tmp_path), *then)
    _, err = resumed.communicate()
    assert resumed.returncode == 0, err
    assert "cut for another chunk size" in err
    frame, _ = runner.load(NAME, "quick", results_dir=tmp_path)
    pd.testing.assert_frame_equal(_values(frame), _values(reference))


def _identity_of(chunk):
    return json.loads(pq.read_table(chunk).schema.metadata[runner.CHUNK_KEY])


@pytest.mark.parametrize("forgery", ["empty folder", "other experiment", "other samples"])
def test_chunks_that_are_not_this_runs_own_are_dropped(tmp_path, reference, forgery, capsys):
    _kill_sweep_after(tmp_path, 3)
    first, second = _chunks(tmp_path)[:2]
    if forgery == "empty folder":
        second.unlink()
        second.mkdir()
    elif forgery == "other experiment":  # e.g. paper_b_static_high rows written as a users_low chunk
        table = pq.read_table(first)
        identity = {**_identity_of(first), "experiment": "paper_b_static_high"}
        pq.write_table(table.replace_schema_metadata(
            {**table.schema.metadata, runner.CHUNK_KEY: json.dumps(identity).encode()}), first)
    else:  # the first chunk's file (samples 0) under the second's name (sample 1)
        second.write_bytes(first.read_bytes())
    frame, _ = runner.run(NAME, "quick", n_workers=0, chunk_size=1, progress=False, results_dir=tmp_path)
    assert "note: dropping chunk" in capsys.readouterr().err
    pd.testing.assert_frame_equal(_values(frame), _values(reference))


def test_a_reader_is_never_fooled_by_a_concurrent_writer(tmp_path):
    """``load`` in a loop while another process recomputes the same result three times:
    every load gets a frame and the record that describes it."""
    runner.run(NAME, "quick", n_workers=0, progress=False, results_dir=tmp_path)
    log = tmp_path / "writer.log"
    script = "; ".join(["from hudnlib.experiments import runner"] + [
        f"runner.run({NAME!r}, 'quick', n_workers=0, recompute=True, progress=False, results_dir={str(tmp_path)!r})"
    ] * 3)
    with open(log, "w") as out:
        writer = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
        loads, deadline = 0, time.monotonic() + HANG_GUARD_S
        while writer.poll() is None and time.monotonic() < deadline:
            frame, record = runner.load(NAME, "quick", results_dir=tmp_path)  # raises if fooled
            assert record["files"][f"{NAME}-quick.parquet"] and len(frame) > 0
            loads += 1
        writer.wait()
    assert writer.returncode == 0, log.read_text()[-3000:]
    assert loads > 10


def test_a_folder_that_cannot_hold_lock_files_still_serves_a_valid_result(tmp_path, reference, monkeypatch):
    """As on a read-only results folder (where even root's tests cannot make chmod bite):
    every lock file fails to be created, and the valid stored result is served anyway."""
    runner.run(NAME, "quick", n_workers=0, progress=False, results_dir=tmp_path)

    def read_only(path, timeout=-1):
        raise PermissionError(13, "Permission denied", str(path) + ".lock")

    monkeypatch.setattr(runner, "lock", read_only)
    frame, _ = runner.run(NAME, "quick", n_workers=0, progress=False, results_dir=tmp_path)
    pd.testing.assert_frame_equal(_values(frame), _values(reference))
    with pytest.raises(StoreError, match="give a writable results folder"):
        runner.run(NAME, "quick", n_workers=0, progress=False, recompute=True, results_dir=tmp_path)


def test_records_that_are_not_records_are_reported_by_name(tmp_path):
    runner.run(NAME, "quick", n_workers=0, progress=False, results_dir=tmp_path)
    record = tmp_path / f"{NAME}-quick.json"
    for text in ("[]", json.dumps({**json.loads(record.read_text()), "files": None})):
        saved = record.read_text()
        record.write_text(text)
        with pytest.raises(StoreError, match=f"{NAME}-quick"):
            runner.load(NAME, "quick", results_dir=tmp_path)
        record.write_text(saved)

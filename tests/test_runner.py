"""The experiment runner: determinism across workers, resume, cache keys, CLI."""

import json

import pandas as pd
import pytest

from hudnlib import cli
from hudnlib.experiments import runner
from hudnlib.experiments.paper_b_static import StaticConfig
from hudnlib.experiments.provenance import describe
from hudnlib.experiments.registry import experiments, get_experiment
from hudnlib.experiments.store import load_provenance

TINY = StaticConfig(samples=4, n_users=(30,), methods=("Ours", "Max-SINR", "Random"), n_iter=40)


def results(frame):
    """Everything but the measured run times, which no seed can fix."""
    return frame.drop(columns="seconds")


def test_one_and_two_workers_give_identical_frames(tmp_path):
    one, _ = runner.run("paper_b_users_low", config=TINY, n_workers=1, chunk_size=1,
                        progress=False, results_dir=tmp_path / "one")
    two, record = runner.run("paper_b_users_low", config=TINY, n_workers=2, chunk_size=1,
                             progress=False, results_dir=tmp_path / "two")
    assert record["workers"] == 2
    pd.testing.assert_frame_equal(results(one), results(two))
    inline, _ = runner.run("paper_b_users_low", config=TINY, n_workers=0, chunk_size=3,
                           progress=False, results_dir=tmp_path / "inline")
    pd.testing.assert_frame_equal(results(one), results(inline))


def test_interrupted_sweep_resumes_from_finished_chunks(tmp_path, monkeypatch):
    reference, _ = runner.run("paper_b_users_low", config=TINY, n_workers=0, chunk_size=1,
                              progress=False, results_dir=tmp_path / "ref")
    real = runner._run_chunk
    calls = []

    def crashing(name, config, indices, inputs):
        calls.append(int(indices[0]))
        if len(calls) == 3:
            raise KeyboardInterrupt("simulated kill")
        return real(name, config, indices, inputs)

    monkeypatch.setattr(runner, "_run_chunk", crashing)
    with pytest.raises(KeyboardInterrupt):
        runner.run("paper_b_users_low", config=TINY, n_workers=0, chunk_size=1,
                   progress=False, results_dir=tmp_path / "run")
    partial = tmp_path / "run" / "paper_b_users_low-custom.partial"
    assert len(list(partial.glob("chunk-*.parquet"))) == 2
    calls.clear()
    monkeypatch.setattr(runner, "_run_chunk", lambda *a: (calls.append(int(a[2][0])), real(*a))[1])
    resumed, _ = runner.run("paper_b_users_low", config=TINY, n_workers=0, chunk_size=1,
                            progress=False, results_dir=tmp_path / "run")
    assert calls == [2, 3]
    pd.testing.assert_frame_equal(results(reference), results(resumed))
    assert not partial.exists()


def test_changed_config_is_never_served_a_stale_result(tmp_path):
    first, rec1 = runner.run("paper_b_users_low", config=TINY, n_workers=0, progress=False,
                             results_dir=tmp_path)
    again, rec2 = runner.run("paper_b_users_low", config=TINY, n_workers=0, progress=False,
                             results_dir=tmp_path)
    assert rec1["created_utc"] == rec2["created_utc"]  # served from the store
    changed_config = StaticConfig(**{**TINY.__dict__, "seed": TINY.seed + 1})
    changed, rec3 = runner.run("paper_b_users_low", config=changed_config, n_workers=0,
                               progress=False, results_dir=tmp_path)
    assert rec3["config_hash"] != rec1["config_hash"]
    assert rec3["config"]["seed"] == TINY.seed + 1
    assert not results(changed).equals(results(first))


def test_provenance_record_is_complete(tmp_path):
    _, record = runner.run("paper_b_users_low", config=TINY, n_workers=0, progress=False,
                           results_dir=tmp_path)
    stored = json.loads((tmp_path / "paper_b_users_low-custom.json").read_text())
    assert stored == json.loads(json.dumps(record, default=str))
    assert load_provenance("paper_b_users_low-custom", results_dir=tmp_path) == stored
    assert describe(stored).startswith("Scale: custom (4 samples, seed 1)")
    assert "NOTE" not in describe(stored)
    assert "NOTE" in describe({**stored, "source_hash": "0" * 16})
    assert {"config", "config_hash", "git_commit", "packages", "host", "wall_time_s",
            "created_utc", "workers", "produces"} <= stored.keys()
    assert stored["config"]["seed"] == TINY.seed
    assert stored["packages"]["numba"] != "not installed"


def test_cli_round_trip(tmp_path, capsys):
    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    for name in experiments():
        assert name in listed
    assert cli.main(["show", "paper_b_users_low", "--workers", "0",
                     "--results-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Ours" in out and "Max-SINR" in out
    assert (tmp_path / "paper_b_users_low-quick.parquet").exists()
    assert cli.main(["run", "no_such_experiment"]) == 2


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown experiment"):
        get_experiment("nope")
    with pytest.raises(ValueError, match="scale"):
        runner.run("paper_b_users_low", "huge")
    with pytest.raises(ValueError, match="methods"):
        StaticConfig(samples=1, methods=("Magic",))
    with pytest.raises(ValueError, match="chunk_size"):
        runner.run("paper_b_users_low", config=TINY, chunk_size=0)

"""The experiment runner: determinism across workers, resume, cache keys, CLI."""

import json
import sys

import pandas as pd
import pytest

from hudnlib import cli
from hudnlib.experiments import runner
from hudnlib.experiments.paper_b.static import StaticConfig
from hudnlib.experiments.catalogue import EXPERIMENT_MODULES, available_experiments, find_experiment
from hudnlib.experiments.registry import config_dict
from hudnlib.provenance import config_hash, describe, stale_reasons

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

    def crashing(name, config, indices, inputs, *rest):
        calls.append(int(indices[0]))
        if len(calls) == 3:
            raise KeyboardInterrupt("simulated kill")
        return real(name, config, indices, inputs, *rest)

    monkeypatch.setattr(runner, "_run_chunk", crashing)
    with pytest.raises(KeyboardInterrupt):
        runner.run("paper_b_users_low", config=TINY, n_workers=0, chunk_size=1,
                   progress=False, results_dir=tmp_path / "run")
    key = config_hash(config_dict(TINY))
    partial = tmp_path / "run" / f"paper_b_users_low-custom-{key}.partial-{key}"
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
    stored = json.loads((tmp_path / f"paper_b_users_low-custom-{record['config_hash']}.json").read_text())
    assert stored == json.loads(json.dumps(record, default=str))
    assert describe(stored).startswith("Scale: custom-")
    clean = {**stored, "git_commit": stored["git_commit"].removesuffix("-dirty")}
    assert "NOTE" not in describe(clean) and not stale_reasons(clean)
    assert "changed" in describe({**clean, "module_hash": "0" * 16})
    assert "-dirty" in describe({**clean, "git_commit": "abc-dirty"})
    assert {"config", "config_hash", "git_commit", "packages", "host", "wall_time_s", "module_hash",
            "created_utc", "workers", "produces", "files"} <= stored.keys()
    assert stored["config"]["seed"] == TINY.seed
    assert stored["packages"]["numba"] != "not installed"


def test_cli_round_trip(tmp_path, capsys):
    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    for name in available_experiments():
        assert name in listed
    assert cli.main(["show", "paper_b_users_low", "--results-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not computed yet" in err and "python -m hudnlib run paper_b_users_low" in err
    assert not list(tmp_path.glob("*.parquet"))  # show never computes
    assert cli.main(["run", "paper_b_users_low", "--workers", "0", "--results-dir", str(tmp_path)]) == 0
    assert cli.main(["show", "paper_b_users_low", "--results-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Ours" in out and "Max-SINR" in out
    assert cli.main(["run", "no_such_experiment"]) == 2


def test_cli_refuses_bad_arguments_in_one_line(tmp_path, capsys, monkeypatch):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "paper_b_users_low", "--workers", "-1"])
    assert exit_info.value.code == 2 and "must be >= 0" in capsys.readouterr().err
    # an explicit --workers 0 wins over the scheduler in the environment
    monkeypatch.setenv(runner.SCHEDULER_ENV, "tcp://127.0.0.1:1")
    assert cli.main(["run", "paper_b_users_low", "--workers", "0", "--results-dir", str(tmp_path)]) == 0
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert cli.main(["run", "paper_b_users_low", "--workers", "0", "--results-dir", str(blocked)]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error:") and "Traceback" not in err and "writable" in last


def test_chunks_of_another_torch_thread_count_are_never_mixed_in(tmp_path, monkeypatch, capsys):
    real = runner._run_chunk
    calls, kill = [], [True]

    def crashing(name, config, indices, inputs, *rest):
        calls.append((int(indices[0]), rest[-1]))
        if kill[0] and len(calls) == 3:
            raise KeyboardInterrupt("simulated kill")
        return real(name, config, indices, inputs, *rest)

    monkeypatch.setattr(runner, "_run_chunk", crashing)
    with pytest.raises(KeyboardInterrupt):
        runner.run("paper_b_users_low", config=TINY, n_workers=0, chunk_size=1, progress=False, results_dir=tmp_path)
    calls.clear()
    kill[0] = False
    frame, record = runner.run("paper_b_users_low", config=TINY, n_workers=0, chunk_size=1, progress=False,
                               results_dir=tmp_path, torch_threads=2)
    assert calls == [(k, 2) for k in range(TINY.samples)]  # the two chunks of 1 thread were dropped
    assert "another torch thread count" in capsys.readouterr().err
    assert record["torch_threads"] == 2
    with pytest.raises(ValueError, match="torch_threads must be an integer >= 1"):
        runner.run("paper_b_users_low", config=TINY, n_workers=0, results_dir=tmp_path, torch_threads=0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown experiment"):
        find_experiment("nope")
    with pytest.raises(ValueError, match="scale"):
        runner.run("paper_b_users_low", "huge")
    with pytest.raises(ValueError, match="methods"):
        StaticConfig(samples=1, methods=("Magic",))
    with pytest.raises(ValueError, match="chunk_size"):
        runner.run("paper_b_users_low", config=TINY, chunk_size=0)
    with pytest.raises(ValueError, match="n_workers"):
        runner.run("paper_b_users_low", config=TINY, n_workers=-1)
    with pytest.raises(ValueError, match="config must be a BaselineConfig"):
        runner.run("paper_a_baselines", config=TINY)


def _raising(exc):
    def run(*args, **kwargs):
        raise exc
    return run


def _kernel_interrupted():
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as cause:
        raise SystemError("<built-in function kernel> returned a result with an exception set") from cause


@pytest.mark.parametrize("failure, status, says", [
    (KeyboardInterrupt(), 130, "interrupted: finished chunks are kept"),
    ("kernel", 130, "interrupted: finished chunks are kept"),
    (RuntimeError("boom"), 1, "error: RuntimeError: boom"),
])
def test_cli_exit_statuses_for_interrupts_and_unexpected_errors(monkeypatch, capsys, failure, status, says):
    def run(*args, **kwargs):
        if failure == "kernel":
            _kernel_interrupted()
        raise failure
    monkeypatch.setattr(cli, "run", run)
    assert cli.main(["run", "paper_b_users_low", "--workers", "0"]) == status
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_cli_warns_of_more_workers_than_cores_and_refuses_scheduler_with_workers(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 2)
    assert cli.main(["run", "paper_b_users_low", "--workers", "0", "--results-dir", str(tmp_path)]) == 0
    assert "share the cores" not in capsys.readouterr().err
    monkeypatch.setattr(cli, "run", _raising(ValueError("stop here")))
    assert cli.main(["run", "paper_b_users_low", "--workers", "8"]) == 2
    assert "--workers 8 on 2 cores" in capsys.readouterr().err
    assert cli.main(["run", "paper_b_users_low", "--workers", "1", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "either --scheduler or --workers" in capsys.readouterr().err


def test_a_sweep_without_dask_says_to_run_in_process(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if not installed
    with pytest.raises(ValueError, match="--workers 0"):
        runner.run("paper_b_users_low", "quick", n_workers=1, progress=False, results_dir=tmp_path)


@pytest.mark.parametrize("given, expected", [
    ({}, "1000 unset"), ({"OMP_WAIT_POLICY": "ACTIVE"}, "unset ACTIVE"),
    ({"GOMP_SPINCOUNT": "50"}, "50 unset"), ({"OMP_WAIT_POLICY": "PASSIVE"}, "unset PASSIVE")])
def test_importing_hudnlib_shortens_openmp_spinning_unless_told_otherwise(given, expected):
    """Waiting threads spin 1,000 polls, then sleep (robust beside other work, cheap for
    small parallel regions alone); an explicit spin count or wait policy is kept."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")} | given
    code = ("import os, hudnlib; print(os.environ.get('GOMP_SPINCOUNT', 'unset'), "
            "os.environ.get('OMP_WAIT_POLICY', 'unset'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


_WITHOUT_TORCH = """
import sys
class _NoTorch:  # `import torch` fails as if the optional gnn extra were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "torch_geometric"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, _NoTorch())
from hudnlib.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("args, status, says", [
    (["list"], 0, "paper_b_static_low"),
    (["show", "paper_b_static_low"], 0, "HAF@g1"),
    (["show", "paper_a_gnn"], 2, "for want of torch"),
])
def test_cli_works_without_the_optional_torch(args, status, says):
    """Without torch the CLI lists and serves every other experiment, and asking for one that
    needs torch names the missing package and the extra that installs it."""
    import subprocess

    out = subprocess.run([sys.executable, "-c", _WITHOUT_TORCH, *args], capture_output=True, text=True)
    assert out.returncode == status, out.stderr[-500:]
    text = out.stdout + out.stderr
    assert says in text and "Traceback" not in text
    if args == ["list"]:
        assert "paper_a_gnn" not in out.stdout.split("not available here")[0]
        assert "need torch (pip install -e '.[gnn]')" in out.stdout
    if status:
        assert "pip install -e '.[gnn]'" in out.stderr


def test_the_catalogue_lists_every_module_that_registers_an_experiment():
    """A module that calls ``register`` but is missing from the catalogue's list would be
    invisible to the CLI and the workers; a listed module must register something."""
    import ast
    from pathlib import Path

    from hudnlib.experiments import catalogue, registry

    root = Path(catalogue.__file__).parent
    registering = set()
    for path in root.rglob("*.py"):
        calls = [node for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "register"]
        if calls:
            parts = path.relative_to(root.parent.parent).with_suffix("").parts
            registering.add(".".join(parts))
    assert registering == set(EXPERIMENT_MODULES)
    found = available_experiments()
    assert not catalogue.UNAVAILABLE and found == registry._REGISTRY
    assert {"beyond_exact", "paper_b_alpha_family", "paper_a_gnn"} <= set(found)
    with pytest.raises(ValueError, match="unknown experiment 'nope'; known: "):
        find_experiment("nope")


def test_a_torch_experiment_is_the_same_in_process_and_in_a_worker(tmp_path):
    """torch runs one thread in a chunk run in this process, as in a Dask worker: the HGSAGE
    frame is bit-identical (it differed by ~6e-6 when torch used every core in process)."""
    config = find_experiment("paper_a_gnn").scales["quick"]
    inline, _ = runner.run("paper_a_gnn", config=config, n_workers=0, chunk_size=2, progress=False,
                           results_dir=tmp_path / "inline")
    worker, _ = runner.run("paper_a_gnn", config=config, n_workers=1, chunk_size=2, progress=False,
                           results_dir=tmp_path / "worker")
    pd.testing.assert_frame_equal(results(inline), results(worker), check_exact=True)


def test_a_recompute_that_changes_no_value_writes_nothing_new(tmp_path, monkeypatch):
    """Recomputing the same values by the same code keeps the frame file and its record byte
    for byte; new values are written; new code with the same values rewrites the record
    only, keeping the frame file (and the timings in it)."""
    import hashlib

    def digest(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()

    kwargs = dict(config=TINY, n_workers=0, chunk_size=2, progress=False, results_dir=tmp_path)
    monkeypatch.setattr(runner, "stale_reasons", lambda record: [])  # as from a clean checkout
    first, record = runner.run("paper_b_users_low", **kwargs)
    stem = tmp_path / f"paper_b_users_low-custom-{record['config_hash']}"
    frame_path, record_path = stem.with_suffix(".parquet"), stem.with_suffix(".json")
    before = digest(frame_path), digest(record_path)
    again, _ = runner.run("paper_b_users_low", recompute=True, **kwargs)
    assert (digest(frame_path), digest(record_path)) == before
    pd.testing.assert_frame_equal(again, first)  # served with the stored timings

    monkeypatch.setattr(runner, "stale_reasons", lambda record: ["the code changed"])
    runner.run("paper_b_users_low", recompute=True, **kwargs)
    assert digest(frame_path) == before[0] and digest(record_path) != before[1]
    assert json.loads(record_path.read_text())["values_unchanged_since"] == record["git_commit"]

    experiment = find_experiment("paper_b_users_low")
    shifted = lambda config, indices, inputs: experiment.run_samples(config, indices, inputs).assign(  # noqa: E731
        haf=lambda f: f["haf"] + 1.0)
    monkeypatch.setattr(runner, "find_experiment", lambda name: type(experiment)(
        **{**experiment.__dict__, "run_samples": shifted}))
    changed, _ = runner.run("paper_b_users_low", recompute=True, **kwargs)
    assert digest(frame_path) != before[0]
    assert (changed["haf"] == first["haf"] + 1.0).all()

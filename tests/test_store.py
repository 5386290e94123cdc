import pandas as pd

from hudnlib.experiments.provenance import config_hash
from hudnlib.experiments.store import load_or_compute, load_provenance


def test_store_serves_matching_config_and_recomputes_changed_one(tmp_path):
    calls = []

    def compute(config):
        calls.append(config["seed"])
        return pd.DataFrame({"seed": [config["seed"]], "value": [config["seed"] * 2.0]})

    first, record = load_or_compute("exp", {"seed": 1}, compute, results_dir=tmp_path)
    again, _ = load_or_compute("exp", {"seed": 1}, compute, results_dir=tmp_path)
    changed, _ = load_or_compute("exp", {"seed": 2}, compute, results_dir=tmp_path)
    assert calls == [1, 2]
    pd.testing.assert_frame_equal(first, again)
    assert changed["value"].iloc[0] == 4.0
    assert record["config_hash"] == config_hash({"seed": 1})
    stored = load_provenance("exp", results_dir=tmp_path)
    assert stored["config"] == {"seed": 2}
    assert {"git_commit", "packages", "wall_time_s", "host"} <= stored.keys()
    assert stored["packages"]["numba"] != "not installed"


def test_config_hash_ignores_key_order():
    assert config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})

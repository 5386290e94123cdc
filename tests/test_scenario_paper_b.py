import numpy as np
import pytest

from hudnlib.scenarios.paper_b import (
    HIGH_FAIRNESS,
    LOW_FAIRNESS,
    HetNetConfig,
    draw_alphas,
    draw_topology,
    sionna_gains,
)


def test_topology_respects_the_layout():
    config = HetNetConfig(n_users=60)
    for seed in range(20):
        topo = draw_topology(config, np.random.default_rng(seed))
        assert topo.bs_xyz.shape == (6, 3) and topo.ut_xyz.shape == (60, 3)
        assert np.all(np.hypot(topo.ut_xyz[:, 0], topo.ut_xyz[:, 1]) <= config.cell_radius_m)
        d = np.hypot(*(topo.ut_xyz[:, None, :2] - topo.bs_xyz[None, :, :2]).transpose(2, 0, 1))
        assert d.min() >= config.min_ue_distance_m
        assert 33 <= topo.power_dbm[0] <= 36 and np.all((23 <= topo.power_dbm[1:]) & (topo.power_dbm[1:] <= 30))
        assert topo.bs_xyz[0, 2] == 25.0 and np.all(topo.bs_xyz[1:, 2] == 10.0)


def test_topology_is_reproducible_by_seed():
    config = HetNetConfig(n_users=10)
    a = draw_topology(config, np.random.default_rng(3))
    b = draw_topology(config, np.random.default_rng(3))
    np.testing.assert_array_equal(a.ut_xyz, b.ut_xyz)
    np.testing.assert_array_equal(a.power_dbm, b.power_dbm)


def test_alpha_groups_follow_the_ratio():
    rng = np.random.default_rng(0)
    for ratio in (LOW_FAIRNESS, HIGH_FAIRNESS):
        alpha, group = draw_alphas(rng, 20_000, ratio)
        share = np.bincount(group, minlength=4) / group.size
        np.testing.assert_allclose(share, np.array(ratio) / sum(ratio), atol=0.015)
        for g, (lo, hi) in enumerate([(0.01, 0.5), (0.5, 1.5), (1.5, 2.5), (2.5, 5.0)]):
            assert np.all((alpha[group == g] >= lo) & (alpha[group == g] <= hi))
    with pytest.raises(ValueError, match="ratio"):
        draw_alphas(rng, 5, (1, 2, 3))


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="n_users"):
        HetNetConfig(n_users=0)
    with pytest.raises(ValueError, match="indoor_probability"):
        HetNetConfig(indoor_probability=1.5)


def test_indoor_fraction_follows_the_config():
    config = HetNetConfig(n_users=60)
    rng = np.random.default_rng(4)
    indoor = np.concatenate([draw_topology(config, rng).indoor for _ in range(100)])
    assert indoor.mean() == pytest.approx(0.5, abs=0.02)


def test_sionna_gains_are_sane_and_reproducible():
    config = HetNetConfig(n_users=30)
    rng = np.random.default_rng(1)
    topologies = [draw_topology(config, rng) for _ in range(8)]
    gains = sionna_gains(config, topologies, seed=5)
    assert gains.shape == (8, 30, 6)
    loss_db = -10 * np.log10(gains)
    np.testing.assert_array_equal(gains, sionna_gains(config, topologies, seed=5))
    # per model, against TR 38.901 at 3.5 GHz: LoS floor at 10 m is ~60 dB (UMi) / ~54 dB
    # (UMa, 25 m high); 260 m NLoS + O2I + shadowing stays below ~190 dB
    uma, umi = loss_db[:, :, 0], loss_db[:, :, 1:]
    for part in (uma, umi):
        assert 45 < part.min() and part.max() < 200
    # a median user hears the 25 m, 33-36 dBm macro BS better than a typical small BS
    assert np.median(uma) < np.median(umi) + 10
    # indoor users lose on average more than outdoor ones (O2I penetration)
    indoor = np.stack([t.indoor for t in topologies])
    assert loss_db[indoor].mean() > loss_db[~indoor].mean() + 5


@pytest.mark.parametrize("record, message", [(None, "no provenance record"), ("{not json", "not a JSON record"),
                                             ("[]", "not a provenance record")])
def test_a_channel_set_with_a_missing_or_broken_record_names_the_file_and_the_cure(tmp_path, record, message):
    from hudnlib.scenarios.channel_sets import load_channel_set
    from hudnlib.storage import StoreError

    import hudnlib.scenarios.channel_sets as channel_sets

    config = HetNetConfig(n_users=4)
    # the file the loader expects for this (config, seed), written without a valid record
    key = {"scenario": config.as_dict(), "seed": 5, "chunk": channel_sets.CHUNK,
           "gain": "10^(-pathloss/10) * sf from sionna UMa/UMi sample_lsp"}
    path = tmp_path / f"paper_b_{channel_sets.config_hash(key)}.npz"
    np.savez_compressed(path, gain=np.ones((1, 4, 6)), power_dbm=np.ones((1, 6)), indoor=np.zeros((1, 4), bool))
    if record is not None:
        path.with_suffix(".json").write_text(record)
    with pytest.raises(StoreError, match=message) as info:
        load_channel_set(config, 1, 5, directory=tmp_path, progress=False)
    assert path.name in str(info.value) and "regenerates" in str(info.value)

from dataclasses import replace

import numpy as np
import pytest

from hudnlib.geometry import line_of_sight, ray_hits_box, segment_hits_box
from hudnlib.scenarios.paper_a import HUDNConfig, build_radio_map, draw_event, loss_at, path_loss_db


def _sampled_hit(p, q, lo, hi, n=20001):
    """Brute force: does any of n points along the segment fall inside the box?"""
    t = np.linspace(0.0, 1.0, n)[:, None]
    pts = p + t * (q - p)
    return bool(np.any(np.all((pts >= lo) & (pts <= hi), axis=1)))


def test_segment_box_matches_sampled_reference():
    rng = np.random.default_rng(0)
    agree = 0
    for _ in range(400):
        lo = rng.uniform(0, 10, 3)
        hi = lo + rng.uniform(0.5, 5, 3)
        p, q = rng.uniform(-2, 17, 3), rng.uniform(-2, 17, 3)
        exact = segment_hits_box(p, q, lo, hi)
        sampled = _sampled_hit(p, q, lo, hi)
        # sampling can only miss a hit (a corner graze shorter than the sample step)
        assert exact or not sampled
        agree += exact == sampled
    assert agree >= 395


def test_segment_box_symmetry_and_axis_cases():
    lo, hi = np.zeros(3), np.ones(3)
    assert segment_hits_box(np.array([-1.0, 0.5, 0.5]), np.array([2.0, 0.5, 0.5]), lo, hi)
    assert not segment_hits_box(np.array([-1.0, 1.5, 0.5]), np.array([2.0, 1.5, 0.5]), lo, hi)
    assert not segment_hits_box(np.array([-2.0, 0.5, 0.5]), np.array([-1.0, 0.5, 0.5]), lo, hi)  # stops short
    rng = np.random.default_rng(1)
    for _ in range(100):
        p, q = rng.uniform(-1, 2, 3), rng.uniform(-1, 2, 3)
        assert segment_hits_box(p, q, lo, hi) == segment_hits_box(q, p, lo, hi)


def test_line_of_sight_ignores_own_building_and_rejects_bad_boxes():
    lo, hi = np.array([[0.0, 0.0, 0.0]]), np.array([[10.0, 10.0, 30.0]])
    roof_bs = np.array([[5.0, 5.0, 30.0]])
    ue = np.array([[20.0, 5.0, 0.0]])
    assert not line_of_sight(roof_bs, ue, lo, hi)[0, 0]
    assert line_of_sight(roof_bs, ue, lo, hi, bs_box=np.array([0]))[0, 0]
    with pytest.raises(ValueError, match="box_hi"):
        line_of_sight(roof_bs, ue, hi, lo)
    with pytest.raises(ValueError, match="ue_xyz"):
        line_of_sight(roof_bs, np.array([[np.nan, 0.0, 0.0]]), lo, hi)


def test_path_loss_by_hand():
    # authors' code: D + 20 theta log10(d_m)
    assert path_loss_db(np.array([100.0]), np.array([True]))[0] == pytest.approx(10.38 + 41.8 * 2)
    assert path_loss_db(np.array([10.0]), np.array([False]))[0] == pytest.approx(14.54 + 75.0)
    # 3GPP TR 36.828: 103.8 + 20.9 log10(d_km), 145.4 + 37.5 log10(d_km)
    assert path_loss_db(np.array([100.0]), np.array([True]), "3gpp")[0] == pytest.approx(103.8 - 20.9)
    assert path_loss_db(np.array([1000.0]), np.array([False]), "3gpp")[0] == pytest.approx(145.4)
    d = np.linspace(2, 300, 50)
    for model in ("authors", "3gpp"):
        for los in (True, False):
            assert np.all(np.diff(path_loss_db(d, np.full(50, los), model)) > 0)
    with pytest.raises(ValueError, match="model"):
        path_loss_db(d, d > 0, "free-space")
    with pytest.raises(ValueError, match="distance_m"):
        path_loss_db(np.array([0.0]), np.array([True]))


@pytest.fixture(scope="module")
def radio_map():
    return build_radio_map(HUDNConfig(grid_step_m=4.0), np.random.default_rng(3))


def test_radio_map_layout(radio_map):
    cfg = radio_map.config
    assert radio_map.bs_xyz.shape == (105, 3) and radio_map.box_lo.shape == (20, 3)
    np.testing.assert_allclose(radio_map.bs_xyz[0, :2], [100, 100])
    d2 = np.sum((radio_map.bs_xyz[:, None, :2] - radio_map.bs_xyz[None, :, :2]) ** 2, axis=-1)
    assert np.min(d2[np.triu_indices(105, 1)]) > cfg.min_bs_distance_sq_m2
    assert set(np.unique(radio_map.bs_xyz[5:, 2])) <= {8.0, 30.0}
    assert radio_map.loss_db.shape == (len(radio_map.ue_xyz), 105)
    # NLoS loses more than LoS at the same distance in the authors' model
    assert radio_map.los.any() and (~radio_map.los).any()


def test_loss_at_agrees_with_the_map_and_checks_positions(radio_map):
    idx = np.arange(0, len(radio_map.ue_xyz), 97)
    np.testing.assert_allclose(loss_at(radio_map, radio_map.ue_xyz[idx]), radio_map.loss_db[idx])
    with pytest.raises(ValueError, match="outside"):
        loss_at(radio_map, np.array([[250.0, 10.0, 0.0]]))
    with pytest.raises(ValueError, match="negative height"):
        loss_at(radio_map, np.array([[10.0, 10.0, -1.0]]))
    inside = radio_map.box_lo[0] + np.array([1.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="inside a building"):
        loss_at(radio_map, inside[None])


def test_events_draw_eligible_ues_reproducibly(radio_map):
    a = draw_event(radio_map, np.random.default_rng(9))
    b = draw_event(radio_map, np.random.default_rng(9))
    np.testing.assert_array_equal(a.ue_index, b.ue_index)
    assert a.gain.shape == (120, 105) and len(np.unique(a.ue_index)) == 120
    assert np.all(a.detectable.sum(axis=1) >= 2)
    with pytest.raises(ValueError, match="n_active"):
        draw_event(radio_map, np.random.default_rng(0), n_active=10**7)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="heights"):
        HUDNConfig(small_height_m=-1.0)
    with pytest.raises(ValueError, match="path_loss_model"):
        HUDNConfig(path_loss_model="x")


def test_first_hit_rule_exempts_the_own_building_only_when_it_comes_first():
    # A rooftop BS on building 0; building 1 stands between it and the UE.
    lo = np.array([[0.0, 0.0, 0.0], [30.0, 0.0, 0.0]])
    hi = np.array([[10.0, 10.0, 30.0], [40.0, 10.0, 30.0]])
    bs, ue = np.array([[5.0, 5.0, 30.0]]), np.array([[60.0, 5.0, 0.0]])
    assert not line_of_sight(bs, ue, lo, hi, bs_box=np.array([0]))[0, 0]
    assert line_of_sight(bs, ue, lo, hi, bs_box=np.array([0]), first_hit=True)[0, 0]
    # own building second in the list: the blocking one is met first
    assert not line_of_sight(bs, ue, lo[::-1], hi[::-1], bs_box=np.array([1]), first_hit=True)[0, 0]
    with pytest.raises(ValueError, match="bs_box"):
        line_of_sight(bs, ue, lo, hi, bs_box=np.array([2]))


def test_first_hit_rule_only_turns_exact_nlos_into_los():
    small = HUDNConfig(side_m=100.0, n_small=12, n_buildings=8, grid_step_m=4.0, n_active=10)
    exact = build_radio_map(replace(small, bs_heights="authors"), np.random.default_rng(3))
    first = build_radio_map(replace(small, bs_heights="authors", los_rule="first_hit"),
                            np.random.default_rng(3))
    np.testing.assert_array_equal(exact.bs_xyz, first.bs_xyz)
    assert np.all(first.los | ~exact.los)  # every exact-LoS pair stays LoS


def _slab_interval(p, q, lo, hi):
    """Plain-Python slab test on the segment p -> q: the overlap [t0, t1] (None: no overlap)."""
    t0, t1 = 0.0, 1.0
    for k in range(3):
        d = q[k] - p[k]
        if d == 0.0:
            if not lo[k] <= p[k] <= hi[k]:
                return None
        else:
            a, b = sorted(((lo[k] - p[k]) / d, (hi[k] - p[k]) / d))
            t0, t1 = max(t0, a), min(t1, b)
            if t0 > t1:
                return None
    return t0, t1


def test_the_authors_ray_test_differs_from_the_segment_only_on_zero_length_touches():
    rng = np.random.default_rng(0)
    touches = differs = 0
    for lattice in (False, True):  # random positions, then the map's 10 m lattice
        for _ in range(3000):
            draw = (lambda n: rng.integers(0, 11, n) * 10.0) if lattice else (lambda n: rng.uniform(0, 100, n))
            bs = np.r_[draw(2), rng.choice([8.0, 30.0])]
            ue = np.r_[draw(2), 0.0]
            corner = draw(2)
            lo, hi = np.r_[corner, 0.0], np.r_[corner + 10.0, 30.0]
            segment, ray = segment_hits_box(bs, ue, lo, hi), ray_hits_box(bs, ue, lo, hi)
            interval = _slab_interval(bs, ue, lo, hi)
            assert segment == (interval is not None)
            if interval is not None and interval[0] == interval[1]:
                touches += 1
            if segment != ray:
                differs += 1
                assert lattice and segment and interval[1] - interval[0] < 1e-9  # a touch the ray rounds away
    assert touches > differs > 0


def test_authors_heights_are_the_random_sites_shifted_by_five():
    small = HUDNConfig(side_m=100.0, n_small=12, n_buildings=8, grid_step_m=4.0, n_active=10)
    table = build_radio_map(small, np.random.default_rng(4))
    authors = build_radio_map(replace(small, bs_heights="authors"), np.random.default_rng(4))
    np.testing.assert_array_equal(authors.bs_xyz[:, :2], table.bs_xyz[:, :2])  # same positions
    assert np.all(table.bs_xyz[:5, 2] == small.macro_height_m)
    assert set(authors.bs_xyz[:, 2]) <= {small.small_height_m, small.building_height_m}
    # small BS k carries the height of site k + 5: the table heights shifted by five
    np.testing.assert_array_equal(authors.bs_xyz[5:-5, 2], table.bs_xyz[10:, 2])
    with pytest.raises(ValueError, match="bs_heights"):
        HUDNConfig(bs_heights="tall")

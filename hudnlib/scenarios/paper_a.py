"""Paper A's heterogeneous ultra-dense network: buildings, BSs, and the radio map.

What the paper states: a 200 m x 200 m urban area, 20 buildings of 20 x 20 x 30 m, 5 macro
BSs evenly deployed, 100 small BSs at random (on the roof when inside a building), UEs on a
grid, Ka = 120 active per event, LoS/NLoS large-scale path loss (eq. 16) with
``D_L, D_NL = 10.38, 14.54`` and ``theta_L, theta_NL = 2.09, 3.75``, powers 50 / 20 dBm,
20 MHz. From the authors' public code (the book's appendix on paper A): macro BSs at the
centre and at (L/4, L/4), (3L/4, L/4), (L/4, 3L/4), (3L/4, 3L/4); building corners on a
lattice of step L/20, distinct in x and in y; small BSs more than ~9.9 m (squared distance
> 98 m^2) from every BS placed before, at 30 m on a roof or 8 m elsewhere; UEs at height 0
on a 1 m grid outside the buildings; path loss ``D + 20 theta log10(d_m)``; a UE-BS pair is
an edge of the graph (a BS "detects" the UE) when its path loss is below 100 dB; events
draw UEs detectable by at least two BSs. Our choices: macro BSs at 25 m; noise
-174 dBm/Hz over 20 MHz; an exact segment-box test decides LoS. The authors' BS heights
(macros and a third of the small BSs take another BS's height) and their LoS rule (the
first building in list order decides) are options: ``bs_heights="authors"``,
``los_rule="first_hit"``.

The radio map (every BS to every candidate position) is computed once per circumstance;
every event reads its UEs' rows from it: the paper's "statistical channel information".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from hudnlib.geometry import line_of_sight
from hudnlib.radio import dbm_to_w, sinr_matrix

__all__ = [
    "HUDNConfig",
    "RadioMap",
    "path_loss_db",
    "build_radio_map",
    "loss_at",
    "best_server_sinr_db",
    "draw_event",
    "Event",
]

PATH_LOSS_CONSTANTS = {"los": (10.38, 2.09), "nlos": (14.54, 3.75)}
"""(D, theta) of eq. (16) per state (Table I of paper A)."""

PATH_LOSS_MODELS = ("authors", "3gpp")
"""How the constants are read: the authors' code, or 3GPP TR 36.828 (see path_loss_db)."""

BS_HEIGHTS = ("table", "authors")
"""BS heights: macros at ``macro_height_m``, small BSs at 30 m on a roof else 8 m ("table");
or as the authors' code assigns them ("authors", see :func:`build_radio_map`)."""

LOS_RULES = ("exact", "first_hit")
"""LoS test: exact segment-box ("exact") or the authors' first-building rule
(:func:`hudnlib.geometry.line_of_sight` with ``first_hit=True``)."""


def path_loss_db(distance_m: np.ndarray, los: np.ndarray, model: str = "authors") -> np.ndarray:
    """Large-scale path loss of eq. (16) of paper A, in dB.

    ``model="authors"``: ``D + 20 theta log10(d)``, ``d`` in m (the authors' code).
    ``model="3gpp"``: ``10 D + 10 theta log10(d / 1000)`` (TR 36.828 picocell, from which
    the constants come; gain ``10^(-D) d_km^(-theta)``).

    Parameters
    ----------
    distance_m : ndarray
        3-D distances, > 0.
    los : ndarray of bool
        Same shape: LoS state.
    model : {"authors", "3gpp"}
    """
    if model not in PATH_LOSS_MODELS:
        raise ValueError(f"model must be one of {sorted(PATH_LOSS_MODELS)}, got {model!r}")
    distance_m = np.asarray(distance_m, dtype=float)
    if np.any(~np.isfinite(distance_m)) or np.any(distance_m <= 0):
        raise ValueError("distance_m must be finite and > 0")
    (d_l, t_l), (d_n, t_n) = PATH_LOSS_CONSTANTS["los"], PATH_LOSS_CONSTANTS["nlos"]
    big_d = np.where(los, d_l, d_n)
    theta = np.where(los, t_l, t_n)
    if model == "authors":
        return big_d + 20.0 * theta * np.log10(distance_m)
    return 10.0 * big_d + 10.0 * theta * np.log10(distance_m / 1000.0)


@dataclass(frozen=True)
class HUDNConfig:
    """Parameters of paper A's circumstance; see the module docstring for their sources."""

    side_m: float = 200.0
    n_small: int = 100
    n_buildings: int = 20
    building_size_m: float = 20.0
    building_height_m: float = 30.0
    macro_height_m: float = 25.0
    small_height_m: float = 8.0
    ue_height_m: float = 0.0
    grid_step_m: float = 1.0
    min_bs_distance_sq_m2: float = 98.0
    macro_power_dbm: float = 50.0
    small_power_dbm: float = 20.0
    bandwidth_hz: float = 20e6
    detection_loss_db: float = 100.0
    path_loss_model: str = "authors"
    n_active: int = 120
    bs_heights: str = "table"
    los_rule: str = "exact"

    def __post_init__(self) -> None:
        if not self.side_m > 0 or not self.grid_step_m > 0:
            raise ValueError("side_m and grid_step_m must be > 0")
        if self.n_small < 0 or self.n_buildings < 0 or self.n_active < 1:
            raise ValueError("n_small and n_buildings must be >= 0 and n_active >= 1")
        if self.n_buildings > 20:
            raise ValueError("n_buildings must be <= 20: corners are distinct on a 20-step lattice")
        if self.ue_height_m < 0 or self.small_height_m < 0 or self.macro_height_m < 0:
            raise ValueError("heights must be >= 0")
        if self.path_loss_model not in PATH_LOSS_MODELS:
            raise ValueError(f"path_loss_model must be one of {sorted(PATH_LOSS_MODELS)}")
        if self.bs_heights not in BS_HEIGHTS:
            raise ValueError(f"bs_heights must be one of {list(BS_HEIGHTS)}, got {self.bs_heights!r}")
        if self.los_rule not in LOS_RULES:
            raise ValueError(f"los_rule must be one of {list(LOS_RULES)}, got {self.los_rule!r}")

    def as_dict(self) -> dict:
        """Plain-dict form for provenance records."""
        return asdict(self)


@dataclass(frozen=True)
class RadioMap:
    """One circumstance: geometry and the path loss from every BS to every candidate UE spot.

    Attributes
    ----------
    bs_xyz : (J, 3) BS antenna positions, macro BSs first (5).
    box_lo, box_hi : (B, 3) building boxes.
    ue_xyz : (K, 3) candidate UE positions.
    loss_db : (K, J) path loss.
    los : (K, J) LoS state.
    power_dbm : (J,) maximum transmit powers.
    eligible : (K,) candidates detectable by at least two BSs (the events' pool).
    bs_box : (J,) building each BS stands on (-1: on the ground).
    config : HUDNConfig
    """

    bs_xyz: np.ndarray
    box_lo: np.ndarray
    box_hi: np.ndarray
    ue_xyz: np.ndarray
    loss_db: np.ndarray
    los: np.ndarray
    power_dbm: np.ndarray
    eligible: np.ndarray
    bs_box: np.ndarray
    config: HUDNConfig

    @property
    def detectable(self) -> np.ndarray:
        """(K, J) graph edges: path loss below the detection threshold."""
        return self.loss_db < self.config.detection_loss_db


def _inside(boxes_lo: np.ndarray, boxes_hi: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Index of the first building whose footprint (closed) holds each point, else -1."""
    inside = ((xy[:, None, 0] >= boxes_lo[None, :, 0]) & (xy[:, None, 0] <= boxes_hi[None, :, 0])
              & (xy[:, None, 1] >= boxes_lo[None, :, 1]) & (xy[:, None, 1] <= boxes_hi[None, :, 1]))
    return np.where(inside.any(axis=1), inside.argmax(axis=1), -1)


def build_radio_map(config: HUDNConfig, rng: np.random.Generator) -> RadioMap:
    """Draw a circumstance (buildings, small BSs) and compute its radio map.

    With ``config.bs_heights == "authors"`` the heights follow the authors' code
    (``UDN_secnario.py``, ``loc_generate``): it draws ``n_small + 5`` random sites, gives each
    the height of its spot (30 m on a roof, 8 m elsewhere), keeps the first ``n_small``
    positions, and reads the heights from the list shifted by five: the macro BSs take the
    heights of the first five random sites, and small BS ``k`` the height of site ``k + 5``.
    Each BS's own building (exempt from its LoS test) is the one under its position.

    Parameters
    ----------
    config : HUDNConfig
    rng : numpy.random.Generator
        All randomness of the circumstance.
    """
    side = config.side_m
    step = side / 20.0
    corners = np.column_stack([
        step * rng.choice(20, size=config.n_buildings, replace=False),
        step * rng.choice(20, size=config.n_buildings, replace=False),
    ])
    box_lo = np.column_stack([corners, np.zeros(config.n_buildings)])
    box_hi = np.column_stack([corners + config.building_size_m,
                              np.full(config.n_buildings, config.building_height_m)])
    macro = np.array([[0.5, 0.5], [0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]]) * side
    placed = [tuple(p) for p in macro]
    heights = [config.macro_height_m] * 5
    bs_box = [-1] * 5
    authors = config.bs_heights == "authors"
    while len(placed) < 5 + config.n_small + (5 if authors else 0):
        cand = rng.uniform(0.0, side, size=2)
        if np.min(np.sum((np.asarray(placed) - cand) ** 2, axis=1)) <= config.min_bs_distance_sq_m2:
            continue
        box = int(_inside(box_lo, box_hi, cand[None])[0])
        placed.append(tuple(cand))
        heights.append(config.building_height_m if box >= 0 else config.small_height_m)
        bs_box.append(box)
    if authors:
        placed = placed[: 5 + config.n_small]
        heights = heights[5:]
        bs_box = [int(b) for b in _inside(box_lo, box_hi, np.asarray(placed))]
    bs_xyz = np.column_stack([np.asarray(placed), heights])
    grid = np.arange(0.0, side, config.grid_step_m)
    xy = np.stack(np.meshgrid(grid, grid, indexing="ij"), axis=-1).reshape(-1, 2)
    xy = xy[_inside(box_lo, box_hi, xy) < 0]
    ue_xyz = np.column_stack([xy, np.full(len(xy), config.ue_height_m)])
    bs_box = np.asarray(bs_box, dtype=np.int64)
    loss, los = _links(config, bs_xyz, bs_box, box_lo, box_hi, ue_xyz)
    power = np.r_[np.full(5, config.macro_power_dbm), np.full(config.n_small, config.small_power_dbm)]
    eligible = np.sum(loss < config.detection_loss_db, axis=1) >= 2
    if eligible.sum() < config.n_active:
        raise ValueError(f"only {eligible.sum()} candidate UE positions are detectable by two BSs; "
                         f"n_active = {config.n_active} cannot be drawn")
    return RadioMap(bs_xyz, box_lo, box_hi, ue_xyz, loss, los, power, eligible, bs_box, config)


def _links(config, bs_xyz, bs_box, box_lo, box_hi, ue_xyz):
    los = line_of_sight(bs_xyz, ue_xyz, box_lo, box_hi, bs_box,
                        first_hit=config.los_rule == "first_hit").T
    distance = np.sqrt(np.sum((ue_xyz[:, None, :] - bs_xyz[None, :, :]) ** 2, axis=-1))
    return path_loss_db(np.maximum(distance, 1.0), los, config.path_loss_model), los


def loss_at(radio_map: RadioMap, ue_xyz: np.ndarray) -> np.ndarray:
    """Path loss (dB) from every BS to arbitrary UE positions of the circumstance.

    Parameters
    ----------
    radio_map : RadioMap
    ue_xyz : ndarray, shape (n, 3)
        Positions inside the area, outside every building, at height >= 0 (m).

    Returns
    -------
    ndarray, shape (n, J)
    """
    config = radio_map.config
    ue_xyz = np.asarray(ue_xyz, dtype=float)
    if ue_xyz.ndim != 2 or ue_xyz.shape[1] != 3 or not np.all(np.isfinite(ue_xyz)):
        raise ValueError(f"ue_xyz must be a finite (n, 3) array, got shape {ue_xyz.shape}")
    if np.any(ue_xyz[:, :2] < 0) or np.any(ue_xyz[:, :2] > config.side_m):
        raise ValueError(f"ue_xyz holds a UE outside the {config.side_m} m x {config.side_m} m area")
    if np.any(ue_xyz[:, 2] < 0):
        raise ValueError("ue_xyz holds a negative height")
    if np.any(_inside(radio_map.box_lo, radio_map.box_hi, ue_xyz[:, :2]) >= 0):
        raise ValueError("ue_xyz holds a UE inside a building")
    return _links(config, radio_map.bs_xyz, radio_map.bs_box, radio_map.box_lo, radio_map.box_hi,
                  ue_xyz)[0]


@dataclass(frozen=True)
class Event:
    """The active UEs of one event and their rows of the radio map."""

    ue_index: np.ndarray
    gain: np.ndarray
    detectable: np.ndarray


def draw_event(radio_map: RadioMap, rng: np.random.Generator, n_active: int | None = None) -> Event:
    """Activate ``n_active`` eligible UE positions uniformly at random (one event).

    Returns the indices into ``radio_map.ue_xyz``, the (n_active, J) linear gains and the
    (n_active, J) detectability mask.
    """
    n_active = radio_map.config.n_active if n_active is None else int(n_active)
    pool = np.flatnonzero(radio_map.eligible)
    if not 1 <= n_active <= len(pool):
        raise ValueError(f"n_active must be in [1, {len(pool)}], got {n_active}")
    index = np.sort(rng.choice(pool, size=n_active, replace=False))
    loss = radio_map.loss_db[index]
    return Event(index, 10.0 ** (-loss / 10.0), loss < radio_map.config.detection_loss_db)


def best_server_sinr_db(radio_map: RadioMap, noise_w: float) -> np.ndarray:
    """SINR (dB) of every candidate UE spot on its best BS, every BS at maximum power."""
    gain = 10.0 ** (-radio_map.loss_db / 10.0)
    sinr = sinr_matrix(gain, dbm_to_w(radio_map.power_dbm), noise_w)
    return 10.0 * np.log10(sinr.max(axis=1))

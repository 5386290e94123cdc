"""3-D line-of-sight geometry for paper A's urban map: segment against axis-aligned boxes."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from hudnlib.validation import as_flag, as_float_array

__all__ = ["segment_hits_box", "ray_hits_box", "line_of_sight"]

RAY_LENGTH_M = 10_000.0
"""Reach of the authors' ray test: a half-line from the BS through the UE, cut at 10 km."""

PARALLEL_TOLERANCE = 1e-6
"""A unit direction component below this counts as parallel to that axis (authors' rule)."""


@njit(cache=True, inline="always")
def segment_hits_box(p, q, lo, hi):
    """Whether the closed segment ``p -> q`` meets the closed box ``[lo, hi]`` (slab test)."""
    t0, t1 = 0.0, 1.0
    for k in range(3):
        d = q[k] - p[k]
        if d == 0.0:
            if p[k] < lo[k] or p[k] > hi[k]:
                return False
        else:
            a = (lo[k] - p[k]) / d
            b = (hi[k] - p[k]) / d
            if a > b:
                a, b = b, a
            t0 = max(t0, a)
            t1 = min(t1, b)
            if t0 > t1:
                return False
    return True


@njit(cache=True, inline="always")
def ray_hits_box(p, q, lo, hi):
    """Whether the ray from ``p`` through ``q`` meets the closed box ``[lo, hi]`` within
    :data:`RAY_LENGTH_M`: the slab test as the authors' code of paper A runs it, on the unit
    direction, with a direction component below :data:`PARALLEL_TOLERANCE` taken as
    parallel. In exact arithmetic it agrees with :func:`segment_hits_box` for a UE on the
    ground; in floating point the two round differently where the line only touches a
    building's edge (a zero-length crossing), and this one is the authors' rounding."""
    dx, dy, dz = q[0] - p[0], q[1] - p[1], q[2] - p[2]
    norm = np.sqrt(dx ** 2 + dy ** 2 + dz ** 2)
    direction = (dx / norm, dy / norm, dz / norm)
    t_min, t_max = 0.0, RAY_LENGTH_M
    for k in range(3):
        if abs(direction[k]) < PARALLEL_TOLERANCE:
            if p[k] < lo[k] or p[k] > hi[k]:
                return False
        else:
            inverse = 1.0 / direction[k]
            a = (lo[k] - p[k]) * inverse
            b = (hi[k] - p[k]) * inverse
            if a > b:
                a, b = b, a
            if a > t_min:
                t_min = a
            if b < t_max:
                t_max = b
            if t_min > t_max:
                return False
    return True


@njit(cache=True, parallel=True)
def _los_kernel(bs_xyz, ue_xyz, box_lo, box_hi, bs_box, ue_box, first_hit):
    n_bs, n_ue, n_box = bs_xyz.shape[0], ue_xyz.shape[0], box_lo.shape[0]
    los = np.ones((n_bs, n_ue), dtype=np.bool_)
    for j in prange(n_bs):
        for i in range(n_ue):
            for b in range(n_box):
                own = b == bs_box[j] or b == ue_box[i]
                if own and not first_hit:
                    continue
                if first_hit:
                    hit = ray_hits_box(bs_xyz[j], ue_xyz[i], box_lo[b], box_hi[b])
                else:
                    hit = segment_hits_box(bs_xyz[j], ue_xyz[i], box_lo[b], box_hi[b])
                if hit:
                    # first_hit: the test ends at the first building met in list order,
                    # which decides LoS only if it is not the node's own building.
                    los[j, i] = own
                    break
    return los


def line_of_sight(
    bs_xyz: np.ndarray, ue_xyz: np.ndarray, box_lo: np.ndarray, box_hi: np.ndarray,
    bs_box: np.ndarray | None = None, ue_box: np.ndarray | None = None, first_hit: bool = False,
) -> np.ndarray:
    """LoS state of every BS-UE pair: no building box crosses the straight segment.

    ``first_hit=True`` is the rule of the authors' code of paper A (``UDN_secnario.py``,
    ``channel``/``inline``): the buildings are tested in list order and the test stops at
    the first one the line meets; the pair is LoS when that building is the BS's (or UE's)
    own. A rooftop BS whose own building comes first in the list is then LoS to every UE,
    even behind another building. Their code follows the half-line from the BS through
    the UE (:func:`ray_hits_box`); with the UE on the ground and every building standing
    on it, the part beyond the UE lies below ground and meets no building, so in exact
    arithmetic the segment gives the same answer. In floating point the two differ where a
    line only touches a building's edge; ``first_hit`` uses the ray and its rounding, so
    the LoS states are the authors' own.

    Parameters
    ----------
    bs_xyz : ndarray, shape (J, 3)
        BS antenna positions, m.
    ue_xyz : ndarray, shape (I, 3)
        UE positions, m.
    box_lo, box_hi : ndarray, shape (B, 3)
        Opposite corners of each building (axis-aligned boxes), m.
    bs_box, ue_box : ndarray of int, optional
        Building that each BS stands on / each UE stands in (-1: none); that building is
        ignored for that node's links (a rooftop BS's segment starts on its own roof).
    first_hit : bool
        Use the authors' rule (first building in list order, their ray test) instead of
        the exact segment test.

    Returns
    -------
    ndarray of bool, shape (J, I)
    """
    bs_xyz = as_float_array("bs_xyz", bs_xyz, ndim=2, shape=(None, 3))
    ue_xyz = as_float_array("ue_xyz", ue_xyz, ndim=2, shape=(None, 3))
    box_lo = as_float_array("box_lo", box_lo, ndim=2, shape=(None, 3), allow_empty=True)
    box_hi = as_float_array("box_hi", box_hi, ndim=2, shape=box_lo.shape, allow_empty=True)
    if np.any(box_hi < box_lo):
        raise ValueError("box_hi must be >= box_lo in every coordinate")
    boxes = {}
    for name, index, nodes in (("bs_box", bs_box, bs_xyz), ("ue_box", ue_box, ue_xyz)):
        index = np.full(len(nodes), -1) if index is None else np.asarray(index)
        if index.shape != (len(nodes),) or (index.size and index.dtype.kind not in "iu"):
            raise ValueError(f"{name} must hold one integer building index per node "
                             f"({len(nodes)}), got {index.dtype} of shape {index.shape}")
        if index.size and (index.min() < -1 or index.max() >= len(box_lo)):
            raise ValueError(f"{name} must hold building indices in [-1, {len(box_lo) - 1}]")
        boxes[name] = index.astype(np.int64)
    return _los_kernel(bs_xyz, ue_xyz, box_lo.reshape(-1, 3), box_hi.reshape(-1, 3), boxes["bs_box"],
                       boxes["ue_box"], as_flag("first_hit", first_hit))

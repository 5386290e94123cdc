"""3-D line-of-sight geometry for paper A's urban map: segment against axis-aligned boxes."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from hudnlib.validation import as_float_array

__all__ = ["segment_hits_box", "line_of_sight"]


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
                if segment_hits_box(bs_xyz[j], ue_xyz[i], box_lo[b], box_hi[b]):
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
    even behind another building. (Their code follows the half-line from the BS through
    the UE; with the UE on the ground and every building standing on it, the part beyond
    the UE lies below ground and meets no building, so the segment gives the same answer.)

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
        Use the authors' first-building-in-list rule instead of the exact test.

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
    bs_box = np.full(len(bs_xyz), -1, np.int64) if bs_box is None else np.asarray(bs_box, np.int64)
    ue_box = np.full(len(ue_xyz), -1, np.int64) if ue_box is None else np.asarray(ue_box, np.int64)
    if bs_box.shape != (len(bs_xyz),) or ue_box.shape != (len(ue_xyz),):
        raise ValueError("bs_box and ue_box must hold one building index per BS / UE")
    for name, index in (("bs_box", bs_box), ("ue_box", ue_box)):
        if index.size and (index.min() < -1 or index.max() >= len(box_lo)):
            raise ValueError(f"{name} must hold building indices in [-1, {len(box_lo) - 1}]")
    return _los_kernel(bs_xyz, ue_xyz, box_lo.reshape(-1, 3), box_hi.reshape(-1, 3), bs_box, ue_box,
                       bool(first_hit))

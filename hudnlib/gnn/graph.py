"""The UE-BS heterogeneous graph of one event, as PyG ``HeteroData`` and as dense tensors.

Nodes: the event's UEs and all BSs. Edges: UE-BS pairs where the BS detects the UE (the
paper's graph). The channel enters as an edge feature, ``e_ij = SNR_ij [dB] / 10`` with
``SNR_ij = p_max,j g_ij / sigma^2``, rather than as a fixed-order vector per node (the paper's
"channel to every BS"): the information is the same, and the model becomes equivariant to
any relabelling of UEs and of BSs. Node features are summaries of their edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch_geometric.data import HeteroData

from hudnlib.validation import as_float_array, as_mask, as_positive_scalar

__all__ = ["DenseBatch", "edge_feature", "strongest_labels", "to_hetero_data", "dense_batch", "dense_batch_of"]


def edge_feature(gain: np.ndarray, p_max_w: np.ndarray, noise_w: float) -> np.ndarray:
    """``e_ij = 10 log10(p_max,j g_ij / noise) / 10``: full-power SNR in units of 10 dB."""
    return np.log10(gain * p_max_w[None, :] / noise_w)


def strongest_labels(gain: np.ndarray, detectable: np.ndarray) -> torch.Tensor:
    """Each UE's strongest-channel BS among those that detect it (the supervised labels), as
    a tensor of shape ``gain.shape[:-1]``."""
    return torch.tensor(np.argmax(np.where(detectable, gain, 0.0), axis=-1))


def to_hetero_data(gain: np.ndarray, detectable: np.ndarray, p_max_w: np.ndarray, noise_w: float) -> HeteroData:
    """PyG graph of one event.

    Parameters
    ----------
    gain : ndarray, shape (I, J)
    detectable : ndarray of bool, shape (I, J)
    p_max_w : ndarray, shape (J,)
    noise_w : float

    Returns
    -------
    HeteroData
        ``data["ue"].x`` (I, 3), ``data["bs"].x`` (J, 4), ``data["ue", "link", "bs"]``
        with ``edge_index`` and ``edge_attr`` (the edge feature), plus ``gain`` and
        ``p_max`` kept for the rate.

    Raises
    ------
    ValueError
        Gains not finite and > 0, a mask that is not boolean, a UE no BS detects, powers or
        noise not > 0.
    """
    gain = as_float_array("gain", gain, ndim=2, strictly_positive=True)
    detectable = as_mask("detectable", detectable, gain.shape)
    if not detectable.any(axis=1).all():
        raise ValueError(f"detectable leaves UE {int(np.flatnonzero(~detectable.any(axis=1))[0])} "
                         "with no BS: it would have no edge in the graph")
    p_max_w = as_float_array("p_max_w", p_max_w, ndim=1, shape=(gain.shape[1],), strictly_positive=True)
    noise_w = as_positive_scalar("noise_w", noise_w)
    e = edge_feature(gain, p_max_w, noise_w)
    ue, bs = np.nonzero(detectable)
    data = HeteroData()
    data["ue"].x = torch.tensor(_node_features(e, detectable, axis=1), dtype=torch.float32)
    data["bs"].x = torch.tensor(np.column_stack([_node_features(e, detectable, axis=0),
                                                 np.log10(p_max_w)]), dtype=torch.float32)
    data["ue", "link", "bs"].edge_index = torch.tensor(np.vstack([ue, bs]), dtype=torch.long)
    data["ue", "link", "bs"].edge_attr = torch.tensor(e[ue, bs][:, None], dtype=torch.float32)
    data["ue"].gain = torch.tensor(gain, dtype=torch.float64)
    data["bs"].p_max = torch.tensor(p_max_w, dtype=torch.float64)
    data.noise_w = float(noise_w)
    return data


def _node_features(e: np.ndarray, mask: np.ndarray, axis: int) -> np.ndarray:
    """Mean and best edge feature of a node, and its degree as a share of the other side."""
    deg = mask.sum(axis=axis)
    mean = np.where(mask, e, 0.0).sum(axis=axis) / np.maximum(deg, 1)
    best = np.where(deg > 0, np.where(mask, e, -np.inf).max(axis=axis), 0.0)
    return np.column_stack([mean, best, deg / mask.shape[axis]])


@dataclass
class DenseBatch:
    """A batch of events as dense tensors (the model's compute path).

    ``adj`` (B, I, J) 0/1, ``edge`` (B, I, J) edge features (0 off the graph), ``ue_x``
    (B, I, 3), ``bs_x`` (B, J, 4), ``gain`` (B, I, J) float64, ``p_max`` (B, J) float64.
    """

    adj: torch.Tensor
    edge: torch.Tensor
    ue_x: torch.Tensor
    bs_x: torch.Tensor
    gain: torch.Tensor
    p_max: torch.Tensor
    noise_w: float


def dense_batch(graphs: list[HeteroData]) -> DenseBatch:
    """Stack events of equal size into dense tensors.

    Raises
    ------
    ValueError
        ``graphs`` is empty, or its events differ in size.
    """
    if len(graphs) == 0:
        raise ValueError("graphs is empty: a batch needs at least one event")
    sizes = {tuple(g["ue"].gain.shape) for g in graphs}
    if len(sizes) > 1:
        raise ValueError(f"graphs must hold events of equal size (UEs, BSs), got {sorted(sizes)}")
    adj, edge = [], []
    for g in graphs:
        n_ue, n_bs = g["ue"].gain.shape
        a = torch.zeros(n_ue, n_bs)
        e = torch.zeros(n_ue, n_bs)
        src, dst = g["ue", "link", "bs"].edge_index
        a[src, dst] = 1.0
        e[src, dst] = g["ue", "link", "bs"].edge_attr[:, 0]
        adj.append(a)
        edge.append(e)
    return DenseBatch(
        adj=torch.stack(adj), edge=torch.stack(edge),
        ue_x=torch.stack([g["ue"].x for g in graphs]), bs_x=torch.stack([g["bs"].x for g in graphs]),
        gain=torch.stack([g["ue"].gain for g in graphs]), p_max=torch.stack([g["bs"].p_max for g in graphs]),
        noise_w=graphs[0].noise_w,
    )


def dense_batch_of(gain: np.ndarray, detectable: np.ndarray, p_max_w: np.ndarray, noise_w: float) -> DenseBatch:
    """Events of equal size straight from arrays: the same tensors as ``dense_batch`` of
    each event's :func:`to_hetero_data`, computed for the whole batch at once.

    Parameters
    ----------
    gain : ndarray, shape (B, I, J)
    detectable : ndarray of bool, shape (B, I, J)
    p_max_w : ndarray, shape (J,)
    noise_w : float

    Raises
    ------
    ValueError
        As :func:`to_hetero_data`.
    """
    gain = as_float_array("gain", gain, ndim=3, strictly_positive=True)
    detectable = as_mask("detectable", detectable, gain.shape)
    lonely = ~detectable.any(axis=2)
    if lonely.any():
        b, i = np.argwhere(lonely)[0]
        raise ValueError(f"detectable leaves UE {i} of event {b} with no BS: it would have no edge in the graph")
    p_max_w = as_float_array("p_max_w", p_max_w, ndim=1, shape=(gain.shape[2],), strictly_positive=True)
    noise_w = as_positive_scalar("noise_w", noise_w)
    e = np.log10(gain * p_max_w / noise_w)
    n_batch, n_bs = gain.shape[0], gain.shape[2]
    ue_x = _node_features(e, detectable, axis=2).reshape(n_batch, 3, -1).transpose(0, 2, 1)
    bs_x = np.concatenate([_node_features(e, detectable, axis=1).reshape(n_batch, 3, -1).transpose(0, 2, 1),
                           np.broadcast_to(np.log10(p_max_w)[None, :, None], (n_batch, n_bs, 1))], axis=2)
    return DenseBatch(
        adj=torch.from_numpy(detectable.astype(np.float32)),
        edge=torch.from_numpy(np.where(detectable, e, 0.0).astype(np.float32)),
        ue_x=torch.tensor(ue_x, dtype=torch.float32), bs_x=torch.tensor(bs_x, dtype=torch.float32),
        gain=torch.from_numpy(gain), p_max=torch.from_numpy(np.broadcast_to(p_max_w, (n_batch, n_bs)).copy()),
        noise_w=noise_w,
    )

"""Neighbour sampling of the authors' HGSAGE aggregator: each node keeps up to ``samples``
of its allowed neighbours, drawn uniformly without replacement.

The draw is a partial Fisher-Yates shuffle of a row's allowed indices, fed ``samples``
uniforms per row from a seeded :class:`numpy.random.Generator` (numba kernel, one pass over
the row): ``samples`` random numbers per row instead of one key per entry and a ``topk``
over every row (:func:`hudnlib.gnn.authors.sample_neighbours`, the torch form, which the
CUDA path keeps). The result is the aggregation weight ``1 / (n + 1)`` on the ``n`` drawn
neighbours, the authors' mean over the sampled neighbours and the node itself.
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit, prange

__all__ = ["sampled_weights"]


@njit(cache=True, parallel=True)
def sampled_weights_kernel(allowed: np.ndarray, uniforms: np.ndarray, out: np.ndarray) -> None:
    """Write ``1 / (n + 1)`` into ``out[b, i, j]`` for the ``n = min(samples, m)`` entries
    drawn uniformly without replacement from the ``m`` allowed ones of row ``(b, i)``.

    Parameters
    ----------
    allowed : ndarray of bool, shape (B, N, M)
    uniforms : ndarray of float64 in [0, 1), shape (1 or B, N, samples)
        The draws of row ``(b, i)`` (row ``(0, i)`` for every ``b`` when the first axis is 1).
    out : ndarray of float32, shape (B, N, M)
        Zeros on entry.
    """
    n_batch, n_rows, n_cols = allowed.shape
    samples = uniforms.shape[2]
    stride = 0 if uniforms.shape[0] == 1 else 1
    for b in prange(n_batch):
        index = np.empty(n_cols, np.int64)
        ub = b * stride
        for i in range(n_rows):
            m = 0
            for j in range(n_cols):
                if allowed[b, i, j]:
                    index[m] = j
                    m += 1
            n = min(samples, m)
            for t in range(n):  # partial Fisher-Yates: index[t] uniform over the m - t left
                s = t + int(uniforms[ub, i, t] * (m - t))
                if s >= m:
                    s = m - 1
                index[t], index[s] = index[s], index[t]
            weight = np.float32(1.0 / (n + 1))
            for t in range(n):
                out[b, i, index[t]] = weight


def sampled_weights(allowed: torch.Tensor, samples: int, rng: np.random.Generator | None,
                    shared: bool = False) -> torch.Tensor:
    """Aggregation weights (float32, shape of ``allowed``) of a fresh neighbour draw.

    Parameters
    ----------
    allowed : Tensor of bool, shape (B, N, M)
        Which neighbours each node may sample.
    samples : int
        Neighbours kept per node (all of them when a row has fewer).
    rng : numpy.random.Generator or None
        Source of the draws on the CPU; ``None`` (or a CUDA tensor) draws with torch's
        generator on the tensor's device (:func:`hudnlib.gnn.authors.sample_neighbours`).
    shared : bool
        Give every batch element the same draws (SRL batched over events: each event then
        sees exactly the draws it would see fine-tuned alone from the same seed).
    """
    if rng is None or allowed.device.type != "cpu":
        keys = torch.rand((1, *allowed.shape[1:]) if shared else allowed.shape, device=allowed.device)
        keys = keys.expand(allowed.shape).masked_fill(~allowed, -1.0)
        kth = keys.topk(min(samples, allowed.shape[-1]), dim=-1).values[..., -1:]
        chosen = allowed & (keys >= kth)
        return chosen.float() / (chosen.sum(-1, keepdim=True) + 1.0)
    flags = np.ascontiguousarray(allowed.numpy())
    uniforms = rng.random((1 if shared else flags.shape[0], flags.shape[1], samples))
    out = np.zeros(flags.shape, np.float32)
    sampled_weights_kernel(flags, uniforms, out)
    return torch.from_numpy(out)

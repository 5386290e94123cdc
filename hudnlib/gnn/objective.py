"""Paper A's training objective in torch: the effective rate (eqs. 2, 6) and the losses
(eqs. 12-15). The rate of hard decisions equals :func:`hudnlib.effective_rate.effective_rates`
(tested), so there is one definition of the rate."""

from __future__ import annotations

import torch

from hudnlib.gnn.graph import DenseBatch

__all__ = ["rate", "hard_association", "supervised_loss", "entropy", "loss_terms"]


def rate(x: torch.Tensor, power: torch.Tensor, batch: DenseBatch) -> torch.Tensor:
    """Per-UE effective rate (B, I) for an association ``x`` (one-hot or soft) and powers.

    ``signal_i = sum_j x_ij p_j g_ij``; interference = everything else received; the load
    of UE i's BS is ``sum_j x_ij K_j`` with ``K_j = sum_i x_ij``. For one-hot ``x`` this is
    exactly eq. (2); for soft ``x`` it is the smooth surrogate the association head trains on.
    """
    x = x.double()
    received = power.unsqueeze(1) * batch.gain
    signal = (x * received).sum(-1)
    interference = received.sum(-1) - signal + batch.noise_w
    load = (x * x.sum(1, keepdim=True)).sum(-1)
    return torch.log2(1.0 + signal / interference) / load


def hard_association(logits: torch.Tensor) -> torch.Tensor:
    """One-hot argmax of the logits (the decision; no gradient)."""
    return torch.nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).double()


def supervised_loss(logits: torch.Tensor, labels: torch.Tensor, temperature: float) -> torch.Tensor:
    """Eq. (12): cross-entropy of the tempered softmax against label BSs (mean over UEs)."""
    return torch.nn.functional.cross_entropy(
        (logits / temperature).flatten(0, 1), labels.flatten(), reduction="mean"
    )


def entropy(logits: torch.Tensor) -> torch.Tensor:
    """Eq. (14): entropy of the T = 1 softmax, summed over UEs, mean over the batch."""
    p = torch.softmax(logits, -1)
    return -(p * torch.log(p.clamp(min=1e-12))).sum((-1, -2)).mean()


def loss_terms(logits, x, power, batch, labels, temperature):
    """The parts of eqs. (13) and (15) for one forward pass.

    The rate trains the power head with the association fixed at its argmax, and the
    association head through the soft association with the powers fixed (the paper's
    separation of the two gradient paths). Returns a dict of tensors: ``rate`` (hard
    decisions, mean total over the batch, the reported number), ``rate_power``,
    ``rate_assoc``, ``supervised``, ``entropy``.
    """
    hard = hard_association(logits)
    rate_power = rate(hard, power, batch).sum(-1).mean()
    rate_assoc = rate(x, power.detach(), batch).sum(-1).mean()
    return {
        "rate": rate_power.detach(),
        "rate_power": rate_power,
        "rate_assoc": rate_assoc,
        "supervised": supervised_loss(logits, labels, temperature),
        "entropy": entropy(logits),
    }

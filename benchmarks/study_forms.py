"""The forms of the authors' GRL step that ``precision_study.py`` trains, times and compares,
and how each enters the library's own training loop (:func:`built_as`, :func:`drawn_as`).

Forms (:data:`FORMS`; the weights and the optimiser's state stay float32 and are cast once per
product; the loss is in float64, the library's except in ``float32-rewritten``):

- ``float32``: the library's own step, for training seeds with no stored run (11-13 have one);
- ``mixed`` (:class:`MixedHGSAGE`): bfloat16 for the aggregations, the projections and the power
  head's hidden product; float32 for the first layer's projection of the standardised gains (a
  bfloat16 input carries 8 bits of a standardised gain) and for the association head from the
  batch normalisation on (its softmax at temperature 0.001 of max-min normalised logits
  resolves differences that bfloat16 rounds away);
- ``float32-state``: the same with the first layer's states left in float32;
- ``whole``: every product in bfloat16;
- ``float32-rewritten`` (:class:`float32_rewrites.RewrittenHGSAGE`): float32 throughout, the
  power head collapsed to one product and each layer after its projections computed by numba
  kernels (the sampled means gathered, the own parts added, the ReLU applied in one pass), and
  the association head's batch normalisation and max-min normalised softmax as kernels too
  (``float32_heads.py``); its neighbour draws are listed from the adjacency's bit sets
  (``float32_draws.py``); its training loop and SRL also draw their events with
  :class:`float32_rewrites.EventSource`, log their decision rates with
  :func:`float32_rewrites.decision_rate` and compute the loss's rates with
  :func:`float32_heads.loss_terms` (:func:`drawn_as`);
- ``float32-reordered-loss``: the library's float32 step with only the loss's two rates
  computed by :func:`float32_heads.loss_terms` (the same float64 maths, summed in another
  order): the smallest rounding perturbation of the library's own step, to ask whether one
  seed's kept model survives it;
- ``float32-reordered-input``: the library's float32 step with only the standardised gains
  computed by :func:`float32_rewrites.standardised` (mean and deviation accumulated in float64:
  about 40% of the model's inputs differ from the library's by one float32 rounding), a
  perturbation at float32's last bits;
- ``float32-kernel-softmax`` and ``float32-rewritten-torch-softmax``: the library's step with
  only its association's max-min normalised softmax computed by the rewritten form's kernel,
  and the rewritten form with only that softmax computed as the library computes it: the two
  halves of the question whether that kernel is what makes the rewritten form train otherwise.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, ExitStack, nullcontext
from unittest import mock

import torch

from hudnlib.gnn import authors, authors_training
from hudnlib.gnn.authors import (
    AuthorsHGSAGE, neighbourhoods, projection_params, standardised_gain, torch_seeded_generator,
)
from hudnlib.gnn.sampling import sampled_weights
from hudnlib.scenarios.paper_a import RadioMap

import float32_heads
import float32_rewrites


class MixedHGSAGE(AuthorsHGSAGE):
    """:class:`~hudnlib.gnn.authors.AuthorsHGSAGE` computed in mixed precision (the module
    docstring says which products run in bfloat16); the same parameters, draws and outputs'
    dtypes as the float32 model, so a checkpoint of one loads into the other. ``half`` is the
    products' precision (a test sets it to float32 to pin the maths to the library's forward);
    without ``islands`` the first layer's projection and the association head run in it too
    (the whole step in bfloat16, :class:`WholeBfloat16HGSAGE`)."""

    half = torch.bfloat16
    islands = True
    float32_first_state = False

    def forward(self, batch, rng=None, *, params=None, shared_draws=False, allowed=None):
        if self.mask_to_edges:
            raise ValueError("the mixed step is written for the reading 'authors' (no mask)")
        p = projection_params(self) if params is None else params
        allowed = neighbourhoods(batch.adj) if allowed is None else allowed
        if rng is None and batch.adj.device.type == "cpu":
            rng = torch_seeded_generator()
        weights = [sampled_weights(a, self.samples, rng, shared_draws).to(self.half) for _ in range(2) for a in allowed]
        h_ue = standardised_gain(batch.gain)
        h_bs = h_ue.transpose(-1, -2)
        for layer in range(2):
            w_bs_ue, w_bs_bs, w_ue_bs, w_ue_ue = weights[4 * layer:4 * layer + 4]
            proj_bs, proj_ue = p[f"proj_bs.{layer}"], p[f"proj_ue.{layer}"]
            if layer == 0 and self.islands:  # float32 product of the standardised gains
                y_bs, y_ue = h_bs @ proj_bs, h_ue @ proj_ue
                if not self.float32_first_state:  # rounded after it
                    y_bs, y_ue = y_bs.to(self.half), y_ue.to(self.half)
            else:
                y_bs, y_ue = h_bs.to(self.half) @ proj_bs.to(self.half), h_ue.to(self.half) @ proj_ue.to(self.half)
            s_bs1, s_bs2, n_bs2, to_ue = y_bs.chunk(4, -1)
            s_ue1, s_ue2, n_ue2, to_bs = y_ue.chunk(4, -1)
            to_bs, to_ue, n_bs2, n_ue2 = (v.to(self.half) for v in (to_bs, to_ue, n_bs2, n_ue2))
            h_bs = torch.relu(torch.cat([s_bs1 + w_bs_ue @ to_bs, s_bs2 + w_bs_bs @ n_bs2], -1))
            h_ue = torch.relu(torch.cat([s_ue1 + w_ue_bs @ to_ue, s_ue2 + w_ue_ue @ n_ue2], -1))
        hidden = (h_bs @ p["power_hidden"].mT.to(self.half)).float() + p["power_bias"][..., :, None]
        power = torch.sigmoid(hidden @ p["power_out"].mT).squeeze(-1).double() * batch.p_max
        head = torch.float32 if self.islands else self.half
        h_ue = h_ue.to(head)
        n_ue = h_ue.shape[-2]
        average = torch.full((1, 1, n_ue), 1.0 / n_ue, dtype=head)
        centred = h_ue - average @ h_ue
        h_ue = centred * torch.rsqrt(average @ (centred * centred) + 1e-5) * p["norm_scale"][..., None, :].to(head) \
            + p["norm_shift"][..., None, :].to(head)
        z = h_ue @ p["assoc_out"].mT.to(head)
        top, bottom = z.max(-1, keepdim=True).values, z.min(-1, keepdim=True).values
        normalised = (z - top) / (top - bottom).clamp(min=1e-12)
        return z, torch.softmax(normalised / self.temperature, -1), power


class WholeBfloat16HGSAGE(MixedHGSAGE):
    """The whole step in bfloat16 (no float32 islands); the loss stays float64."""

    islands = False


class Float32StateHGSAGE(MixedHGSAGE):
    """The mixed step with the first layer's states in float32: its self parts are not rounded,
    only the neighbours' projections entering the bfloat16 aggregation products."""

    float32_first_state = True


def library_association(z: torch.Tensor, temperature: float) -> torch.Tensor:
    """The library's association from its logits in the reading ``authors``: torch's softmax of
    the max-min normalised ``z`` over the temperature, as :class:`~hudnlib.gnn.authors.AuthorsHGSAGE`
    computes it."""
    top, bottom = z.max(-1, keepdim=True).values, z.min(-1, keepdim=True).values
    return torch.softmax((z - top) / (top - bottom).clamp(min=1e-12) / temperature, -1)


class KernelSoftmaxHGSAGE(AuthorsHGSAGE):
    """The library's float32 model with only its association's softmax replaced by the rewritten
    form's kernel (:func:`float32_heads.maxmin_softmax`), taken from the library's own logits.
    The library's forward computes its own softmax too, which is discarded (its association is
    written inline), so this form's step time overstates the kernel's."""

    def forward(self, batch, rng=None, **kwargs):
        if self.mask_to_edges:
            raise ValueError("the kernel's softmax is written for the reading 'authors' (no mask)")
        z, _, power = super().forward(batch, rng, **kwargs)
        return z, float32_heads.maxmin_softmax(z, self.temperature), power


class RewrittenTorchSoftmaxHGSAGE(float32_rewrites.RewrittenHGSAGE):
    """The rewritten form with only its association's softmax replaced by the library's torch
    formulation (:func:`library_association`), taken from the rewritten form's own logits."""

    def association(self, z: torch.Tensor) -> torch.Tensor:
        return library_association(z, self.temperature)


LIBRARY = "float32"
"""The library's own float32 step, for training seeds that have no stored run to compare with."""

REWRITTEN = "float32-rewritten"
"""The form that also draws its events and logs its rates its own way (:func:`drawn_as`)."""

REORDERED_LOSS = "float32-reordered-loss"
"""The library's float32 step with only its loss's rates reordered (:func:`drawn_as`): a
perturbation of the library's own step at float64's last bits."""

REORDERED_INPUT = "float32-reordered-input"
"""The library's float32 step with only its standardised gains computed otherwise (:func:`drawn_as`):
a perturbation of the library's own step at float32's last bits, in its input."""

KERNEL_SOFTMAX = "float32-kernel-softmax"
"""The library's float32 step with only its association's softmax computed by the rewritten form's
kernel (:class:`KernelSoftmaxHGSAGE`)."""

REWRITTEN_TORCH_SOFTMAX = "float32-rewritten-torch-softmax"
"""The rewritten form (its loop too, :func:`drawn_as`) with only its association's softmax computed
as the library computes it (:class:`RewrittenTorchSoftmaxHGSAGE`)."""

FORMS = {LIBRARY: AuthorsHGSAGE, "mixed": MixedHGSAGE, "whole": WholeBfloat16HGSAGE, "float32-state": Float32StateHGSAGE,
         REWRITTEN: float32_rewrites.RewrittenHGSAGE, REORDERED_LOSS: AuthorsHGSAGE, REORDERED_INPUT: AuthorsHGSAGE,
         KERNEL_SOFTMAX: KernelSoftmaxHGSAGE, REWRITTEN_TORCH_SOFTMAX: RewrittenTorchSoftmaxHGSAGE}
"""The step's forms by name (``train --form``)."""

FLOAT32_FORMS = (LIBRARY, REWRITTEN)
"""The forms whose products ``time`` also replays alone (in float32, as they run; the rewritten
form's layers are numba kernels, not products)."""


def built_as(cls: type[MixedHGSAGE]) -> AbstractContextManager:
    """While entered, the library's training loop builds ``cls`` instead of its float32 model
    (it builds its models through ``authors_training._new_model``)."""
    return mock.patch.object(authors_training, "_new_model",
                             lambda config, n_ue, n_bs: cls(n_ue, n_bs, mask_to_edges=config.mask_to_edges))


def _kernel_standardised_gain(gain: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """:func:`hudnlib.gnn.authors.standardised_gain` computed by :func:`float32_rewrites.standardised`."""
    if dtype != torch.float32:
        raise TypeError(f"the kernel standardises in float32 only, got {dtype}")
    return float32_rewrites.standardised(gain)


def drawn_as(form: str, radio_map: RadioMap) -> AbstractContextManager:
    """While entered, the library's training loop and SRL draw their events, compute their
    decision rates and their loss as ``form`` does: :data:`REWRITTEN` with
    :class:`float32_rewrites.EventSource`, :func:`float32_rewrites.decision_rate` and
    :func:`float32_heads.loss_terms` (the same events, rates and loss), :data:`REORDERED_LOSS`
    with :func:`float32_heads.loss_terms` only (the loss's float64 rates summed in another
    order), :data:`REORDERED_INPUT` with the model's standardised gains from
    :func:`float32_rewrites.standardised` only, :data:`REWRITTEN_TORCH_SOFTMAX` as
    :data:`REWRITTEN`, the other forms as the library."""
    if form == REORDERED_INPUT:
        return mock.patch.object(authors, "standardised_gain", _kernel_standardised_gain)
    if form not in (REWRITTEN, REWRITTEN_TORCH_SOFTMAX, REORDERED_LOSS):
        return nullcontext()
    stack = ExitStack()
    stack.enter_context(mock.patch.object(authors_training, "authors_loss_terms", float32_heads.loss_terms))
    if form == REORDERED_LOSS:
        return stack
    source = float32_rewrites.EventSource(radio_map)
    stack.enter_context(mock.patch.object(authors_training, "event_batch",
                                          lambda _map, rng, size, p_max, noise: source.batch(rng, size, p_max, noise)))
    stack.enter_context(mock.patch.object(authors_training, "decision_rate", float32_rewrites.decision_rate))
    return stack


class NotingAdam(torch.optim.Adam):
    """Adam that notes the norm of all its parameters' gradients (float64) before each step."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.norms: list[float] = []

    def step(self, closure=None):
        grads = [p.grad.detach().double().flatten() for group in self.param_groups for p in group["params"]
                 if p.grad is not None]
        self.norms.append(float(torch.cat(grads).norm()))
        return super().step(closure)

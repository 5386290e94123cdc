"""The association head (batch normalisation, max-min normalised softmax) and the loss's rates
as kernels (``benchmarks/float32_heads.py``) compute the library's values and gradients: the
head against the library's form in float64, the rates against
:func:`hudnlib.gnn.authors.authors_loss_terms`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from hudnlib.gnn.authors import authors_loss_terms
from tests.conftest import authors_batch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import float32_heads as heads  # noqa: E402
from study_forms import library_association  # noqa: E402


def _value_and_grad(f, z: torch.Tensor, up: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    z = z.detach().clone().requires_grad_()
    x = f(z)
    (x * up).sum().backward()
    return x.detach(), z.grad


@pytest.mark.parametrize("temperature", [1e-3, 0.05])
def test_maxmin_softmax_and_its_gradient_are_the_library_softmax(temperature):
    """Against torch in float64: an error in the share of the spread that the row's maximum or
    minimum receives would show at those two entries (it did, when numba's parallel transform
    dropped it)."""
    gen = torch.Generator().manual_seed(0)
    z = 3.0 * torch.randn(5, 30, 20, generator=gen)
    z[1, 2] = 0.5  # a constant row: the spread clamped, every entry tied for maximum and minimum
    up = torch.randn(5, 30, 20, generator=gen)
    x, grad = _value_and_grad(lambda v: heads.maxmin_softmax(v, temperature), z, up)
    x_ref, grad_ref = _value_and_grad(lambda v: library_association(v, temperature), z.double(), up.double())
    # entries near underflow too, within what torch's own float32 softmax keeps (whose rounding
    # the kernel follows: 1.3e-5 relative at an entry of 1e-32 here)
    for values in (x, library_association(z, temperature)):
        torch.testing.assert_close(values.double(), x_ref, rtol=2e-5, atol=1e-44)
    torch.testing.assert_close(x[1, 2], torch.full((20,), 1 / 20))  # the clamped row: uniform
    clamped = torch.zeros(z.shape[:2], dtype=torch.bool)
    clamped[1, 2] = True  # its gradient is scaled by 1 / 1e-12: compared on its own
    _, grad_torch = _value_and_grad(lambda v: library_association(v, temperature), z, up)
    for rows in (~clamped, clamped):
        error = float((grad[rows].double() - grad_ref[rows]).norm())
        assert error <= 1e-6 * float(grad_ref[rows].norm())
        assert float((grad_torch[rows].double() - grad_ref[rows]).norm()) <= 1e-6 * float(grad_ref[rows].norm())


def _near_one_rows(n_rows: int = 400) -> torch.Tensor:
    """Rows of 20 logits (B = 1) whose largest softmax entry at temperature 0.001 lies within a
    few float32 steps of 1.0: one entry at 0, the minimum at -1 (spread 1), the second largest
    at -(16 to 19) / 1000, so that the rest of the row's mass spans 2^-27 to 2^-23."""
    gen = torch.Generator().manual_seed(7)
    z = -1.0 + 0.5 * torch.rand(1, n_rows, 20, generator=gen)
    z[0, :, 0] = 0.0
    z[0, :, 1] = -1e-3 * torch.linspace(16.0, 19.0, n_rows)
    z[0, :, 2] = -1.0
    return z


def test_maxmin_softmax_rounds_as_torch_does():
    """Whether a row's largest entry is exactly 1.0 is decided by the float32 sum and the
    reciprocal it is multiplied by, as in torch (the authors' loss resolves 1 - x_ij: see the
    next test). A correctly rounded quotient, the kernel's first form, rounds that entry to
    1 - 2^-24 in rows that torch rounds to 1.0."""
    z = _near_one_rows()
    ours, torch_x = heads.maxmin_softmax(z, 1e-3), library_association(z, 1e-3)
    assert torch.equal(ours.max(-1).values == 1.0, torch_x.max(-1).values == 1.0)
    assert float((ours == torch_x).double().mean()) > 0.99
    quotient = library_association(z.double(), 1e-3).float()  # correctly rounded (up to float64's rounding)
    assert int((quotient.max(-1).values == 1.0).sum()) < int((torch_x.max(-1).values == 1.0).sum())


def test_the_authors_loss_resolves_the_serving_entry_at_float32s_last_bit():
    """UE 0's serving BS is received 130 dB above the other two (kept on by UE 1): the loss's
    gradient in its serving entry falls by orders of magnitude when that entry is one float32
    step below 1.0, because 2^-24 of the serving power then counts as interference: why the
    kernel rounds as torch does."""
    gain = torch.tensor([[[1e-3, 1e-16, 1e-16], [1e-9, 1e-9, 1e-9]]], dtype=torch.float64)
    power, labels = torch.ones(1, 3, dtype=torch.float64), torch.zeros(1, 2, dtype=torch.long)
    grads = []
    for top in (1.0, 1.0 - 2.0 ** -24):
        x = torch.tensor([[[top, 1.0 - top, 0.0], [0.0, 0.5, 0.5]]], dtype=torch.float32, requires_grad=True)
        authors_loss_terms(torch.zeros(1, 2, 3), x, power, gain, labels)["loss"].sum().backward()
        grads.append(abs(float(x.grad[0, 0, 0])))
    assert grads[0] > 1e3 * grads[1]


def test_maxmin_softmax_keeps_a_nan_logit_visible():
    """A NaN logit (a diverged step) makes its row NaN, as in torch, and no other row."""
    z = torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(3))
    z[1, 2, 4] = float("nan")
    x = heads.maxmin_softmax(z, 1e-3)
    assert x[1, 2].isnan().all() and not x[1, :2].isnan().any() and not x[0].isnan().any()
    assert library_association(z, 1e-3)[1, 2].isnan().all()


def test_maxmin_softmax_refuses_what_its_kernel_does_not_compute():
    with pytest.raises(TypeError, match="z must be a float32"):
        heads.maxmin_softmax(torch.ones(2, 3, 4, dtype=torch.float64), 1e-3)
    with pytest.raises(TypeError, match=r"shape \(B, I, J\)"):
        heads.maxmin_softmax(torch.ones(3, 4), 1e-3)


def _library_batch_norm(u, scale, shift):
    """The library's per-event batch normalisation (:meth:`AuthorsHGSAGE.forward`)."""
    average = torch.full((1, 1, u.shape[1]), 1.0 / u.shape[1], dtype=u.dtype)
    centred = u - average @ u
    return centred * torch.rsqrt(average @ (centred * centred) + 1e-5) * scale[..., None, :] + shift[..., None, :]


@pytest.mark.parametrize("per_event", [False, True])
def test_batch_norm_and_its_gradients_are_the_library_batch_norm(per_event):
    """Against the library's form in float64, with one scale and shift for all events (GRL) and
    one per event (SRL); a feature constant over the UEs (variance 0, only the 1e-5 left)."""
    gen = torch.Generator().manual_seed(2)
    u = torch.relu(torch.randn(4, 9, 6, generator=gen)) * 3.0
    u[2, :, 1] = 0.7
    shape = (4, 6) if per_event else (6,)
    scale, shift = 1.0 + torch.randn(shape, generator=gen), torch.randn(shape, generator=gen)
    up = torch.randn(4, 9, 6, generator=gen)
    results = []
    for f, dtype in ((heads.batch_norm, torch.float32), (_library_batch_norm, torch.float64)):
        leaves = [v.detach().to(dtype).requires_grad_() for v in (u, scale, shift)]
        out = f(*leaves)
        (out * up.to(dtype)).sum().backward()
        results.append([out.detach()] + [v.grad for v in leaves])
    for mine, theirs in zip(*results):
        assert mine.shape == theirs.shape
        torch.testing.assert_close(mine.double(), theirs, rtol=1e-5, atol=1e-5)


def test_batch_norm_refuses_what_its_kernel_does_not_compute():
    with pytest.raises(TypeError, match="shift must be a float32"):
        heads.batch_norm(torch.ones(2, 3, 4), torch.ones(4), torch.ones(4, dtype=torch.float64))


def _terms_and_grads(loss_terms, x, power, batch, labels, weights):
    """The terms of ``loss_terms`` on leaf copies of ``x`` and the powers, and the gradients of
    ``sum(weights[k] * terms[k])`` in both."""
    x, power = x.detach().clone().requires_grad_(), power.detach().clone().requires_grad_()
    z = torch.log(x + 1e-3)  # logits for the cross-entropy (not differentiated here)
    terms = loss_terms(z, x, power, batch.gain, labels)
    sum(w * terms[k].sum() for k, w in weights.items()).backward()
    grads = (torch.zeros_like(v) if v.grad is None else v.grad for v in (x, power))  # no path: zero
    return {k: v.detach() for k, v in terms.items()}, *grads


@pytest.mark.parametrize("weights", [{"loss": 1.0}, {"rate_pc": 1.0}, {"rate_ua": 1.0}, {"loss": 1.0, "supervised": -100.0}])
def test_loss_terms_and_their_gradients_are_the_library_loss(weights):
    """Each rate alone, the GRL loss and SRL's (the supervised term's weight cancelled): the
    gradient of ``R_ua`` in ``x`` runs through the signal, the soft load's maximum and the
    column sums inside it, that of ``R_pc`` in the powers; a term routed to the wrong input,
    or a dropped path, fails here."""
    batch, labels = authors_batch()
    gen = torch.Generator().manual_seed(1)
    x = torch.softmax(4.0 * torch.randn(batch.gain.shape, generator=gen), -1)
    power = batch.p_max * torch.rand(batch.p_max.shape, generator=gen, dtype=torch.float64)
    ours = _terms_and_grads(heads.loss_terms, x, power, batch, labels, weights)
    library = _terms_and_grads(authors_loss_terms, x, power, batch, labels, weights)
    for key in library[0]:
        assert ours[0][key].dtype == library[0][key].dtype
        torch.testing.assert_close(ours[0][key], library[0][key], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ours[1], library[1], rtol=1e-6, atol=1e-9)  # x's gradient: float32
    torch.testing.assert_close(ours[2], library[2], rtol=1e-12, atol=1e-12)
    assert bool(library[1].abs().sum() > 0) == ("rate_ua" in weights or "loss" in weights)
    assert bool(library[2].abs().sum() > 0) == ("rate_pc" in weights or "loss" in weights)


def test_rate_terms_refuse_what_their_kernel_does_not_compute():
    batch, _ = authors_batch()
    with pytest.raises(TypeError, match="x must be a torch.float32"):
        heads.rate_terms(batch.gain, batch.p_max, batch.gain)
    with pytest.raises(TypeError, match="power must be a torch.float64"):
        heads.rate_terms(batch.gain.float(), batch.p_max.float(), batch.gain)

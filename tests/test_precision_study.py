"""The precision study's mixed step (``benchmarks/study_forms.py``) is the library's
forward with its products cast: with float32 products it gives the library's outputs and
gradients on the same draws, and with bfloat16 it stays near them. Each form replaces only its
own parts of the library's training loop."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from hudnlib.gnn import authors, authors_training
from hudnlib.gnn.authors import AuthorsHGSAGE
from hudnlib.scenarios.paper_a import HUDNConfig, build_radio_map
from tests.conftest import authors_batch, outputs_and_grads

_BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(_BENCHMARKS))  # the study imports its sibling scripts
_spec = importlib.util.spec_from_file_location("precision_study", _BENCHMARKS / "precision_study.py")
study = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(study)
import study_forms as forms  # noqa: E402  (beside the study, on the path it set)


def _pair(half: torch.dtype):
    torch.manual_seed(0)
    library = AuthorsHGSAGE(12, 7, samples=3)
    mixed = type("Mixed", (forms.MixedHGSAGE,), {"half": half})(12, 7, samples=3)
    mixed.load_state_dict(library.state_dict())  # a checkpoint of one loads into the other
    return library, mixed


def test_mixed_step_with_float32_products_is_the_library_step():
    batch, labels = authors_batch()
    library, mixed = _pair(torch.float32)
    (ours, our_grads), (theirs, their_grads) = (outputs_and_grads(m, batch, labels) for m in (mixed, library))
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-12)
    for a, b in zip(our_grads, their_grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_mixed_step_in_bfloat16_stays_near_the_library_step():
    batch, labels = authors_batch()
    library, mixed = _pair(torch.bfloat16)
    (z, _, power, _), _ = outputs_and_grads(mixed, batch, labels)
    (z_ref, _, power_ref, _), _ = outputs_and_grads(library, batch, labels)
    z, z_ref, power, power_ref = (t.detach() for t in (z, z_ref, power, power_ref))
    assert z.dtype == torch.float32 and power.dtype == torch.float64
    spread = float(z_ref.max() - z_ref.min())
    assert float((z - z_ref).abs().max()) < 0.02 * spread  # bfloat16 keeps 8 bits: 2^-8 per rounding
    assert float(((power - power_ref).abs() / power_ref).max()) < 0.01
    assert float((z.argmax(-1) == z_ref.argmax(-1)).double().mean()) > 0.9


@pytest.mark.parametrize("argv, why", [(["srl", "1", "1"], "two events"), (["srl", "1", "20", "--chunk", "0"],
                                                                           "chunk >= 1")])
def test_srl_command_refuses_what_it_cannot_compare(monkeypatch, capsys, argv, why):
    """A usage error before any work, not a traceback after 10,000 steps."""
    monkeypatch.setattr(sys, "argv", ["precision_study.py", *argv])
    monkeypatch.setattr(study, "srl", lambda *args: pytest.fail("srl ran"))
    with pytest.raises(SystemExit) as stop:
        study.main()
    assert stop.value.code == 2 and why in capsys.readouterr().err


@pytest.mark.parametrize("form, patched", [("float32-reordered-loss", {"authors_loss_terms"}),
                                           ("float32-reordered-input", {"input"}),
                                           ("float32-rewritten", {"authors_loss_terms", "event_batch", "decision_rate"}),
                                           ("float32-rewritten-torch-softmax",
                                            {"authors_loss_terms", "event_batch", "decision_rate"}),
                                           ("float32-kernel-softmax", set()), ("float32", set()), ("mixed", set())])
def test_each_form_replaces_only_its_own_parts_of_the_training_loop(form, patched):
    """The reordered-loss and reordered-input forms are the library's step with the loss's rates,
    or the model's standardised gains, alone replaced (perturbations of its rounding, nothing
    else); the rewritten form also draws its events and logs
    its rates its own way; both leave the loop as it was on exit."""
    names = ("authors_loss_terms", "event_batch", "decision_rate")
    before = {name: getattr(authors_training, name) for name in names}
    radio_map = build_radio_map(HUDNConfig(grid_step_m=5.0, n_small=20, n_active=20), np.random.default_rng(0))
    standardise = authors.standardised_gain
    with forms.drawn_as(form, radio_map):
        assert {name for name in names if getattr(authors_training, name) is not before[name]} == patched - {"input"}
        assert (authors.standardised_gain is not standardise) == ("input" in patched)
    assert all(getattr(authors_training, name) is before[name] for name in names)
    assert authors.standardised_gain is standardise
    assert forms.FORMS["float32-reordered-loss"] is forms.FORMS["float32-reordered-input"] is AuthorsHGSAGE


def test_reordered_input_is_the_library_step_up_to_the_inputs_rounding():
    """The form's forward, with the library's model and the same draws, stays within float32
    rounding of the library's, and refuses another dtype than the kernel computes."""
    batch, labels = authors_batch()
    torch.manual_seed(0)
    model = AuthorsHGSAGE(12, 7, samples=3)
    theirs, _ = outputs_and_grads(model, batch, labels)
    with forms.drawn_as("float32-reordered-input", None):
        ours, _ = outputs_and_grads(model, batch, labels)
        with pytest.raises(TypeError, match="float32 only"):
            authors.standardised_gain(batch.gain, torch.float64)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_softmax_swaps_change_only_the_association():
    """The library's model with the kernel's softmax keeps the library's logits and powers and
    computes its association from them within float32 rounding; the rewritten model with torch's
    softmax keeps the rewritten logits and powers. The kernel's form refuses the masked reading."""
    batch, _ = authors_batch()
    torch.manual_seed(0)
    library = AuthorsHGSAGE(12, 7, samples=3)
    pairs = [(library, forms.KernelSoftmaxHGSAGE(12, 7, samples=3)),
             (forms.float32_rewrites.RewrittenHGSAGE(12, 7, samples=3), forms.RewrittenTorchSoftmaxHGSAGE(12, 7, samples=3))]
    for original, swapped in pairs:
        original.load_state_dict(library.state_dict())
        swapped.load_state_dict(library.state_dict())
        with torch.no_grad():
            (z, x, power), (z_s, x_s, power_s) = (m(batch, np.random.default_rng(5)) for m in (original, swapped))
        assert torch.equal(z, z_s) and torch.equal(power, power_s)
        torch.testing.assert_close(x_s, forms.library_association(z, 1e-3), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="reading 'authors'"):
        forms.KernelSoftmaxHGSAGE(12, 7, samples=3, mask_to_edges=True)(batch, np.random.default_rng(5))


def test_climb_pairs_each_seed_with_the_librarys_step(monkeypatch, tmp_path, capsys):
    """The difference at step 1,000 is the form's 50-step moving rate minus the library's on the
    same seed, averaged over seeds; a run short of step 1,000 is refused by name."""
    monkeypatch.setattr(study, "STUDY_DIR", tmp_path)
    ramp = np.linspace(0.0, 100.0, 1000)
    for seed, lift in ((14, 10.0), (15, 20.0)):
        for form, rate in (("float32-rewritten", ramp + lift), ("float32", ramp)):
            pd.DataFrame({"mean_rate": rate}).to_parquet(study.checkpoint(seed, form).with_suffix(".history.parquet"))
    study.climb([14, 15], "float32-rewritten")
    assert "+15.0 [" in capsys.readouterr().out
    pd.DataFrame({"mean_rate": ramp[:999]}).to_parquet(study.checkpoint(16, "float32").with_suffix(".history.parquet"))
    pd.DataFrame({"mean_rate": ramp}).to_parquet(study.checkpoint(16, "float32-rewritten").with_suffix(".history.parquet"))
    with pytest.raises(ValueError, match="float32 run for seed 16 has 999 steps"):
        study.climb([16], "float32-rewritten")
    with pytest.raises(ValueError, match="no float32-rewritten run for seed 17"):
        study.climb([17], "float32-rewritten")


def test_noting_adam_notes_the_gradient_norm_and_steps_as_adam():
    weights = [torch.nn.Parameter(torch.tensor([1.0, -2.0])), torch.nn.Parameter(torch.tensor([[0.5]]))]
    twins = [torch.nn.Parameter(w.detach().clone()) for w in weights]
    noting, plain = forms.NotingAdam(weights, lr=0.1), torch.optim.Adam(twins, lr=0.1)
    for params, optimizer in ((weights, noting), (twins, plain)):
        for step in range(3):
            params[0].grad = torch.tensor([3.0, 0.0]) * (step + 1)
            params[1].grad = torch.tensor([[4.0]]) * (step + 1)
            optimizer.step()
    assert noting.norms == pytest.approx([5.0, 10.0, 15.0])
    for mine, theirs in zip(weights, twins):
        assert torch.equal(mine, theirs)

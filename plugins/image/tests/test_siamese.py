"""DM and DC augment siamese as DSA's reference does: per class one draw (one operation, one row),
applied to every real and every synthetic sample of that class; a fresh draw per class."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import torch

from ddif_core import MatcherContext
from ddif_core.data import ClassBank, LabelledData
from ddif_core.matchers.dc import DCOptions, GradientMatching
from ddif_core.matchers.dm import DistributionMatching, DMOptions
from ddif_core.mlp import MLP
from ddif_core.parameterization import VanillaOptions, VanillaParameterization
from ddif_image.dsa import OPS, sample_dsa_params
from ddif_image.modality import ImageModality

CLASSES, REAL_PER_CLASS, IPC = 10, 4, 2


def _augmented_batches(matcher, monkeypatch) -> tuple[torch.Tensor, torch.Tensor]:
    """Run one step on data where every real and synthetic sample is the same image; return the
    augmented samples (real then synthetic) and their classes, as the matcher fed them to its net."""
    mod = ImageModality(dataset="fashion-mnist")
    image = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))  # no symmetry
    y = torch.arange(CLASSES).repeat_interleave(REAL_PER_CLASS)
    real = ClassBank(LabelledData(image.expand(len(y), -1, -1, -1).clone(), y, mod.class_names))
    syn = VanillaParameterization(VanillaOptions(), VanillaParameterization.make_plan(VanillaOptions(), (1, 28, 28), IPC, {}),
                                  (1, 28, 28), CLASSES)
    with torch.no_grad():
        syn.values.copy_(image.expand(CLASSES * IPC, -1, -1, -1))
    seen: list[torch.Tensor] = []
    original = mod.augment

    def recording(x, params, slots=None):
        out = original(x, params, slots)
        seen.append(out.detach())
        return out

    monkeypatch.setattr(mod, "augment", recording)
    ctx = MatcherContext(mod, real, lambda name=None: MLP((1, 28, 28), CLASSES, width=8), torch.device("cpu"),
                         seed=0, ipc=IPC, sample_shape=(1, 28, 28), num_classes=CLASSES,
                         cache_dir=Path(tempfile.gettempdir()))
    torch.manual_seed(0)
    matcher.step(ctx, syn, torch.Generator().manual_seed(5))
    out = torch.cat(seen)
    classes = torch.cat([torch.arange(CLASSES).repeat_interleave(REAL_PER_CLASS),
                         torch.arange(CLASSES).repeat_interleave(IPC)])
    assert out.shape[0] == classes.shape[0]
    return out, classes


@pytest.mark.parametrize("matcher", [DistributionMatching(DMOptions(batch_real=REAL_PER_CLASS)),
                                     GradientMatching(DCOptions(batch_real=REAL_PER_CLASS, inner_loop=0))],
                         ids=["dm", "dc"])
def test_every_sample_of_a_class_shares_one_transform_and_classes_differ(matcher, monkeypatch):
    out, classes = _augmented_batches(matcher, monkeypatch)
    per_class = []
    for c in range(CLASSES):
        group = out[classes == c]  # REAL_PER_CLASS real + IPC synthetic samples
        assert torch.allclose(group, group[:1].expand_as(group), atol=1e-6), f"class {c} got several transforms"
        per_class.append(group[0])
    distinct = {tuple(v.flatten().round(decimals=4).tolist()) for v in per_class}
    assert len(distinct) >= CLASSES - 2, f"only {len(distinct)} different transforms for {CLASSES} classes"


def test_siamese_draw_picks_an_operation_per_slot():
    p = sample_dsa_params(400, torch.Generator().manual_seed(0), per_slot_op=True)
    assert isinstance(p.op, tuple) and len(p.op) == 400 and set(p.op) == set(OPS)
    mod = ImageModality(dataset="fashion-mnist")
    a = mod.sample_siamese_augmentation(3, torch.Generator().manual_seed(1))
    b = mod.sample_siamese_augmentation(3, torch.Generator().manual_seed(1))
    assert a.op == b.op and torch.equal(a.values, b.values)


def test_per_slot_operations_match_applying_each_slot_alone():
    from ddif_image.dsa import DSAParams, apply_dsa

    g = torch.Generator().manual_seed(2)
    x = torch.rand(6, 3, 8, 8, generator=g, requires_grad=True)
    params = DSAParams(("flip", "rotate", "crop"), torch.rand(3, 3, generator=g))
    slots = torch.tensor([2, 0, 1, 1, 0, 2])
    out = apply_dsa(x, params, slots)
    for i, s in enumerate(slots.tolist()):
        alone = apply_dsa(x[i : i + 1], DSAParams(params.op[s], params.values[s : s + 1]))
        assert torch.allclose(out[i], alone[0], atol=1e-6)
    out.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()

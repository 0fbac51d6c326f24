"""The pixel baseline (vanilla) steps its images with each loss's original optimiser; fields keep Adam."""

from __future__ import annotations

import pytest

from ddif_core import artifact
from ddif_core.engine import run
from ddif_core.parameterization import (DDiFOptions, DDiFParameterization, VanillaOptions,
                                        VanillaParameterization)

from test_engine import config

ORIGINAL = {"dm": ("sgd", 1.0, 0.5), "dc": ("sgd", 0.1, 0.5), "tm": ("sgd", 1000.0, 0.5)}


def _vanilla(**options) -> VanillaParameterization:
    opts = VanillaOptions(**options)
    return VanillaParameterization(opts, VanillaParameterization.make_plan(opts, (1, 4, 4), 1, {}), (1, 4, 4), 2)


@pytest.mark.parametrize("loss", sorted(ORIGINAL))
def test_vanilla_follows_the_original_optimiser_of_each_loss(registry, loss):
    baseline = registry.get("matchers", loss).pixel_baseline
    s = _vanilla().optimizer_settings(1e-4, baseline)
    assert (s.optimizer, s.lr, s.momentum) == ORIGINAL[loss]
    opt = s.build([{"params": list(_vanilla().parameters()), "lr": s.lr}])
    assert type(opt).__name__ == "SGD" and opt.param_groups[0]["momentum"] == ORIGINAL[loss][2]


def test_options_override_the_baseline_and_fields_keep_adam(registry):
    dm = registry.get("matchers", "dm").pixel_baseline
    s = _vanilla(lr=0.3).optimizer_settings(1e-4, dm)
    assert (s.optimizer, s.lr, s.momentum) == ("sgd", 0.3, 0.5)
    s = _vanilla(optimizer="adam").optimizer_settings(1e-4, dm)  # another optimiser: not DM's lr or momentum
    assert (s.optimizer, s.lr, s.momentum) == ("adam", 1e-4, 0.0)
    s = _vanilla().optimizer_settings(2e-3, {})  # a loss that declares no baseline
    assert (s.optimizer, s.lr) == ("adam", 2e-3)
    opts = DDiFOptions(layers=1, width=2)
    ddif = DDiFParameterization(opts, DDiFParameterization.make_plan(opts, (1, 4, 4), 1, {}), (1, 4, 4), 2)
    s = ddif.optimizer_settings(2e-3, dm)
    assert (s.optimizer, s.lr) == ("adam", 2e-3)


def test_vanilla_run_steps_with_sgd_and_resumes_its_momentum(tmp_path, registry):
    r = run(config(tmp_path, param="vanilla"), quiet=True, registry=registry)
    assert r.metrics["optimizer"] == {"optimizer": "sgd", "lr": 1.0, "momentum": 0.5}
    tensors, meta = artifact.load_checkpoint(r.run_dir)
    group = meta["optimizers"][0][0]  # the stored parameters' optimiser
    assert group["lr"] == 1.0 and group["momentum"] == 0.5 and "betas" not in group
    assert any(k.endswith("momentum_buffer") for k in tensors)
    d = run(config(tmp_path, name="ddif"), quiet=True, registry=registry)
    assert d.metrics["optimizer"]["optimizer"] == "adam"

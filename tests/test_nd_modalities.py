"""Toy 1-D and 3-D modalities, written against the public surface only, run DM and DC end to end:
distil -> evaluate -> decode -> interrupted and resumed (bit-identical)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from ddif_core import (DatasetInfo, LabelledData, Matcher, Modality, SyntheticSet, build_config, decode_run,
                       evaluate_run, hookimpl, run)
from ddif_core.plugins import Registry, load_plugins

SHAPES = {1: (2, 32), 3: (1, 8, 8, 8)}


def _make(dims: int) -> type[Modality]:
    shape = SHAPES[dims]

    class Bumps(Modality):
        """Gaussian bumps on an n-D grid, class = position along the first axis."""

        name = f"bumps{dims}d"
        default_dataset = "bumps"
        default_network = "convnet"

        @classmethod
        def datasets(cls) -> dict[str, DatasetInfo]:
            return {"bumps": DatasetInfo("bumps", shape, ("low", "mid", "high"), "generated", {1: (2, 4)})}

        def load(self, split: str) -> LabelledData:
            g = torch.Generator().manual_seed(0 if split == "train" else 1)
            n = 8 if split == "train" else 4
            axes = torch.meshgrid(*[torch.linspace(-1, 1, s) for s in shape[1:]], indexing="ij")
            y = torch.arange(3).repeat_interleave(n)
            centre = 0.25 * torch.randn(3 * n, dims, generator=g)
            centre[:, 0] += (y - 1).float() * 0.6
            dist = sum((a[None] - centre[:, i].view(-1, *[1] * dims)) ** 2 for i, a in enumerate(axes))
            x = torch.exp(-dist / 0.1).unsqueeze(1).expand(-1, shape[0], *shape[1:])
            return LabelledData(x.contiguous().float(), y, list(self.class_names))

    return Bumps


PLUGIN = type(sys)("nd_toy_plugin")


@hookimpl
def _register(register: Any) -> None:
    register(_make(1))
    register(_make(3))


PLUGIN.register_modalities = _register  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(load_plugins(entry_points=[], extra=[(PLUGIN, "ddif-ndtoy")]))


def _config(out: Path, dims: int, loss: str) -> Any:
    return build_config({"modality": f"bumps{dims}d", "loss": loss, "out": str(out)},
                        sets=["param.warmup_steps=30", "distill.iterations=3", "distill.checkpoint_every=1",
                              "eval.runs=1", "eval.epochs=2", "net.width=8", "matcher.batch_real=4"])


@pytest.mark.parametrize("dims", [1, 3])
@pytest.mark.parametrize("loss", ["dm", "dc"])
def test_distil_evaluate_decode_resume(tmp_path, registry, monkeypatch, dims, loss):
    a = run(_config(tmp_path / "a", dims, loss), quiet=True, registry=registry)
    assert a.metrics["num_decoded"] == 3 * a.metrics["items_per_class"] and len(a.metrics["loss_history"]) == 3
    x, y = SyntheticSet.load(a.run_dir, registry).decode()
    assert tuple(x.shape[1:]) == SHAPES[dims] and torch.isfinite(x).all()

    matcher = registry.get("matchers", loss)
    original = matcher.step
    calls = {"n": 0}

    def dies_in_iteration_three(self: Matcher, *args: Any) -> torch.Tensor:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(matcher, "step", dies_in_iteration_three)
    with pytest.raises(KeyboardInterrupt):
        run(_config(tmp_path / "b", dims, loss), quiet=True, registry=registry)
    monkeypatch.setattr(matcher, "step", original)
    b = run(_config(tmp_path / "b", dims, loss), resume=True, quiet=True, registry=registry)
    assert a.metrics["loss_history"] == b.metrics["loss_history"]
    assert a.metrics["accuracies"] == b.metrics["accuracies"]

    finer = tuple(2 * s for s in SHAPES[dims][1:])
    res = evaluate_run(a.run_dir, resolution=finer, runs=1, epochs=1, quiet=True, registry=registry)
    assert res["resolution"] == list(finer)
    out = decode_run(a.run_dir, tmp_path / "decoded", resolution=finer, registry=registry)
    assert out["format"] == "npy" and out["files"] == x.shape[0]
    first = np.load(next((tmp_path / "decoded").rglob("*.npy")), allow_pickle=False)
    assert first.shape == (SHAPES[dims][0], *finer)


@pytest.mark.parametrize("dims", [1, 3])
def test_vanilla_set_at_another_resolution(tmp_path, registry, dims):
    """A vanilla n-D set is resized by the modality (area / linear on 1-D and 3-D), never an internal error."""
    config = build_config({"modality": f"bumps{dims}d", "loss": "dm", "out": str(tmp_path / "v"), "param": "vanilla"},
                          sets=["distill.iterations=2", "eval.runs=1", "eval.epochs=1", "net.width=8",
                                "matcher.batch_real=4"])
    a = run(config, quiet=True, registry=registry)
    finer = tuple(2 * s for s in SHAPES[dims][1:])
    res = evaluate_run(a.run_dir, resolution=finer, runs=1, epochs=1, quiet=True, registry=registry)
    assert res["resolution"] == list(finer) and res["num_decoded"] == 3
    out = decode_run(a.run_dir, tmp_path / "decoded", resolution=finer, registry=registry)
    first = np.load(next((tmp_path / "decoded").rglob("*.npy")), allow_pickle=False)
    assert out["files"] == 3 and first.shape == (SHAPES[dims][0], *finer) and np.isfinite(first).all()

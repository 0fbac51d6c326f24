"""docs/plugins/hooks.md documents every hook with its exact signature, and every hook is exercised here.

This module is itself a plugin implementing all the hooks; a hookspec added without a documented signature,
or without an implementation in this test plugin, fails.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import Any

import click
import torch
from click.testing import CliRunner

from ddif_core import hookimpl, hookspecs
from ddif_core.plugins import Registry, load_plugins

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins" / "hooks.md"


def hookspec_signatures() -> dict[str, str]:
    out = {}
    for name, fn in vars(hookspecs).items():
        if callable(fn) and hasattr(fn, "ddif_spec"):
            out[name] = f"{name}({', '.join(inspect.signature(fn).parameters)})"
    return out


def test_every_hook_is_documented_with_its_exact_signature():
    specs = hookspec_signatures()
    assert len(specs) >= 6, sorted(specs)
    documented = dict(re.findall(r"^## `((register_\w+)\([^)]*\))`", DOC.read_text(), flags=re.M))
    documented = {name: sig for sig, name in documented.items()}
    assert set(documented) == set(specs), f"hooks.md documents {sorted(documented)}, hookspecs has {sorted(specs)}"
    for name, sig in specs.items():
        assert documented[name] == sig, f"hooks.md says {documented[name]}, the hookspec is {sig}"


# ---- this module as a plugin implementing every hook ---------------------------------------------
@hookimpl
def register_modalities(register: Any) -> None:
    from ddif_core.testing import ToyModality

    register(type("HookToy", (ToyModality,), {"name": "hook-toy"}))


@hookimpl
def register_matchers(register: Any) -> None:
    from ddif_core import Matcher

    class MeanMatching(Matcher):
        """Match the per-class mean instance (a tiny loss for this test)."""

        name = "hook-mean"

        def step(self, ctx: Any, synthetic: Any, generator: torch.Generator) -> torch.Tensor:
            idx = ctx.real.sample_indices(4, generator)  # (C, b)
            real = ctx.real.get(idx.reshape(-1)).reshape(ctx.num_classes, idx.shape[1], -1).mean(1)
            syn = synthetic.decode().reshape(ctx.num_classes, -1, real.shape[-1]).mean(1)
            return (real - syn).square().sum()

    register(MeanMatching)


@hookimpl
def register_networks(register: Any) -> None:
    from ddif_core import ConvNet, NetworkDef

    register(NetworkDef("hook-convnet", lambda shape, classes, options: ConvNet(shape[0], classes, tuple(shape[1:]),
                                                                               width=8, depth=1)))


@hookimpl
def register_parameterizations(register: Any) -> None:
    from ddif_core.parameterization import VanillaParameterization

    register(type("HookPixels", (VanillaParameterization,), {"name": "hook-pixels"}))


@hookimpl
def register_generators(register: Any) -> None:
    from ddif_core import DataGenerator

    class Empty(DataGenerator):
        name = "hook-empty"
        modality = "hook-toy"

        def make(self, out_dir: Path, options: Any, progress: Any = None) -> None:
            (Path(out_dir) / "README").write_text("empty\n")

    register(Empty)


@hookimpl
def register_commands(cli: Any) -> None:
    @cli.command("hook-hello")
    def hello() -> None:
        click.echo("hello from a plugin")


def test_every_hook_is_implemented_and_registers_its_item():
    me = sys.modules[__name__]
    implemented = {n for n in hookspec_signatures() if hasattr(getattr(me, n, None), "ddif_impl")}
    assert implemented == set(hookspec_signatures()), "add the new hook to this test plugin"
    reg = Registry(load_plugins(entry_points=[], extra=[(me, "ddif-hooktest")]))
    assert not reg.errors, reg.errors
    for kind, name in [("modalities", "hook-toy"), ("matchers", "hook-mean"), ("networks", "hook-convnet"),
                       ("parameterizations", "hook-pixels"), ("generators", "hook-empty")]:
        assert reg.entry(kind, name).distribution == "ddif-hooktest"
    net = reg.get("networks", "hook-convnet").build((1, 8, 8), 3, None)
    assert net(torch.zeros(2, 1, 8, 8)).shape == (2, 3)
    group = click.Group("ddif")
    register_commands(group)
    assert CliRunner().invoke(group, ["hook-hello"]).output == "hello from a plugin\n"


def test_a_run_through_the_plugged_matcher_and_parameterization(tmp_path):
    from ddif_core import build_config, run

    reg = Registry(load_plugins(entry_points=[], extra=[(sys.modules[__name__], "ddif-hooktest")]))
    config = build_config({"modality": "hook-toy", "loss": "hook-mean", "param": "hook-pixels",
                           "out": str(tmp_path / "r")}, sets=["distill.iterations=2", "eval.runs=1",
                                                             "eval.epochs=1", "eval.net=hook-convnet"])
    result = run(config, quiet=True, registry=reg)
    assert result.metrics["num_decoded"] == 3 and len(result.metrics["loss_history"]) == 2

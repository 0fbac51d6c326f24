"""What a plugin hands the engine is checked at the boundary, and the error names the distribution."""

import types
from pathlib import Path

import pytest
import torch

from ddif_core import NetworkDef, testing
from ddif_core.config import build_config
from ddif_core.data import ArrayDataset, LabelledData
from ddif_core.engine import run
from ddif_core.errors import DataError, PluginError
from ddif_core.hookspecs import hookimpl
from ddif_core.mlp import MLP
from ddif_core.plugins import Registry, load_plugins

SETS = ["param.warmup_steps=5", "distill.iterations=1", "matcher.batch_real=4", "eval.runs=1", "eval.epochs=1",
        "modality.per_class=4"]


def _registry(*classes: type, networks: tuple[NetworkDef, ...] = ()) -> Registry:
    mod = types.ModuleType("brokenplugin")
    mod.register_modalities = hookimpl(lambda register: [register(c) for c in classes])
    if networks:
        mod.register_networks = hookimpl(lambda register: [register(n) for n in networks])
    return Registry(load_plugins(entry_points=[], extra=[(testing, "ddif-testing"), (mod, "ddif-broken")]))


def _run(tmp_path: Path, reg: Registry, modality: str, *sets: str) -> None:
    config = build_config({"modality": modality, "loss": "dm", "out": str(tmp_path / "run"), "device": "cpu"},
                          None, [*SETS, *sets], testing.ToyModality.presets)
    run(config, quiet=True, registry=reg)


class Float64Toy(testing.ToyModality):
    name = "f64toy"

    def load(self, split: str) -> LabelledData:
        data = super().load(split)
        return LabelledData(data.x.double(), data.y, data.class_names)


class NaNToy(testing.ToyModality):
    name = "nantoy"

    def load(self, split: str) -> LabelledData:
        data = super().load(split)
        x = data.x.clone()
        x[2, 0, 1, 1] = float("nan")
        x[5, 0, 0, 0] = float("inf")
        return LabelledData(x, data.y, data.class_names)


class StreamedNaNToy(testing.ToyModality):
    name = "streamnantoy"

    def load(self, split: str) -> ArrayDataset:
        data = super().load(split)
        x = data.x.clone().numpy()
        x[0, 0, 0, 0] = float("nan")
        return ArrayDataset(x, data.y, data.class_names)


class LyingShapeToy(testing.ToyModality):
    """Says its instances are 1x8x8, but get() gives 1x4x4."""

    name = "lyingtoy"

    def load(self, split: str) -> ArrayDataset:
        data = super().load(split)
        ds = ArrayDataset(data.x.numpy(), data.y, data.class_names, transform=lambda b: b[..., :4, :4])
        return ds


class NotADatasetToy(testing.ToyModality):
    name = "tupletoy"

    def load(self, split: str):  # type: ignore[override]
        data = super().load(split)
        return data.x, data.y


class WrongNetToy(testing.ToyModality):
    name = "wrongnettoy"
    default_network = "fivelogits"


class _FiveLogits(MLP):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x)[:, :2]


FIVE = NetworkDef(name="fivelogits", build=lambda shape, classes, opts: _FiveLogits(shape, classes, width=8),
                  description="gives 2 logits whatever the classes")


@pytest.mark.parametrize("cls, match", [
    (Float64Toy, r"modality 'f64toy' \(from ddif-broken\) loaded train instances of dtype float64; expected float32"),
    (NaNToy, r"modality 'nantoy' \(from ddif-broken\) loaded 2 train instance\(s\) with NaN or inf values"),
    (StreamedNaNToy, r"modality 'streamnantoy' \(from ddif-broken\) loaded 1 train instance\(s\) among the first 12 "
                     r"with NaN"),
    (LyingShapeToy, r"modality 'lyingtoy' \(from ddif-broken\): the train dataset says its instances are \(1, 8, 8\) "
                    r"but get\(\) gave a batch of shape \(12, 1, 4, 4\)"),
    (NotADatasetToy, r"modality 'tupletoy' \(from ddif-broken\): load\('train'\) returned tuple"),
])
def test_bad_loaded_data_names_the_distribution(tmp_path, cls, match):
    with pytest.raises(DataError, match=match):
        _run(tmp_path, _registry(cls), cls.name)
    assert not (tmp_path / "run").exists()


def test_non_finite_rows_are_counted_in_chunks():
    from ddif_core.session import _non_finite_rows

    x = torch.zeros(50, 2, 3)
    x[3, 1, 2], x[3, 0, 0], x[49, 0, 1] = float("nan"), float("inf"), -float("inf")
    assert _non_finite_rows(x, chunk_values=7) == 2 and _non_finite_rows(x[:3]) == 0
    assert _non_finite_rows(torch.zeros(0, 4)) == 0


class _Raising(MLP):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")


class RaisingNetToy(testing.ToyModality):
    name = "raisingtoy"
    default_network = "raising"


RAISING = NetworkDef(name="raising", build=lambda shape, classes, opts: _Raising(shape, classes, width=8))


def test_network_that_raises_is_named_with_its_distribution(tmp_path):
    with pytest.raises(PluginError, match=r"network 'raising' \(from ddif-broken\): forward of a batch of shape "
                                          r"\(2, 1, 8, 8\) raised RuntimeError: mat1 and mat2"):
        _run(tmp_path, _registry(RaisingNetToy, networks=(RAISING,)), "raisingtoy", "eval.net=raising")


def test_network_with_wrong_output_names_network_and_distribution(tmp_path):
    reg = _registry(WrongNetToy, networks=(FIVE,))
    with pytest.raises(PluginError, match=r"network 'fivelogits' \(from ddif-broken\): forward of a batch of shape "
                                          r"\(2, 1, 8, 8\) gave \(2, 2\); expected \(2, 3\) logits"):
        _run(tmp_path, reg, "wrongnettoy", "eval.net=fivelogits")


class _Dropping(MLP):
    """Draws from the global random state in forward (dropout), as many real networks do."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.dropout(super().forward(x), 0.5, training=True)


class DroppingToy(testing.ToyModality):
    name = "droptoy"
    default_network = "dropping"


DROPPING = NetworkDef(name="dropping", build=lambda shape, classes, opts: _Dropping(shape, classes, width=8))


def test_probe_runs_once_and_leaves_the_random_state_alone():
    from ddif_core.session import resolve_parts

    config = build_config({"modality": "droptoy", "loss": "dm", "device": "cpu"}, None, SETS)
    parts = resolve_parts(config, _registry(DroppingToy, networks=(DROPPING,)))
    cpu = torch.device("cpu")
    torch.manual_seed(3)
    first = parts.network(None, (1, 8, 8), cpu)  # probed
    after_probe = torch.rand(4)
    assert parts.checked == {"dropping@(1, 8, 8)"}
    torch.manual_seed(3)
    second = parts.network(None, (1, 8, 8), cpu)  # not probed again
    assert torch.equal(torch.rand(4), after_probe)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))

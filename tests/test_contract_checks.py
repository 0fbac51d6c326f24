"""check_network and check_generator: they pass on good parts and fail with a message that says what to fix."""

from __future__ import annotations

import pytest
import torch

from ddif_core import NetworkDef
from ddif_core.plugins import get_registry
from ddif_core.testing import ToyGenerator, ToyModality, check_generator, check_network


@pytest.mark.parametrize("name, shape", [("convnet", (1, 16)), ("convnet", (3, 16, 16)), ("convnet", (1, 8, 8, 8)),
                                         ("mlp", (2, 6, 6))])
def test_core_networks_pass(name, shape):
    check_network(get_registry().entry("networks", name).obj, shape, 4)


class NoEmbed(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1))


def test_a_network_without_embed_is_named():
    bad = NetworkDef("noembed", lambda shape, classes, options: NoEmbed())
    with pytest.raises(AssertionError, match="needs embed"):
        check_network(bad, (1, 4, 4), 3)


def test_a_network_with_wrong_logits_is_named():
    bad = NetworkDef("wrong", lambda shape, classes, options: NoEmbed())
    with pytest.raises(AssertionError, match=r"gave \(3, 3\); expected \(3, 5\) logits"):
        check_network(bad, (1, 4, 4), 5)


def test_toy_generator_passes_and_reads_back(tmp_path):
    out = check_generator(ToyGenerator, work_dir=tmp_path)
    assert any(out.iterdir())


def test_a_nondeterministic_generator_is_named(tmp_path):
    import os

    class Noisy(ToyGenerator):
        name = "noisy"

        def make(self, out_dir, options, progress=None):  # type: ignore[no-untyped-def]
            (out_dir / "x.bin").write_bytes(os.urandom(8))

    with pytest.raises(AssertionError, match="x.bin differs between two runs with one seed"):
        check_generator(Noisy, work_dir=tmp_path)


def test_check_modality_names_lax_options_and_a_short_export():
    from pydantic import BaseModel

    from ddif_core.testing import check_modality

    class Lax(BaseModel):
        size: int = 8
        per_class: int = 40

    class LaxToy(ToyModality):
        Options = Lax  # type: ignore[assignment]

    with pytest.raises(AssertionError, match="Options accepts an unknown key"):
        check_modality(LaxToy)

    class ShortExport(ToyModality):
        export_formats = ("txt",)

        def render(self, x, y, out_dir, purpose, fmt=None):  # type: ignore[no-untyped-def]
            made = super().render(x, y, out_dir, purpose, fmt)
            return made[:-1] if purpose == "export" else made

    with pytest.raises(AssertionError, match=r"render\('export', 'txt'\) wrote 3 files for 4 instances"):
        check_modality(ShortExport)


def test_check_modality_names_a_missing_class_a_bad_network_and_a_warmup_that_does_not_fit():
    from ddif_core import NetworkDef
    from ddif_core.data import LabelledData
    from ddif_core.mlp import MLP
    from ddif_core.testing import check_modality

    class NoRightInTrain(ToyModality):
        def load(self, split):  # type: ignore[no-untyped-def]
            data = super().load(split)
            keep = data.y != 2 if split == "train" else torch.ones_like(data.y, dtype=torch.bool)
            return LabelledData(data.x[keep], data.y[keep], data.class_names)

    with pytest.raises(AssertionError, match=r"toy: the train split has no instance of class\(es\) \[2\]"):
        check_modality(NoRightInTrain)

    class TwoLogits(MLP):
        def forward(self, x):  # type: ignore[no-untyped-def]
            return super().forward(x)[:, :2]

    two = NetworkDef(name="twologits", build=lambda shape, classes, opts: TwoLogits(shape, classes, width=8))
    with pytest.raises(AssertionError, match=r"toy: on loaded instances, network 'twologits': forward of "
                                             r"\(3, 1, 8, 8\) gave \(3, 2\); expected \(3, 3\) logits"):
        check_modality(ToyModality, network=two)

    with pytest.raises(AssertionError, match=r"toy: a warm-up of 4 fields \(layers 2, width 4, w0 30.0/30.0\) for 0 "
                                             r"steps did not lower the reconstruction error"):
        check_modality(ToyModality, warmup_steps=0)

import pytest
import torch

from ddif_core import artifact, testing
from ddif_core.matchers.dc import GradientMatching, gradient_distance
from ddif_core.engine import run

from test_engine import config


def test_distance_of_identical_gradients_is_zero_and_opposite_is_two_per_unit():
    g = {"w": torch.randn(3, 4, 5, 2, 2), "b": torch.randn(3, 4)}
    assert gradient_distance(g, g).item() == pytest.approx(0.0, abs=1e-5)
    neg = {k: -v for k, v in g.items()}
    assert gradient_distance(g, neg).item() == pytest.approx(2.0 * 3 * 4, rel=1e-5)  # 3 classes x 4 units


def test_distance_by_hand():
    a = {"w": torch.tensor([[[1.0, 0.0], [1.0, 1.0]]])}  # 1 class, 2 output units
    b = {"w": torch.tensor([[[0.0, 2.0], [2.0, 2.0]]])}
    # unit 0: orthogonal -> 1; unit 1: parallel -> 0
    assert gradient_distance(a, b).item() == pytest.approx(1.0, abs=1e-5)


def test_every_registered_matcher_passes_the_contract(registry):
    names = registry.names("matchers")
    assert names == ["dc", "dm", "tm"]
    for name in names:
        losses = testing.check_matcher(registry.get("matchers", name))
        assert len(losses) == 2 and all(v >= 0 for v in losses), name


def test_dc_resume_is_identical(tmp_path, registry, monkeypatch):
    sets = ("matcher.outer_loop=3", "matcher.inner_loop=2", "distill.iterations=5")
    a = run(config(tmp_path, *sets, name="a", loss="dc"), quiet=True, registry=registry)
    calls = {"n": 0}
    original = GradientMatching.step

    def flaky(self, ctx, synthetic, generator):
        calls["n"] += 1
        if calls["n"] == 4:  # after the checkpoint at iteration 2, inside an outer loop
            raise KeyboardInterrupt
        return original(self, ctx, synthetic, generator)

    monkeypatch.setattr(GradientMatching, "step", flaky)
    with pytest.raises(KeyboardInterrupt):
        run(config(tmp_path, *sets, name="b", loss="dc"), quiet=True, registry=registry)
    monkeypatch.setattr(GradientMatching, "step", original)
    b = run(config(tmp_path, *sets, name="b", loss="dc"), resume=True, quiet=True, registry=registry)
    ta, _ = artifact.read_safetensors(a.run_dir / "synthetic.safetensors", "a")
    tb, _ = artifact.read_safetensors(b.run_dir / "synthetic.safetensors", "b")
    for k in ta:
        assert torch.equal(ta[k], tb[k]), k
    assert a.metrics["final_loss"] == b.metrics["final_loss"]

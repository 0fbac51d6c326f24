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
        assert len(losses) == 2 and losses[0] != losses[1], name  # fresh batches (and nets) per iteration


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


def test_inner_loop_trains_epochs_over_the_whole_synthetic_set(tmp_path, monkeypatch):
    from ddif_core.data import ClassBank
    from ddif_core.matcher import MatcherContext
    from ddif_core.matchers import dc
    from ddif_core.mlp import MLP
    from ddif_core.parameterization import Plan, VanillaOptions, VanillaParameterization

    batches: list[list[int]] = []
    shared = dc.train_sgd

    def spy(net, fetch, n, schedule, modality, generator, on_epoch=None):
        assert schedule.lr == 0.05 and schedule.momentum == 0.0 and schedule.epochs == 2
        def recording(idx):
            batches.append(sorted(idx.tolist()))
            return fetch(idx)
        return shared(net, recording, n, schedule, modality, generator, on_epoch)

    monkeypatch.setattr(dc, "train_sgd", spy)
    mod = testing.ToyModality()
    real = ClassBank(mod.load("train"))
    ctx = MatcherContext(mod, real, lambda name=None: MLP(mod.sample_shape, 3), torch.device("cpu"),
                         seed=0, ipc=3, sample_shape=mod.sample_shape, num_classes=3, cache_dir=tmp_path)
    syn = VanillaParameterization(VanillaOptions(), Plan(3, 64, {}), mod.sample_shape, 3)  # 9 instances
    syn.initialize(real, torch.Generator().manual_seed(0))
    m = GradientMatching(GradientMatching.Options(outer_loop=2, inner_loop=2, batch_train=4, batch_real=4, lr_net=0.05))
    m.prepare(ctx)
    m.step(ctx, syn, torch.Generator().manual_seed(0))  # a fresh network: no training before it
    assert batches == []
    m.step(ctx, syn, torch.Generator().manual_seed(1))  # 2 epochs over all 9 instances in batches of 4
    assert [len(b) for b in batches] == [4, 4, 1, 4, 4, 1]
    assert sorted(sum(batches[:3], [])) == sorted(sum(batches[3:], [])) == list(range(9))
    batches.clear()
    m.step(ctx, syn, torch.Generator().manual_seed(2))  # outer_loop reached: a new network, no training
    assert batches == []
    assert m.loops(1) == (2, 2) and GradientMatching().loops(10) == (10, 50) and GradientMatching().loops(12) == (10, 50)

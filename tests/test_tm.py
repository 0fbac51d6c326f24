import contextlib

import pytest
import torch

from ddif_core import artifact, testing
from ddif_core.engine import run
from ddif_core.matchers.tm import TrajectoryMatching, tm_loss
from ddif_core.runs import evaluate_run
from ddif_core.synthetic import SyntheticSet

from test_engine import config

TM = ("matcher.num_experts=1", "matcher.max_start_epoch=2", "matcher.expert_epochs=1", "matcher.syn_steps=3",
      "matcher.expert_batch=16")


def test_loss_by_hand():
    start, target = torch.zeros(4), torch.tensor([2.0, 0.0, 0.0, 0.0])
    assert tm_loss(target.clone(), start, target).item() == 0.0  # the student lands on the target
    assert tm_loss(start.clone(), start, target).item() == 1.0  # zero steps: the normalised initial distance
    assert tm_loss(torch.tensor([1.0, 0.0, 0.0, 0.0]), start, target).item() == pytest.approx(0.25)


def test_tm_passes_the_matcher_contract_and_learns_its_step_size():
    opts = TrajectoryMatching.Options(num_experts=1, max_start_epoch=2, expert_epochs=1, syn_steps=2, expert_batch=16)
    losses = testing.check_matcher(TrajectoryMatching, opts)
    assert len(losses) == 2 and losses[0] != losses[1]  # another start epoch / batch each iteration


def test_zero_steps_equals_one(tmp_path, registry):
    r = run(config(tmp_path, *TM, "matcher.syn_steps=0", "distill.iterations=0", loss="tm"), quiet=True,
            registry=registry)
    assert r.metrics["iterations"] == 0
    m = TrajectoryMatching(TrajectoryMatching.Options(num_experts=1, max_start_epoch=2, expert_epochs=1, syn_steps=0,
                                                      expert_batch=16))
    from ddif_core.matcher import MatcherContext
    from ddif_core.data import ClassBank
    from ddif_core.mlp import MLP

    mod = testing.ToyModality()
    ctx = MatcherContext(mod, ClassBank(mod.load("train")), lambda name=None: MLP(mod.sample_shape, 3),
                         torch.device("cpu"), seed=0, ipc=1, sample_shape=mod.sample_shape, num_classes=3,
                         cache_dir=tmp_path / "cache")
    m.prepare(ctx)
    syn = SyntheticSet.load(r.run_dir, registry).parameterization
    assert m.step(ctx, syn, torch.Generator().manual_seed(0)).item() == pytest.approx(1.0)


def test_tm_run_caches_experts_and_evaluates_with_learned_lr(tmp_path, registry):
    r = run(config(tmp_path, *TM, loss="tm"), quiet=True, registry=registry)
    experts = list((tmp_path / ".cache" / "experts").glob("*/expert_0.safetensors"))
    assert len(experts) == 1
    traj, meta = artifact.read_safetensors(experts[0], "expert")
    assert traj["trajectory"].shape[0] == 2 + 1 + 1  # max_start_epoch + expert_epochs + the initial snapshot
    syn = SyntheticSet.load(r.run_dir, registry)
    lr = float(syn.extra["syn_lr"])
    assert syn.meta["eval_defaults"] == {"lr": pytest.approx(lr)}
    assert lr != 0.01  # the step size was optimised
    assert r.metrics["eval_lr"] == pytest.approx(lr)  # ... and is the evaluation learning rate
    stamp = experts[0].stat().st_mtime_ns
    run(config(tmp_path, *TM, name="again", loss="tm"), quiet=True, registry=registry)
    assert experts[0].stat().st_mtime_ns == stamp  # reused from the cache, not retrained
    res = evaluate_run(r.run_dir, runs=1, epochs=1, quiet=True, registry=registry)
    assert res["runs"] == 1


def test_run_that_would_not_fit_fails_before_anything_is_written(tmp_path, registry):
    from ddif_core.errors import ConfigError

    cfg = config(tmp_path, *TM, "matcher.memory_limit_gb=1e-6", loss="tm")
    with pytest.raises(ConfigError, match=r"trajectory matching would keep about .* GiB for 3 unrolled steps"):
        run(cfg, quiet=True, registry=registry)
    assert not (tmp_path / "run").exists() and not (tmp_path / ".cache").exists()


def test_experts_command_is_cached_and_longer_trajectories_serve_shorter_runs(tmp_path, capsys, monkeypatch):
    from ddif_core import plugins
    from ddif_core.cli import main

    monkeypatch.setattr(plugins.metadata, "entry_points", lambda group: [])
    monkeypatch.setattr(plugins, "_default_plugins", lambda: plugins.load_plugins(entry_points=[],
                        extra=[(testing, "ddif-testing")]))
    plugins.get_registry.cache_clear()
    try:
        args = ["experts", "--modality", "toy", "--out", str(tmp_path / ".cache"), "--epochs", "4", "-q",
                "--set", "matcher.num_experts=2", "--set", "matcher.expert_batch=16", "--set", "modality.per_class=12"]
        assert main(args) == 0, capsys.readouterr().err
        files = sorted((tmp_path / ".cache" / "experts").glob("*/expert_*.safetensors"))
        assert len(files) == 2
        assert artifact.read_safetensors(files[0], "e")[0]["trajectory"].shape[0] == 5
        stamps = [f.stat().st_mtime_ns for f in files]
        registry = plugins.get_registry()
        run(config(tmp_path, *TM, "matcher.num_experts=2", loss="tm"), quiet=True, registry=registry)
        assert [f.stat().st_mtime_ns for f in files] == stamps  # 4-epoch experts serve a 3-epoch run
        assert main(["experts", "--modality", "toy", "--loss", "dm"]) == 2  # no such option: experts are TM's
    finally:
        plugins.get_registry.cache_clear()


def test_step_size_is_sgd_with_momentum_and_clamped_from_below_after_each_step():
    from ddif_core.distill import Optimizers
    from ddif_core.parameterization import Plan, VanillaOptions, VanillaParameterization

    m = TrajectoryMatching(TrajectoryMatching.Options(lr_lr=1.0, lr_teacher=0.01, min_step_size=1e-3))
    (group,) = m.param_groups()
    assert group.params == {"syn_lr": m.syn_lr} and group.optimizer == "sgd" and group.momentum == 0.5
    syn = VanillaParameterization(VanillaOptions(), Plan(1, 4, {}), (1, 2, 2), 2)
    opts = Optimizers.build(syn, m, lr=1e-3)
    sgd = opts.groups[0][1]
    assert isinstance(sgd, torch.optim.SGD) and sgd.param_groups[0]["momentum"] == 0.5
    assert sgd.param_groups[0]["lr"] == 1.0
    opts.step(m.syn_lr * 100.0 + syn.values.sum())  # a step of -100 would make the step size negative
    assert m.syn_lr.item() == pytest.approx(1e-3)
    opts.step(m.syn_lr * -1.0 + syn.values.sum())  # upwards: the clamp does not hold it down
    assert m.syn_lr.item() > 1e-3
    assert m.eval_defaults() == {"lr": pytest.approx(m.syn_lr.item())}


def test_fewer_experts_than_recommended_logs_a_warning(tmp_path):
    from ddif_core.data import ClassBank
    from ddif_core.matcher import MatcherContext
    from ddif_core.mlp import MLP

    lines = []
    console = type("C", (), {"log": lambda self, msg: lines.append(msg),
                             "bar": lambda self, desc, total: contextlib.nullcontext(type("B", (), {
                                 "n": 0, "refresh": lambda self: None})())})()
    mod = testing.ToyModality()
    ctx = MatcherContext(mod, ClassBank(mod.load("train")), lambda name=None: MLP(mod.sample_shape, 3),
                         torch.device("cpu"), seed=0, ipc=1, sample_shape=mod.sample_shape, num_classes=3,
                         cache_dir=tmp_path, console=console)
    opts = dict(max_start_epoch=1, expert_epochs=1, expert_batch=64)
    TrajectoryMatching(TrajectoryMatching.Options(num_experts=1, recommended_experts=3, **opts)).build_experts(ctx)
    assert any("1 expert trajectories, fewer than the 3" in line for line in lines)
    lines.clear()
    TrajectoryMatching(TrajectoryMatching.Options(num_experts=1, recommended_experts=1, **opts)).build_experts(ctx)
    assert not any("fewer than" in line for line in lines)


def _toy_cli(monkeypatch):
    from ddif_core import plugins

    monkeypatch.setattr(plugins.metadata, "entry_points", lambda group: [])
    monkeypatch.setattr(plugins, "_default_plugins", lambda: plugins.load_plugins(entry_points=[],
                        extra=[(testing, "ddif-testing")]))
    plugins.get_registry.cache_clear()


def test_tm_run_interrupted_and_resumed_through_the_cli_is_bit_identical(tmp_path, capsys, monkeypatch):
    import json

    from ddif_core import plugins
    from ddif_core.cli import main

    _toy_cli(monkeypatch)
    base = ["run", "--modality", "toy", "--loss", "tm", "--device", "cpu", "-q", "--json",
            *[a for s in (*TM, "param.warmup_steps=20", "distill.iterations=4", "distill.checkpoint_every=2",
                         "distill.lr=1e-3", "matcher.lr_lr=1e-3", "eval.runs=2", "eval.epochs=3", "eval.net=mlp",
                         "modality.per_class=12") for a in ("--set", s)]]
    try:
        assert main([*base, "--out", str(tmp_path / "a")]) == 0, capsys.readouterr().err
        whole = json.loads(capsys.readouterr().out)
        original = TrajectoryMatching.step
        calls = {"n": 0}

        def flaky(self, ctx, synthetic, generator):
            calls["n"] += 1
            if calls["n"] == 5:  # call 1 is the memory probe; dies in iteration 3, after the checkpoint at 2
                raise KeyboardInterrupt
            return original(self, ctx, synthetic, generator)

        monkeypatch.setattr(TrajectoryMatching, "step", flaky)
        assert main([*base, "--out", str(tmp_path / "b")]) == 130
        assert artifact.load_checkpoint(tmp_path / "b")[1]["iteration"] == 2
        monkeypatch.setattr(TrajectoryMatching, "step", original)
        capsys.readouterr()
        assert main(["run", "--resume", "--out", str(tmp_path / "b"), "-q", "--json"]) == 0, capsys.readouterr().err
        resumed = json.loads(capsys.readouterr().out)
    finally:
        plugins.get_registry.cache_clear()
    assert whole["eval_lr"] != 0.01 and whole["eval"]["lr"] == whole["eval_lr"]  # the learned step size
    for key in ("accuracies", "eval_lr", "eval", "final_loss", "loss_history"):
        assert resumed[key] == whole[key], key
    ta, _ = artifact.read_safetensors(tmp_path / "a" / "synthetic.safetensors", "a")
    tb, _ = artifact.read_safetensors(tmp_path / "b" / "synthetic.safetensors", "b")
    assert ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)
    saved = json.loads((tmp_path / "b" / "config.json").read_text())
    assert saved["eval_resolved"]["lr"] == whole["eval_lr"] and saved["eval_learned"] == {"lr": whole["eval_lr"]}

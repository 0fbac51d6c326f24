import pytest
import torch

from ddif_core import artifact, testing
from ddif_core.engine import run
from ddif_core.matchers.tm import TrajectoryMatching, tm_loss
from ddif_core.runs import evaluate_run

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
    assert all(v > 0 for v in losses)


def test_zero_steps_equals_one(tmp_path, registry):
    r = run(config(tmp_path, *TM, "matcher.syn_steps=0", "distill.iterations=0", loss="tm"), quiet=True,
            registry=registry)
    assert r.metrics["iterations"] == 0
    m = TrajectoryMatching(TrajectoryMatching.Options(num_experts=1, max_start_epoch=2, expert_epochs=1, syn_steps=0,
                                                      expert_batch=16))
    from ddif_core.matcher import DistillContext
    from ddif_core.data import ClassBank
    from ddif_core.mlp import MLP

    mod = testing.ToyModality()
    ctx = DistillContext(mod, ClassBank(mod.load("train")), lambda name=None: MLP(mod.sample_shape, 3), torch.device("cpu"),
                         0, tmp_path / "cache")
    m.prepare(ctx)
    syn = artifact.SyntheticSet.load(r.run_dir, registry).parameterization
    assert m.step(ctx, syn, torch.Generator().manual_seed(0)).item() == pytest.approx(1.0)


def test_tm_run_caches_experts_and_evaluates_with_learned_lr(tmp_path, registry):
    r = run(config(tmp_path, *TM, loss="tm"), quiet=True, registry=registry)
    experts = list((tmp_path / ".cache" / "experts").glob("*/expert_0.safetensors"))
    assert len(experts) == 1
    traj, meta = artifact.read_safetensors(experts[0], "expert")
    assert traj["trajectory"].shape[0] == 2 + 1 + 1  # max_start_epoch + expert_epochs + the initial snapshot
    syn = artifact.SyntheticSet.load(r.run_dir, registry)
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

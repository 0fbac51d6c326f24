import json
import statistics
import types
from pathlib import Path

import pytest
import torch

from ddif_core import artifact, testing
from ddif_core.config import build_config
from ddif_core.engine import run
from ddif_core.errors import ConfigError, DataError, TrainingError
from ddif_core.hookspecs import hookimpl
from ddif_core.matcher import Matcher
from ddif_core.matchers.dm import DistributionMatching
from ddif_core.plugins import Registry, load_plugins
from ddif_core.runs import decode_run, evaluate_run
from ddif_core.synthetic import SyntheticSet

TINY = ["param.warmup_steps=30", "distill.iterations=4", "distill.checkpoint_every=2", "distill.lr=1e-3",
        "matcher.batch_real=8", "eval.runs=2", "eval.epochs=3", "eval.net=mlp", "modality.per_class=12"]


def config(tmp_path: Path, *sets: str, name: str = "run", **flags):
    base = {"modality": "toy", "loss": "dm", "out": str(tmp_path / name), "device": "cpu", **flags}
    tiny = [s for s in TINY if (base["loss"] == "dm" or not s.startswith("matcher."))
            and (base.get("param", "ddif") == "ddif" or not s.startswith("param."))]
    return build_config(base, None, [*tiny, *sets], testing.ToyModality.presets)


def test_run_writes_a_complete_run_dir(tmp_path, registry):
    result = run(config(tmp_path), quiet=True, registry=registry)
    d = result.run_dir
    for name in ("config.json", "synthetic.safetensors", "metrics.json", "preview.pgm", "checkpoints/last.safetensors"):
        assert (d / name).is_file(), name
    assert sorted(p.name for p in (d / "previews").iterdir()) == ["0_left.pgm", "1_centre.pgm", "2_right.pgm"]
    m = json.loads((d / "metrics.json").read_text())
    # toy: 1x8x8 = 64 values per class; Table row (L=2, d=4): 4*3 + 4*5 + 5 = 37 params -> 1 field per class
    assert m["budget_allowed"] == 3 * 64 and m["params_per_item"] == 37 and m["num_decoded"] == 3
    assert m["budget_used"] == 3 * 37 <= m["budget_allowed"]
    assert m["runs"] == 2 and len(m["accuracies"]) == 2
    # scores on the 18 toy test instances (6 per class): multiples of 100/18, summarised as mean and population std
    assert all(abs(a * 18 / 100 - round(a * 18 / 100)) < 1e-6 for a in m["accuracies"])
    assert m["accuracy_mean"] == pytest.approx(statistics.mean(m["accuracies"]))
    assert m["accuracy_std"] == pytest.approx(statistics.pstdev(m["accuracies"]))
    saved = json.loads((d / "config.json").read_text())
    assert saved["config"]["run"]["out"] == str(d) and saved["versions"]["ddif-core"]
    syn = SyntheticSet.load(d, registry)
    x, y = syn.decode()
    assert x.shape == (3, 1, 8, 8) and y.tolist() == [0, 1, 2]
    x16, _ = syn.decode((1, 16, 16))
    assert x16.shape == (3, 1, 16, 16)
    assert not list(d.glob("**/*.tmp*")), "temporary files left behind"


def test_same_seed_same_result_and_resume_is_identical(tmp_path, registry, monkeypatch):
    a = run(config(tmp_path, name="a"), quiet=True, registry=registry)
    calls = {"n": 0}
    original = DistributionMatching.step

    def flaky(self, ctx, synthetic, generator):
        calls["n"] += 1
        if calls["n"] == 4:  # dies during iteration 4, after the checkpoint at iteration 2
            raise KeyboardInterrupt
        return original(self, ctx, synthetic, generator)

    monkeypatch.setattr(DistributionMatching, "step", flaky)
    with pytest.raises(KeyboardInterrupt):
        run(config(tmp_path, name="b"), quiet=True, registry=registry)
    _, meta = artifact.load_checkpoint(tmp_path / "b")
    assert meta["iteration"] == 2
    monkeypatch.setattr(DistributionMatching, "step", original)
    b = run(config(tmp_path, name="b"), resume=True, quiet=True, registry=registry)
    ta, _ = artifact.read_safetensors(a.run_dir / "synthetic.safetensors", "a")
    tb, _ = artifact.read_safetensors(b.run_dir / "synthetic.safetensors", "b")
    assert ta.keys() == tb.keys()
    for k in ta:
        assert torch.equal(ta[k], tb[k]), k
    assert a.metrics["accuracies"] == b.metrics["accuracies"]
    assert a.metrics["final_loss"] == b.metrics["final_loss"]


def test_resume_refuses_changed_settings_and_existing_dir(tmp_path, registry):
    run(config(tmp_path), quiet=True, registry=registry)
    with pytest.raises(ConfigError, match="already exists; pass --resume"):
        run(config(tmp_path), quiet=True, registry=registry)
    with pytest.raises(ConfigError, match=r"'run.ipc' differs \(saved 1, given 2\)"):
        run(config(tmp_path, ipc=2), resume=True, quiet=True, registry=registry)
    with pytest.raises(DataError, match="is not a ddif run directory"):
        (tmp_path / "plain").mkdir()
        run(config(tmp_path, name="plain"), resume=True, quiet=True, registry=registry)


class NaNMatcher(Matcher):
    name = "nanloss"

    def step(self, ctx, synthetic, generator):
        x = synthetic.decode()
        scale = float("nan") if getattr(self, "_n", 0) >= 2 else 1.0
        self._n = getattr(self, "_n", 0) + 1
        return x.square().mean() * scale


def test_nan_loss_stops_with_message_and_keeps_checkpoint(tmp_path):
    mod = types.ModuleType("nanplugin")
    mod.register_matchers = hookimpl(lambda register: register(NaNMatcher))
    reg = Registry(load_plugins(entry_points=[], extra=[(testing, "ddif-testing"), (mod, "ddif-nan")]))
    with pytest.raises(TrainingError, match=r"loss became nan at iteration 2; the last good checkpoint .* iteration 2"):
        run(config(tmp_path, loss="nanloss"), quiet=True, registry=reg)
    _, meta = artifact.load_checkpoint(tmp_path / "run")
    assert meta["iteration"] == 2
    assert not (tmp_path / "run" / "synthetic.safetensors").exists()


def test_vanilla_uses_input_sized_items(tmp_path, registry):
    r = run(config(tmp_path, param="vanilla", ipc=2), quiet=True, registry=registry)
    assert r.metrics["num_decoded"] == 6 and r.metrics["budget_used"] == r.metrics["budget_allowed"] == 6 * 64


def test_budget_that_cannot_hold_a_field(tmp_path, registry):
    with pytest.raises(ConfigError, match="cannot hold one field of .* parameters"):
        run(config(tmp_path, "param.width=40"), quiet=True, registry=registry)


def test_eval_other_resolution_and_decode(tmp_path, registry):
    r = run(config(tmp_path), quiet=True, registry=registry)
    saved = {"runs": r.metrics["runs"], "epochs": r.metrics["epochs"]}
    res = evaluate_run(r.run_dir, net="mlp", resolution=12, quiet=True, registry=registry, **saved)
    assert res["resolution"] == [12, 12] and res["original_resolution"] == [8, 8]
    assert res["accuracy_original_source"] == "metrics.json"
    assert res["accuracy_difference"] == pytest.approx(r.metrics["accuracy_mean"] - res["accuracy_mean"])  # ACC_org - ACC_test
    # another protocol than the saved run's: ACC_org is measured in the same call, at the native grid
    other = evaluate_run(r.run_dir, net="mlp", resolution=12, runs=1, epochs=3, quiet=True, registry=registry)
    again = evaluate_run(r.run_dir, net="mlp", runs=1, epochs=3, quiet=True, registry=registry)
    assert other["accuracy_original_source"] == "evaluated" and other["runs"] == 1
    assert other["accuracy_original"] == pytest.approx(again["accuracy_mean"])
    assert other["accuracy_drop_ratio"] == pytest.approx(
        (again["accuracy_mean"] - other["accuracy_mean"]) / again["accuracy_mean"])
    with pytest.raises(ConfigError, match="takes eval.KEY=VALUE"):
        evaluate_run(r.run_dir, sets=["param.width=3"], quiet=True, registry=registry)
    with pytest.raises(ConfigError, match="eval.upsample"):
        evaluate_run(r.run_dir, sets=["eval.upsample=cubic"], quiet=True, registry=registry)
    out = decode_run(r.run_dir, tmp_path / "decoded", resolution=10, registry=registry)
    assert out["files"] == 3 and out["format"] == "txt" and (tmp_path / "decoded" / "compare.pgm").is_file()
    rows = (tmp_path / "decoded" / "labels.csv").read_text().splitlines()
    assert rows[0] == "path,label,class_name" and rows[1].endswith(",0,left")
    assert len((tmp_path / "decoded" / rows[1].split(",")[0]).read_text().splitlines()) == 10
    with pytest.raises(ConfigError, match="already exists and is not empty"):
        decode_run(r.run_dir, tmp_path / "decoded", registry=registry)


def test_check_matcher_and_check_modality_pass_for_builtins():
    losses = testing.check_matcher(DistributionMatching)
    assert len(losses) == 2 and losses[0] != losses[1]  # every iteration draws its own batches and network
    testing.check_modality(testing.ToyModality)


def test_vanilla_cross_resolution_uses_interpolation(tmp_path, registry):
    r = run(config(tmp_path, "param.upsample=nearest", param="vanilla"), quiet=True, registry=registry)
    syn = SyntheticSet.load(r.run_dir, registry)
    x, _ = syn.decode()
    x16, _ = syn.decode((1, 16, 16))
    assert torch.equal(x16[:, :, ::2, ::2], x)  # nearest x2 repeats every value
    res = evaluate_run(r.run_dir, resolution=16, runs=1, epochs=1, quiet=True, registry=registry)
    assert res["resolution"] == [16, 16] and res["parameterization"] == "vanilla" and res["upsample"] == "nearest"
    bic = evaluate_run(r.run_dir, resolution=16, runs=1, epochs=1, quiet=True, registry=registry,
                       sets=["eval.upsample=bicubic"])
    assert bic["upsample"] == "bicubic"


def test_corrupt_artifact_is_reported(tmp_path, registry):
    r = run(config(tmp_path), quiet=True, registry=registry)
    (r.run_dir / "synthetic.safetensors").write_bytes(b"\x00" * 20)
    with pytest.raises(DataError, match="is not a readable ddif safetensors file"):
        evaluate_run(r.run_dir, quiet=True, registry=registry)
    (r.run_dir / "synthetic.safetensors").unlink()
    with pytest.raises(DataError, match="has no synthetic.safetensors yet"):
        evaluate_run(r.run_dir, quiet=True, registry=registry)


def test_eval_fixes_the_network_depth_with_net_settings(tmp_path, registry, monkeypatch):
    """Table 13's ConvNetD5 rows at 256 px: ``ddif eval --set net.depth=N`` fixes the depth at any resolution."""
    from ddif_core.engine import Parts

    r = run(config(tmp_path, "matcher.net=convnet", "eval.net=convnet"), quiet=True, registry=registry)
    built = []
    original = Parts.network

    def spy(self, name, shape, device):
        net = original(self, name, shape, device)
        built.append((tuple(shape), sum(isinstance(m, torch.nn.Conv2d) for m in net.modules())))
        return net

    monkeypatch.setattr(Parts, "network", spy)
    res = evaluate_run(r.run_dir, net="convnet", resolution=16, runs=1, epochs=1, sets=["net.depth=1"], quiet=True,
                       registry=registry)
    assert res["accuracy_original_source"] == "evaluated"  # another network than the saved run's ACC_org
    assert {s for s, _ in built} == {(1, 16, 16), (1, 8, 8)} and {d for _, d in built} == {1}

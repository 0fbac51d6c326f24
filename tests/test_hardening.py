"""Hostile inputs to the core (issue #18): damaged artifacts, run-dir locking and clean-up, bounds, permissions."""

import json
import os
import stat
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from ddif_core import artifact, limits, rundir, testing
from ddif_core.config import build_config, read_toml
from ddif_core.engine import run
from ddif_core.errors import ConfigError, DataError, RunInterrupted, TrainingError
from ddif_core.matchers.dm import DistributionMatching
from ddif_core.runs import decode_run, evaluate_run

TINY = ["param.warmup_steps=10", "distill.iterations=2", "distill.checkpoint_every=1", "matcher.batch_real=4",
        "eval.runs=1", "eval.epochs=1", "eval.net=mlp", "modality.per_class=6"]


def config(tmp_path: Path, *sets: str, name: str = "run", **flags):
    base = {"modality": "toy", "loss": "dm", "out": str(tmp_path / name), "device": "cpu", **flags}
    return build_config(base, None, [*TINY, *sets], testing.ToyModality.presets)


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x55
    path.write_bytes(bytes(data))


def test_safetensors_carry_a_checksum_and_damage_is_refused(tmp_path):
    path = tmp_path / "x.safetensors"
    artifact.write_safetensors(path, {"a": torch.arange(6.0), "b": torch.ones(2, dtype=torch.int64)}, {"k": 1})
    tensors, meta = artifact.read_safetensors(path, "thing")
    assert meta == {"k": 1} and torch.equal(tensors["a"], torch.arange(6.0))
    raw = path.read_bytes()
    assert raw.count(b'{\\"k\\": 1}') == 1
    path.write_bytes(raw.replace(b'{\\"k\\": 1}', b'{\\"k\\": 2}'))  # the metadata edited, same length
    with pytest.raises(DataError, match="is damaged"):
        artifact.read_safetensors(path, "thing")
    path.write_bytes(raw)
    _flip_last_byte(path)  # tensor bytes changed, header intact
    with pytest.raises(DataError, match=r"^thing .*x\.safetensors is damaged: its tensors or metadata do not match"):
        artifact.read_safetensors(path, "thing")


def test_run_records_the_artifact_checksum_in_config_json(tmp_path, registry):
    d = run(config(tmp_path), quiet=True, registry=registry).run_dir
    info = json.loads((d / "config.json").read_text())
    tensors, meta = artifact.read_safetensors(d / artifact.SYNTHETIC_FILE, "synthetic set")
    assert info["checksums"][artifact.SYNTHETIC_FILE] == artifact.tensor_digest(tensors, json.dumps(meta))
    # the file rewritten without its header checksum (other values) is still caught through config.json
    tensors["labels"] = tensors["labels"].flip(0)
    save_file(tensors, str(d / artifact.SYNTHETIC_FILE), metadata={"ddif": json.dumps(meta)})
    with pytest.raises(DataError, match="synthetic.safetensors is damaged"):
        evaluate_run(d, registry=registry, quiet=True)
    with pytest.raises(DataError, match="synthetic.safetensors is damaged"):
        decode_run(d, tmp_path / "dec", registry=registry)
    assert not (tmp_path / "dec").exists()


def test_damaged_checkpoint_refuses_resume(tmp_path, registry):
    d = run(config(tmp_path), quiet=True, registry=registry).run_dir
    _flip_last_byte(d / artifact.CHECKPOINT_FILE)
    with pytest.raises(DataError, match=r"checkpoint .*last\.safetensors is damaged"):
        run(config(tmp_path), resume=True, quiet=True, registry=registry)


def test_outputs_follow_the_umask_and_stay_atomic(tmp_path):
    old = os.umask(0o022)
    try:
        artifact.write_json(tmp_path / "a.json", {"x": 1})
        artifact.write_safetensors(tmp_path / "t.safetensors", {"w": torch.zeros(2)}, {"format": "test"})
        with artifact.atomic_dir(tmp_path / "folder") as tmp:
            (tmp / "f").write_text("x")
        os.umask(0o077)
        artifact.write_json(tmp_path / "b.json", {"x": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "t.safetensors").stat().st_mode) == 0o644  # safetensors replaces its file
    assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "b.json").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json", "folder", "t.safetensors"]


def test_json_never_holds_infinity(tmp_path):
    artifact.write_json(tmp_path / "m.json", {"a": float("inf"), "b": [1.0, float("nan")]})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": None, "b": [1.0, None]}


def test_run_dir_lock_refuses_a_second_writer_and_takes_over_a_stale_one(tmp_path):
    out = tmp_path / "run"
    with rundir.session():
        rundir.claim(out, resume=False)
        (out / "config.json").write_text("{}")
        assert (out / rundir.LOCK_FILE).read_text() == str(os.getpid())
        with rundir.session(), pytest.raises(ConfigError, match=rf"run directory {out} is in use by process {os.getpid()}"):
            rundir.claim(out, resume=True)
    assert not (out / rundir.LOCK_FILE).exists()  # released on exit
    (out / rundir.LOCK_FILE).write_text("999999")  # left by a killed run: nobody holds it
    with rundir.session():
        assert rundir.claim(out, resume=True) == out
    with rundir.session(), pytest.raises(ConfigError, match="already exists; pass --resume"):
        rundir.claim(out, resume=False)


def test_run_dir_errors_are_sentences(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    with rundir.session(), pytest.raises(ConfigError, match="a part of the path is a file, not a folder"):
        rundir.claim(tmp_path / "file" / "run", resume=False)
    with rundir.session(), pytest.raises(ConfigError, match="is a file, not a folder"):
        rundir.claim(tmp_path / "file", resume=False)
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    with rundir.session(), pytest.raises(ConfigError, match="is a symbolic link to .*missing, which does not exist"):
        rundir.claim(tmp_path / "dangling", resume=False)
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    with rundir.session():
        assert rundir.claim(tmp_path / "link", resume=False) == tmp_path / "link"

    def read_only(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    with rundir.session(), pytest.raises(ConfigError, match="cannot create the run directory .*: permission denied"):
        rundir.claim(tmp_path / "ro" / "run", resume=False)


def test_a_run_that_fails_before_its_first_checkpoint_leaves_no_run_dir(tmp_path, registry, monkeypatch):
    from ddif_core.parameterization import DDiFParameterization

    def no_memory(self, *args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(DDiFParameterization, "initialize", no_memory)
    with pytest.raises(MemoryError):
        run(config(tmp_path), quiet=True, registry=registry)
    assert not (tmp_path / "run").exists()
    monkeypatch.undo()
    assert run(config(tmp_path), quiet=True, registry=registry).run_dir == tmp_path / "run"  # same --out works


def test_a_budget_that_does_not_fit_in_memory_is_refused_before_allocating(tmp_path, registry, monkeypatch):
    monkeypatch.setattr(limits, "available_bytes", lambda: 1000)
    with pytest.raises(ConfigError, match=r"^the synthetic set of --ipc 3 \(9 items\) needs [0-9.]+ KiB of memory "
                                          r"but only 1\.0 KiB are available; lower --ipc"):
        run(config(tmp_path, "param.fields_per_class=3", ipc=3), quiet=True, registry=registry)
    assert not (tmp_path / "run").exists()


def test_decode_at_a_resolution_that_does_not_fit_is_refused(tmp_path, registry):
    d = run(config(tmp_path), quiet=True, registry=registry).run_dir
    with pytest.raises(ConfigError, match=r"decoding 3 instances at 10000000x10000000 .* needs 1\.09e\+03 TiB of memory"):
        decode_run(d, tmp_path / "dec", resolution=10_000_000, registry=registry)
    assert not (tmp_path / "dec").exists()


@pytest.mark.parametrize("item,message", [
    ("distill.iterations=1e18", "less than or equal to 10000000"),
    ("run.seed=9223372036854775807", "less than 9223372036854775807"),
    ("distill.lr=inf", "finite number"),
    ("eval.weight_decay=nan", "finite number"),
    ("eval.epochs=99999999999", "less than or equal to 1000000"),
])
def test_numeric_bounds(item, message):
    with pytest.raises(ConfigError, match=message):
        build_config({"modality": "toy"}, None, [item])


def test_plugin_options_are_finite_and_fit_64_bits(tmp_path, registry):
    with pytest.raises(ConfigError, match="'param.warmup_lr'.*finite number"):
        run(config(tmp_path, "param.warmup_lr=inf"), quiet=True, registry=registry)
    with pytest.raises(ConfigError, match="'matcher.batch_real'.*at most 9223372036854775807"):
        run(config(tmp_path, f"matcher.batch_real={2**64}"), quiet=True, registry=registry)
    assert not (tmp_path / "run").exists()


def test_top_level_toml_key_says_where_it_belongs(tmp_path):
    (tmp_path / "c.toml").write_text("ipc = 1\n[run]\nmodality = 'toy'\n")
    with pytest.raises(ConfigError, match=r"'ipc' in .*c\.toml is outside any section; it belongs under \[run\]"):
        read_toml(tmp_path / "c.toml")
    (tmp_path / "d.toml").write_text("epochs = 3\n")
    with pytest.raises(ConfigError, match=r"belongs under \[eval\]"):
        read_toml(tmp_path / "d.toml")


def test_nan_stop_does_not_advise_a_resume_that_would_be_refused(tmp_path, registry, monkeypatch):
    monkeypatch.setattr(DistributionMatching, "step", lambda self, ctx, s, g: s.decode().sum() * float("nan"))
    with pytest.raises(TrainingError) as err:
        run(config(tmp_path), quiet=True, registry=registry)
    assert "start a new --out with a lower distill.lr" in str(err.value)
    assert "lower distill.lr and --resume" not in str(err.value)


def test_interrupt_names_the_last_checkpoint(tmp_path, registry, monkeypatch):
    original = artifact.save_checkpoint

    def interrupt_after_first(run_dir, iteration, *args, **kwargs):
        original(run_dir, iteration, *args, **kwargs)
        if iteration == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(artifact, "save_checkpoint", interrupt_after_first)
    with pytest.raises(RunInterrupted) as err:
        run(config(tmp_path), quiet=True, registry=registry)
    d = tmp_path / "run"
    assert str(err.value) == (f"interrupted; the last checkpoint is {d / artifact.CHECKPOINT_FILE} (iteration 1): "
                              f"continue with ddif run --resume --out {d}")
    assert not (d / rundir.LOCK_FILE).exists()


def test_eval_checks_metrics_json_before_training(tmp_path, registry, monkeypatch):
    import ddif_core.runs

    d = run(config(tmp_path), quiet=True, registry=registry).run_dir
    (d / "metrics.json").write_text("[1, 2")

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking metrics.json")

    monkeypatch.setattr(ddif_core.runs, "evaluate_synthetic", no_training)
    with pytest.raises(DataError, match=r"metrics .*metrics\.json is not readable JSON"):
        evaluate_run(d, registry=registry, quiet=True)
    (d / "metrics.json").write_text('{"accuracy_mean": "high"}')
    with pytest.raises(DataError, match="is not a ddif metrics file"):
        evaluate_run(d, registry=registry, quiet=True)


def test_resume_of_an_edited_config_json_is_one_sentence(tmp_path, registry):
    d = run(config(tmp_path), quiet=True, registry=registry).run_dir
    info = json.loads((d / "config.json").read_text())
    info["config"]["eval"]["lr"] = -1
    (d / "config.json").write_text(json.dumps(info))
    with pytest.raises(DataError, match=r"config\.json does not hold a valid ddif run config: invalid value -1 for "
                                        r"'eval\.lr'"):
        rundir.saved_config(d)
    info["config"]["eval"]["lr"] = 0.1
    info["eval_set"] = 5
    (d / "config.json").write_text(json.dumps(info))
    with pytest.raises(DataError, match="'eval_set' must be a list of setting names"):
        run(config(tmp_path), resume=True, quiet=True, registry=registry)
    (d / "config.json").write_text("[]")
    with pytest.raises(DataError, match="does not hold a ddif run config"):
        run(config(tmp_path), resume=True, quiet=True, registry=registry)

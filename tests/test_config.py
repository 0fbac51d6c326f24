from pathlib import Path

import pytest

from ddif_core.config import DistillSection, build_config, parse_set, validate_options
from ddif_core.errors import ConfigError


def presets(modality):
    return {"quick": {"distill": {"iterations": 7}, "eval": {"runs": 2}}}


def test_layers_defaults_preset_toml_flags_set(tmp_path: Path):
    toml = tmp_path / "run.toml"
    toml.write_text('[run]\npreset = "quick"\nipc = 3\n[distill]\niterations = 9\n[matcher]\nbatch_real = 8\n')
    cfg = build_config({"modality": "toy", "ipc": 2}, toml, ["eval.epochs=4", "param.width=3"], presets)
    assert cfg.run.ipc == 2  # flag beats file
    assert cfg.distill.iterations == 9  # file beats preset
    assert cfg.eval.runs == 2  # preset beats default
    assert cfg.eval.epochs == 4 and cfg.param == {"width": 3} and cfg.matcher == {"batch_real": 8}
    assert cfg.distill.lr == DistillSection().lr


def test_preset_part_settings_follow_the_chosen_part():
    def table(modality):
        return {"p": {"param": {"ddif": {"width": 3}, "vanilla": {"upsample": "nearest"}}, "matcher": {"dm": {"batch_real": 5}}}}

    assert build_config({"modality": "toy", "preset": "p"}, None, [], table).param == {"width": 3}
    cfg = build_config({"modality": "toy", "preset": "p", "param": "vanilla", "loss": "tm"}, None, [], table)
    assert cfg.param == {"upsample": "nearest"} and cfg.matcher == {}

    def tm_table(modality):
        return {"t": {"run": {"loss": "tm"}, "matcher": {"tm": {"syn_steps": 7}, "dm": {"batch_real": 5}}}}

    cfg = build_config({"modality": "toy", "preset": "t"}, None, [], tm_table)  # the preset's own loss counts
    assert cfg.run.loss == "tm" and cfg.matcher == {"syn_steps": 7}


def test_parse_set_types():
    assert parse_set("distill.lr=1e-4") == (["distill", "lr"], 1e-4)
    assert parse_set("eval.augment=false") == (["eval", "augment"], False)
    assert parse_set("run.dataset=fashion-mnist") == (["run", "dataset"], "fashion-mnist")
    with pytest.raises(ConfigError, match="section.key=value"):
        parse_set("epochs")
    with pytest.raises(ConfigError, match="unknown section 'evl'"):
        parse_set("evl.epochs=3")


@pytest.mark.parametrize(
    "flags,sets,message",
    [
        ({"modality": "toy", "ipc": 0}, [], r"invalid value 0 for 'run.ipc': input should be greater than or equal to 1"),
        ({"modality": "toy", "ipc": -3}, [], r"'run.ipc'"),
        ({"modality": "toy"}, ["eval.epoch=3"], r"unknown setting 'eval.epoch'; valid settings in \[eval\] are: runs, epochs"),
        ({"modality": "toy"}, ["distill.lr=-1"], r"'distill.lr': input should be greater than 0"),
        ({}, [], "no modality given"),
        ({"modality": "toy", "preset": "nope"}, [], r"unknown preset 'nope' for modality 'toy' \(available: quick\)"),
        ({"modality": "toy", "device": "tpu"}, [], r"'run.device'"),
    ],
)
def test_errors_are_one_clear_sentence(flags, sets, message):
    with pytest.raises(ConfigError, match=message) as err:
        build_config(flags, None, sets, presets)
    assert "\n" not in str(err.value)


def test_toml_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        build_config({"modality": "toy"}, tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        build_config({"modality": "toy"}, bad)
    odd = tmp_path / "odd.toml"
    odd.write_text("[training]\nx = 1\n")
    with pytest.raises(ConfigError, match=r"unknown section \[training\]"):
        build_config({"modality": "toy"}, odd)


def test_plugin_options_name_their_section():
    from ddif_core.matchers.dm import DMOptions

    with pytest.raises(ConfigError, match=r"unknown setting 'matcher.batch'; valid settings in \[matcher\] are: net, batch_real"):
        validate_options(DMOptions, {"batch": 3}, "matcher")
    assert validate_options(DMOptions, {"batch_real": 3}, "matcher").batch_real == 3

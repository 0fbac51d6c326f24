"""The audio modality through the public contract: check_modality on WAV trees, standardisation, cache, errors."""

from pathlib import Path

import numpy as np
import pytest
import torch

from ddif_core import ConfigError, DataError
from ddif_core.testing import check_modality
from ddif_audio.layouts import IDC_WORDS
from ddif_audio.modality import AudioModality, AudioOptions
from audio_trees import TONES, make_mini, make_speech_commands, mini_parent, v2_root  # noqa: F401 (fixtures)


def opts(tmp_path: Path, **kw) -> AudioOptions:
    return AudioOptions(size=16, cache_dir=str(tmp_path / "cache"), **kw)


@pytest.mark.parametrize("layout", ["v1", "v2", "mini"])
def test_check_modality_on_each_layout(tmp_path, layout):
    if layout == "mini":
        root, dataset = make_mini(tmp_path / "m", per_class=9), "mini-speech-commands"
    else:
        root, dataset = make_speech_commands(tmp_path / layout, version=int(layout[1])), "speech-commands"
    check_modality(AudioModality, opts(tmp_path), dataset, root)
    mod = AudioModality(opts(tmp_path), dataset, root)
    test = mod.load("test")
    per_class = 2 if layout == "mini" else 1  # mini: files 0 and 8 of 9; lists: one file per word listed
    assert len(test) == 8 * per_class and test.class_names == list(IDC_WORDS) and test.sample_shape == (1, 16, 16)
    assert test.labels.tolist() == [c for c in range(8) for _ in range(per_class)]


def test_root_given_means_mini_no_root_means_speech_synth(tmp_path, mini_parent):
    assert AudioModality(opts(tmp_path), None, mini_parent).dataset == "mini-speech-commands"
    assert AudioModality(opts(tmp_path)).dataset == "speech-synth"
    assert "not Speech Commands" in AudioModality(opts(tmp_path)).info.description
    with pytest.raises(DataError, match="needs --data-root"):
        AudioModality(opts(tmp_path), "mini-speech-commands").load("train")


def test_standardised_with_train_statistics_kept_in_state(tmp_path, v2_root):
    mod = AudioModality(opts(tmp_path), "speech-commands", v2_root)
    train = mod.load("train")
    x = train.get(torch.arange(len(train)))
    assert abs(float(x.mean())) < 1e-4 and float(x.std(unbiased=False)) == pytest.approx(1.0, abs=1e-4)
    test_x = mod.load("test").get(torch.arange(8))
    state = mod.state()
    again = AudioModality(opts(tmp_path), "speech-commands", v2_root)
    again.load_state({k: v.clone() for k, v in state.items()})
    assert torch.equal(again.load("test").get(torch.arange(8)), test_x)
    raw = AudioModality(opts(tmp_path), "speech-commands", v2_root)
    raw.load_state({"spec_mean": torch.zeros(1, dtype=torch.float64), "spec_std": torch.ones(1, dtype=torch.float64)})
    logs = raw.load("test").get(torch.arange(8))
    assert torch.allclose(mod.denormalize(test_x), logs, atol=1e-5)  # denormalize gives the log spectrogram
    peak_rows = logs[:, 0, :, 4:12].mean(dim=2).argmax(dim=1)
    assert peak_rows.tolist() == sorted(peak_rows.tolist())  # TONES rise with the label


def test_cache_is_reused_and_invalidated_by_a_changed_file(tmp_path, v2_root):
    o = opts(tmp_path)
    a = AudioModality(o, "speech-commands", v2_root).load("test")
    entries = list((tmp_path / "cache" / "spectrograms").iterdir())
    assert len(entries) == 2  # test and train (for the statistics)
    b = AudioModality(o, "speech-commands", v2_root).load("test")
    assert np.array_equal(np.asarray(a.array), np.asarray(b.array))
    assert len(list((tmp_path / "cache" / "spectrograms").iterdir())) == 2
    from audio_trees import write_tone

    write_tone(v2_root / "yes" / "0000beef_nohash_0.wav", 5000.0)
    AudioModality(o, "speech-commands", v2_root).load("test")
    assert len(list((tmp_path / "cache" / "spectrograms").iterdir())) == 3


def test_idc_split_option_for_speech_commands(tmp_path):
    root = make_speech_commands(tmp_path / "sc", per_class=9)
    (root / "testing_list.txt").unlink()
    mod = AudioModality(opts(tmp_path, split="idc"), "speech-commands", root)
    assert len(mod.load("test")) == 16 and len(mod.load("train")) == 56


def test_corrupt_wav_names_the_file_and_caches_nothing(tmp_path, v2_root):
    bad = v2_root / "stop" / "0002beef_nohash_0.wav"
    bad.write_bytes(bad.read_bytes()[:300])
    mod = AudioModality(opts(tmp_path), "speech-commands", v2_root)
    with pytest.raises(DataError, match="0002beef_nohash_0.wav is truncated"):
        mod.load("train")
    assert not list((tmp_path / "cache").rglob("*.npy"))
    skipping = AudioModality(opts(tmp_path, skip_bad_files=True), "speech-commands", v2_root)
    assert len(skipping.load("train")) == 8 * 3 - 1


def test_presets_validate_against_the_options():
    from ddif_audio.presets import PRESETS

    assert {"speech-ipc10-dc", "speech-ipc20-dc", "demo", "tiny"} <= set(PRESETS)
    for name, preset in PRESETS.items():
        AudioOptions(**preset.get("modality", {}))
        assert preset.get("run", {}).get("dataset", "speech-synth") in AudioModality.datasets(), name
    dc10, dc20 = PRESETS["speech-ipc10-dc"], PRESETS["speech-ipc20-dc"]
    assert (dc10["distill"]["lr"], dc20["distill"]["lr"]) == (1e-5, 1e-4)  # Table 9a
    assert dc10["matcher"]["dc"]["batch_syn"] == 64 and dc10["distill"]["iterations"] == 1000
    assert dc10["eval"]["lr_milestones"] == [2 / 3, 5 / 6] and dc10["eval"]["lr_gamma"] == 0.2


def test_table_8_budget_at_64(tmp_path):
    info = AudioModality.dataset_info("mini-speech-commands", AudioOptions())
    assert info.sample_shape == (1, 64, 64) and info.field_table[10][:2] == (3, 10)
    params = 10 * 3 + 2 * 10 * 11 + 1 * 11  # d(n+1) + (L-1)d(d+1) + m(d+1)
    assert params == 261 and 10 * 64 * 64 // params == 156 and 20 * 64 * 64 // params == 313


def test_unknown_word_and_mini_words(tmp_path, mini_parent):
    with pytest.raises(ValueError, match="unknown word 'yess'"):
        AudioOptions(classes=["yes", "yess"])
    with pytest.raises(ConfigError, match="Mini Speech Commands does not have"):
        AudioModality(AudioOptions(classes=["yes", "bed"]), "mini-speech-commands", mini_parent)
    mod = AudioModality(opts(tmp_path, classes=["up", "yes"]), "mini-speech-commands", mini_parent)
    assert mod.load("test").labels.tolist() == [0, 0, 1, 1] and mod.class_names == ["up", "yes"]
    assert TONES["up"] > TONES["yes"]

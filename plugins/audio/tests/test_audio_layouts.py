"""Which files form each split in the mini and v0.01/v0.02 layouts; errors for trees that disagree."""

import numpy as np
import pytest

from ddif_core import DataError
from ddif_audio.datasets import build_spectrograms
from ddif_audio.layouts import IDC_WORDS, mini_root, split_files
from audio_trees import make_mini, make_speech_commands, write_tone, v2_root  # noqa: F401 (fixtures)


@pytest.mark.parametrize("version", [1, 2])
def test_speech_commands_lists_split(tmp_path, version):
    root = make_speech_commands(tmp_path / f"v{version}", per_class=4, version=version)
    train, ytrain = split_files(root, IDC_WORDS, "train", "lists")
    test, ytest = split_files(root, IDC_WORDS, "test", "lists")
    assert len(train) == 8 * 3 and len(test) == 8  # validation files train; the other word is ignored
    assert ytest == list(range(8)) and ytrain == [c for c in range(8) for _ in range(3)]
    assert all(p.name.startswith("0000") for p in test) and not set(train) & set(test)
    assert all(p.parent.name in IDC_WORDS for p in train + test)  # no _background_noise_, README, other words


def test_idc_rule_every_eighth_sorted_file_is_test(tmp_path):
    root = mini_root(make_mini(tmp_path, per_class=17))
    assert root.name == "mini_speech_commands"
    test, _ = split_files(root, IDC_WORDS, "test", "idc")
    train, _ = split_files(root, IDC_WORDS, "train", "idc")
    assert len(test) == 8 * 3 and len(train) == 8 * 14  # indices 0, 8, 16 of each class
    assert [p.name for p in test[:3]] == [f"{i:08x}_nohash_0.wav" for i in (0, 8, 16)]
    assert mini_root(root) == root


def test_subset_of_classes_in_the_given_order(v2_root):
    paths, labels = split_files(v2_root, ("stop", "yes"), "test", "lists")
    assert [p.parent.name for p in paths] == ["stop", "yes"] and labels == [0, 1]


def test_missing_class_folder(tmp_path):
    root = make_speech_commands(tmp_path / "sc", per_class=2, words=IDC_WORDS[:7])
    with pytest.raises(DataError, match="has no folder 'down'; expected one folder of .wav files per word"):
        split_files(root, IDC_WORDS, "train", "lists")


def test_list_line_naming_a_missing_file(v2_root):
    (v2_root / "yes" / "0000beef_nohash_0.wav").unlink()
    with pytest.raises(DataError, match=r"testing_list.txt line 1 names yes/0000beef_nohash_0.wav, which does not"):
        split_files(v2_root, IDC_WORDS, "train", "lists")


def test_missing_list_suggests_idc_split(v2_root):
    (v2_root / "validation_list.txt").unlink()
    with pytest.raises(DataError, match="has no validation_list.txt.*modality.split=idc"):
        split_files(v2_root, IDC_WORDS, "test", "lists")
    assert len(split_files(v2_root, IDC_WORDS, "test", "idc")[0]) == 8


def test_build_spectrograms_writes_rows_in_order_and_skips(tmp_path):
    paths = [write_tone(tmp_path / f"{i}.wav", 500.0 + 500 * i) for i in range(3)]
    paths[1].write_bytes(b"broken")
    x = np.zeros((3, 1, 16, 16), np.float32)
    y = np.full(3, -1, np.int64)
    skipped = []
    n = build_spectrograms(paths, [5, 6, 7], 16, x, y, skip_bad_files=True,
                           on_skip=lambda p, why: skipped.append(p.name), chunk=2)
    assert n == 2 and list(y) == [5, 7, -1] and skipped == ["1.wav"]
    assert x[1].reshape(16, 16).mean(axis=1).argmax() > x[0].reshape(16, 16).mean(axis=1).argmax()
    with pytest.raises(DataError, match="1.wav"):
        build_spectrograms(paths, [5, 6, 7], 16, x, y)

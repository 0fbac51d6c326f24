"""Tests of the tutorial plugin ddif-signal: real UCR files written here, the contract checks, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ddif_core import DataError
from ddif_core.cli import main
from ddif_core.testing import check_modality
from ddif_signal.generator import WavesGenerator, WavesOptions, waves
from ddif_signal.modality import SignalModality
from ddif_signal.ucr import read_split


def write_ucr(root: Path, name: str = "Tiny", per_class: int = 6, length: int = 24) -> Path:
    """A two-class UCR dataset (labels -1 and 1, as many archive files use) in <root>/<name>/."""
    folder = root / name
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split in ("TRAIN", "TEST"):
        lines = []
        for i in range(2 * per_class):
            label = -1 if i % 2 == 0 else 1
            t = np.linspace(0, 1, length)
            v = np.sin(2 * np.pi * (2 if label < 0 else 5) * t) + 0.05 * rng.standard_normal(length)
            lines.append("\t".join([str(label), *(f"{x:.5f}" for x in v)]))
        (folder / f"{name}_{split}.tsv").write_text("\n".join(lines) + "\n")
    return root


def test_reader_resamples_variable_length_series(tmp_path):
    path = tmp_path / "X_TRAIN.tsv"
    path.write_text("1\t0\t1\t2\t3\n2\t0\t3\tNaN\tNaN\n")
    split = read_split(path)
    assert split.labels == ["1", "2"]
    assert split.values.shape == (2, 4)
    np.testing.assert_allclose(split.values[1], [0, 1, 2, 3], atol=1e-6)  # 2 points stretched linearly to 4


@pytest.mark.parametrize("text, message", [
    ("1\t0\tabc\n", "line 1: expected numbers"),
    ("1\n", "line 1: expected a label and at least one value"),
    ("nan\t1\t2\n", "line 1: the label 'nan' is not a finite number"),
    ("1\t0\tNaN\t2\n", "series 1 has missing values inside"),
])
def test_reader_names_file_and_line(tmp_path, text, message):
    path = tmp_path / "Bad_TRAIN.tsv"
    path.write_text(text)
    with pytest.raises(DataError, match=message) as err:
        read_split(path)
    assert str(path) in str(err.value)


def test_ucr_dataset_passes_the_contract(tmp_path):
    root = write_ucr(tmp_path)
    check_modality(SignalModality, dataset="ucr", data_root=root)
    mod = SignalModality(dataset="ucr", data_root=root)
    assert mod.sample_shape == (1, 24) and mod.class_names == ["-1", "1"]
    train = mod.load("train")
    assert abs(float(train.x.mean())) < 1e-5 and abs(float(train.x.std()) - 1) < 1e-3  # standardised
    assert torch.equal(train.y[:4], torch.tensor([0, 1, 0, 1]))


def test_test_split_with_unknown_label_is_refused(tmp_path):
    root = write_ucr(tmp_path)
    test = root / "Tiny" / "Tiny_TEST.tsv"
    test.write_text(test.read_text() + "7\t" + "\t".join(["0.1"] * 24) + "\n")
    with pytest.raises(Exception, match="label\\(s\\) 7"):
        SignalModality(dataset="ucr", data_root=root).load("test")


def test_waves_are_one_shape_per_class():
    rng = np.random.default_rng(0)
    x = waves(np.array([2, 3]), 200, rng)  # square, sawtooth
    square = x[0] - x[0].mean()
    assert len(np.unique(np.round(square, 6))) <= 3  # two levels (and the sign's zero at most)
    saw = np.diff(x[1])
    assert (saw > 0).mean() > 0.9  # rising ramps with a few drops


def test_generator_is_byte_identical_for_a_seed_and_reads_back(tmp_path):
    opts = WavesOptions(seed=3, per_class=5, test_per_class=2, length=32)
    for name in ("a", "b"):
        WavesGenerator().make(tmp_path / name, opts)
    a, b = (tmp_path / n / "Waves" / "Waves_TRAIN.tsv" for n in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()
    other = tmp_path / "c"
    WavesGenerator().make(other, opts.model_copy(update={"seed": 4}))
    assert (other / "Waves" / "Waves_TRAIN.tsv").read_bytes() != a.read_bytes()
    mod = SignalModality(mod_opts := SignalModality.Options(length=32), dataset="waves", data_root=tmp_path / "a")
    data = mod.load("train")
    assert mod_opts.length == 32 and data.x.shape == (20, 1, 32)
    assert torch.bincount(data.y).tolist() == [5, 5, 5, 5]


def test_render_writes_plots_and_one_csv_per_series(tmp_path):
    root = write_ucr(tmp_path / "data")
    mod = SignalModality(dataset="ucr", data_root=root)
    data = mod.load("train")
    x, y = data.x[:4], data.y[:4]
    assert mod.render(x, y, tmp_path, "preview") == [Path("preview.png")]
    assert (tmp_path / "preview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    files = mod.render(x, y, tmp_path / "exp", "export", "csv")
    assert len(files) == 4 and files[1] == Path("1_1/00001.csv")
    rows = (tmp_path / "exp" / files[1]).read_text().splitlines()
    assert rows[0] == "t,channel_0" and len(rows) == 25
    value = float(rows[3].split(",")[1])
    assert value == pytest.approx(float(mod.denormalize(x[1])[0, 2]), abs=1e-4)  # original units


def test_cli_generate_distil_decode(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DDIF_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "waves"
    assert main(["data", "make", "signal-waves", "--out", str(data), "--per-class", "8", "--set", "length=64"]) == 0
    capsys.readouterr()
    run_dir = tmp_path / "run"
    rc = main(["run", "--modality", "signal", "--dataset", "ucr", "--data-root", str(data), "--preset", "tiny",
               "--out", str(run_dir), "--quiet", "--json"])
    assert rc == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["num_decoded"] == 4 and metrics["runs"] == 2
    assert (run_dir / "preview.png").is_file()
    out = tmp_path / "decoded"
    assert main(["decode", str(run_dir), "--out", str(out), "--format", "csv"]) == 0
    labels = (out / "labels.csv").read_text().splitlines()
    assert labels[0] == "path,label,class_name" and len(labels) == 5
    assert labels[1] == "0_1/00000.csv,0,1"  # a UCR dataset names its classes by their labels


def test_generator_passes_the_contract(tmp_path):
    from ddif_core.testing import check_generator

    check_generator(WavesGenerator, SignalModality, dataset="ucr",
                    options={"per_class": 3, "test_per_class": 2, "length": 16}, work_dir=tmp_path)

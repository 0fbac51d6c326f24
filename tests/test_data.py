"""Datasets read batch by batch, the class bank over indices, per-axis shapes and the default resampling."""

import numpy as np
import pytest
import torch

from ddif_core.data import ArrayDataset, ClassBank, LabelledData
from ddif_core.errors import ConfigError, DataError
from ddif_core.shapes import parse_resolution, resample, shape_with
from ddif_core.testing import ToyModality


def test_array_dataset_converts_only_the_rows_asked_for_in_their_order():
    arr = np.arange(5 * 1 * 2 * 3, dtype=np.uint8).reshape(5, 1, 2, 3)
    ds = ArrayDataset(arr, np.array([0, 1, 0, 1, 1]), ["a", "b"], transform=lambda x: x / 2)
    assert len(ds) == 5 and ds.sample_shape == (1, 2, 3) and ds.labels.dtype == torch.int64
    got = ds.get(torch.tensor([3, 0, 3]))
    assert got.dtype == torch.float32 and got.shape == (3, 1, 2, 3)
    assert torch.equal(got, torch.from_numpy(arr[[3, 0, 3]].astype(np.float32)) / 2)
    xs, ys = zip(*ds.batches(2))
    assert [x.shape[0] for x in xs] == [2, 2, 1] and torch.cat(ys).tolist() == [0, 1, 0, 1, 1]
    with pytest.raises(ValueError, match="labels"):
        ArrayDataset(arr, np.zeros(4), ["a", "b"])


def test_class_bank_keeps_indices_not_a_copy():
    x = torch.arange(6.0).view(6, 1, 1, 1)
    data = LabelledData(x, torch.tensor([1, 0, 1, 0, 2, 2]), ["a", "b", "c"])
    bank = ClassBank(data)
    assert bank.dataset is data and bank.order.tolist() == [1, 3, 0, 2, 4, 5] and len(bank) == 6
    idx = bank.sample_indices(2, torch.Generator().manual_seed(0))  # (C, 2) class-sorted positions
    got = bank.get(idx).flatten()
    assert [int(data.y[int(v)]) for v in got] == [0, 0, 1, 1, 2, 2]
    sub = bank.subset(1, torch.Generator().manual_seed(1))
    assert sub.dataset is data and sub.y.tolist() == [0, 1, 2]
    assert bank.pick(3, torch.Generator().manual_seed(2)).shape == (9, 1, 1, 1)  # classes of 2 repeat one
    with pytest.raises(DataError, match="no instance of class"):
        ClassBank(LabelledData(x, torch.zeros(6, dtype=torch.int64), ["a", "b"]))


def test_resolution_parsing_and_per_axis_shapes():
    assert parse_resolution("56") == 56 and parse_resolution("16x112x112") == (16, 112, 112)
    assert parse_resolution(7) == 7
    for bad in ("0", "a", "16x-1", "", "16xx4"):
        with pytest.raises(ConfigError, match="--resolution"):
            parse_resolution(bad)
    assert shape_with((3, 16, 8, 8), 4) == (3, 4, 4, 4)
    assert shape_with((3, 16, 8, 8), (16, 32, 32)) == (3, 16, 32, 32)
    with pytest.raises(ConfigError, match="gives 2 axes but the instances have 3"):
        shape_with((3, 16, 8, 8), "32x32")
    assert ToyModality().shape_at((8, 12)) == (1, 8, 12)


def test_default_resampling_by_dimensionality():
    x3 = torch.zeros(2, 1, 4, 4, 4)
    x3[:, :, :, :, ::2] = 1.0  # stripes: area averaging gives exactly 0.5, trilinear would alias
    assert torch.allclose(resample(x3, (1, 4, 4, 2)), torch.full((2, 1, 4, 4, 2), 0.5))
    assert resample(x3, (1, 2, 8, 3)).shape == (2, 1, 2, 8, 3)  # mixed: area down, trilinear up
    assert resample(torch.ones(2, 1, 6), (1, 3)).shape == (2, 1, 3)
    assert resample(torch.ones(1, 3, 8, 8), (3, 5, 12), "bicubic").shape == (1, 3, 5, 12)
    with pytest.raises(ConfigError, match="'bicubic' does not apply to 3-D"):
        resample(x3, (1, 8, 8, 8), "bicubic")
    with pytest.raises(ConfigError, match="'bilinear' does not apply to 1-D"):
        resample(torch.ones(2, 1, 6), (1, 12), "bilinear")
    with pytest.raises(ConfigError, match="no default resampling for 4-D"):
        resample(torch.ones(1, 1, 2, 2, 2, 2), (1, 3, 3, 3, 3))
    same = torch.ones(1, 1, 3, 3)
    assert resample(same, (1, 3, 3)) is same


def test_load_at_resizes_batches_lazily():
    mod = ToyModality()
    small = mod.load_at("test", (1, 4, 6))
    assert small.sample_shape == (1, 4, 6) and small.get(torch.tensor([0, 1])).shape == (2, 1, 4, 6)
    assert torch.equal(small.labels, mod.load("test").labels)


def test_run_that_cannot_hold_its_working_set_stops_before_the_run_dir(tmp_path, registry, monkeypatch):
    from ddif_core import limits
    from ddif_core.config import build_config
    from ddif_core.engine import run
    from ddif_core.testing import ToyModality

    sets = ["param.warmup_steps=2", "distill.iterations=1", "eval.runs=1", "eval.epochs=1", "eval.net=mlp",
            "modality.per_class=40"]

    def cfg(*extra):
        return build_config({"modality": "toy", "loss": "dm", "out": str(tmp_path / "run"), "device": "cpu"}, None,
                            [*sets, *extra], ToyModality.presets)

    # toy 1x8x8: a real batch of 40 per class is 3 x 40 x 256 B = 30 KiB, the largest part held
    monkeypatch.setattr(limits, "available_bytes", lambda: 16 * 1024)
    with pytest.raises(ConfigError, match=r"^this run \(.*real batches 30\.0 KiB.*lower matcher\.batch_real$"):
        run(cfg("matcher.batch_real=40"), quiet=True, registry=registry)
    assert not (tmp_path / "run").exists()
    monkeypatch.setattr(limits, "available_bytes", lambda: 64 * 1024)
    assert run(cfg("matcher.batch_real=12"), quiet=True, registry=registry).metrics["runs"] == 1

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ddif_core import ConfigError, DataError
from ddif_core.testing import check_modality
from ddif_voxel.modality import VoxelModality, VoxelOptions
from ddif_voxel.primitives import CLASS_NAMES
from voxel_files import make_mesh_folder, make_modelnet_meshes, make_resampled, make_shapenet_part


def _opts(tmp_path: Path, **kw) -> VoxelOptions:
    return VoxelOptions(**{"resolution": 8, "points": 500, "cache_dir": str(tmp_path / "cache"), **kw})


@pytest.mark.parametrize("dataset, make", [
    ("modelnet10", make_modelnet_meshes), ("modelnet10", make_resampled), ("shapenet", make_shapenet_part),
    ("folder", lambda root: make_mesh_folder(root / "shapes")),
])
def test_contract_on_every_layout(tmp_path: Path, dataset: str, make) -> None:
    root = make(tmp_path / "data")
    check_modality(VoxelModality, _opts(tmp_path), dataset, root)
    mod = VoxelModality(_opts(tmp_path), dataset, root)
    assert len(mod.class_names) == 3 and mod.sample_shape == (1, 8, 8, 8)


def test_default_dataset_is_modelnet10_with_a_root_and_primitives_without(tmp_path: Path) -> None:
    root = make_modelnet_meshes(tmp_path)
    assert VoxelModality(_opts(tmp_path), None, root).dataset == "modelnet10"
    mod = VoxelModality(_opts(tmp_path, primitives_per_class=1, primitives_test_per_class=1))
    assert mod.dataset == "primitives" and mod.class_names == list(CLASS_NAMES)
    data = mod.load("train")
    assert len(data) == 10 and data.labels.tolist() == list(range(10))
    assert len(list((tmp_path / "cache" / "data").iterdir())) == 1  # generated once into the cache


def test_standardised_with_the_training_statistics_kept_in_state(tmp_path: Path) -> None:
    root = make_modelnet_meshes(tmp_path)
    mod = VoxelModality(_opts(tmp_path), "modelnet10", root)
    test = mod.load("test")  # the training statistics are computed even when test comes first
    train = mod.load("train")
    x = train.get(torch.arange(len(train)))
    assert abs(float(x.mean())) < 1e-5 and abs(float(x.std(unbiased=False)) - 1) < 1e-4
    state = mod.state()
    assert set(state) == {"occupancy_mean", "occupancy_std"}
    occ = mod.denormalize(test.get(torch.arange(len(test))))
    assert torch.allclose(occ.unique(), torch.tensor([0.0, 1.0]), atol=1e-5)
    other = VoxelModality(_opts(tmp_path), "modelnet10", tmp_path / "not-there")
    other.load_state(state)
    assert torch.allclose(other.denormalize(x), mod.denormalize(x))


def test_cache_is_reused_and_keyed_by_files_and_options(tmp_path: Path, monkeypatch) -> None:
    root = make_modelnet_meshes(tmp_path)
    first = VoxelModality(_opts(tmp_path), "modelnet10", root).load("train")
    import ddif_voxel.grids as grids

    def fail(*a, **k):
        raise AssertionError("voxelised again")

    monkeypatch.setattr(grids, "voxelize_source", fail)
    again = VoxelModality(_opts(tmp_path), "modelnet10", root).load("train")
    assert torch.equal(again.get(torch.arange(6)), first.get(torch.arange(6)))
    with pytest.raises(AssertionError, match="voxelised again"):
        VoxelModality(_opts(tmp_path, normalize="uniform"), "modelnet10", root).load("train")
    monkeypatch.undo()
    entries = sorted((tmp_path / "cache" / "voxel").iterdir())
    assert len(entries) == 1 and sorted(p.name for p in entries[0].iterdir()) == [
        "count.npy", "grids.npy", "labels.npy", "skipped.npy", "stats.npy"]
    assert np.load(entries[0] / "grids.npy").dtype == np.uint8


def test_malformed_off_is_one_sentence_and_leaves_nothing(tmp_path: Path) -> None:
    root = make_modelnet_meshes(tmp_path)
    bad = root / "table" / "train" / "table_0002.off"
    bad.write_text("OFF8 6 0\n0 0 0\n1 0 0\n")
    with pytest.raises(DataError, match=r"table_0002.off declares 8 vertices and 6 faces but holds only 2"):
        VoxelModality(_opts(tmp_path), "modelnet10", root).load("train")
    cache = tmp_path / "cache" / "voxel"
    assert not cache.exists() or not [p for p in cache.rglob("*") if p.is_file()]
    mod = VoxelModality(_opts(tmp_path, skip_bad_files=True), "modelnet10", root)
    data = mod.load("train")
    assert len(data) == 5 and mod.skipped["train"] == 1 and data.labels.tolist() == [0, 0, 1, 1, 2]


def test_missing_root_and_folder_without_root(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        VoxelModality(_opts(tmp_path), "modelnet10", tmp_path / "nothing").load("train")
    with pytest.raises(DataError, match="--dataset folder needs --data-root"):
        VoxelModality(_opts(tmp_path), "folder")
    with pytest.raises(DataError, match="--dataset shapenet needs --data-root"):
        VoxelModality(_opts(tmp_path), "shapenet").load("train")


def test_resize_area_max_nearest(tmp_path: Path) -> None:
    mod = VoxelModality(_opts(tmp_path), "modelnet10", tmp_path / "no-data")  # resizing reads no file
    x = torch.zeros(1, 1, 4, 4, 4)
    x[0, 0, 0, 0, 0] = 1.0  # one occupied cell of the 2x2x2 block that becomes cell (0, 0, 0)
    assert float(mod.resize(x, (1, 2, 2, 2))[0, 0, 0, 0, 0]) == pytest.approx(1 / 8)
    assert float(mod.resize(x, (1, 2, 2, 2), "max")[0, 0, 0, 0, 0]) == 1.0
    up = mod.resize(x, (1, 8, 8, 8))
    assert up.shape == (1, 1, 8, 8, 8) and float(up.sum()) == 8.0 and float(up[0, 0, :2, :2, :2].min()) == 1.0
    mixed = mod.resize(x, (1, 8, 2, 4))
    assert mixed.shape == (1, 1, 8, 2, 4) and float(mixed[0, 0, 0, 0, 0]) == pytest.approx(0.5)
    assert mod.resize(x, (1, 8, 8, 8), "trilinear").shape == (1, 1, 8, 8, 8)
    with pytest.raises(ConfigError, match="bilinear"):
        mod.resize(x, (1, 8, 8, 8), "bilinear")


def test_render_preview_per_class_compare_export(tmp_path: Path, capsys) -> None:
    root = make_modelnet_meshes(tmp_path / "data")
    mod = VoxelModality(_opts(tmp_path), "modelnet10", root)
    data = mod.load("train")
    x, y = data.get(torch.arange(len(data))), data.labels
    out = tmp_path / "out"
    out.mkdir()
    assert mod.render(x, y, out, "preview") == [Path("preview.png")]
    from PIL import Image

    width, height = Image.open(out / "preview.png").size
    assert height > width / 2 > 0  # three classes as rows of two instances
    assert [str(p) for p in mod.render(x, y, out, "per-class")] == ["000_chair.obj", "001_night_stand.obj",
                                                                     "002_table.obj"]
    assert mod.render([x, mod.resize(x, (1, 16, 16, 16))], y, out, "compare") == [Path("compare.png")]
    x[1] = -10.0  # nothing above 0.5: an empty mesh, counted
    paths = mod.render(x, y, out, "export", "ply")
    assert [str(p) for p in paths][:3] == ["000_chair/00000.ply", "000_chair/00001.ply", "001_night_stand/00000.ply"]
    assert "1 of 6 decoded grids have no cell above occupancy 0.5" in capsys.readouterr().err
    assert all((out / p).is_file() for p in paths)
    assert mod.render(x, y, out, "export")[0].suffix == ".obj"  # obj is the default
    with pytest.raises(ConfigError, match="--format stl"):
        mod.render(x, y, out, "export", "stl")


def test_load_at_voxelises_the_files_at_the_new_resolution(tmp_path: Path) -> None:
    root = make_modelnet_meshes(tmp_path)
    mod = VoxelModality(_opts(tmp_path), "modelnet10", root)
    fine = mod.load_at("test", (1, 16, 16, 16))
    assert fine.sample_shape == (1, 16, 16, 16) and fine.labels.tolist() == [0, 1, 2]
    direct = VoxelModality(_opts(tmp_path, resolution=16), "modelnet10", root)
    direct._stats = mod._stats  # the run's standardisation, not the 16^3 training split's
    assert torch.equal(fine.get(torch.arange(3)), direct.load("test").get(torch.arange(3)))
    assert mod.load_at("test", (1, 8, 8, 8)).sample_shape == (1, 8, 8, 8)
    assert mod.load_at("test", (1, 8, 4, 8)).get(torch.arange(1)).shape == (1, 1, 8, 4, 8)

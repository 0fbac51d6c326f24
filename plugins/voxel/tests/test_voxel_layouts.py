from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ddif_core.errors import DataError
from ddif_voxel.folder import MeshTree
from ddif_voxel.grids import VoxelSettings, build_split, voxelize_source
from ddif_voxel.modelnet import ResampledModelNet, find_modelnet
from ddif_voxel.shapenet import find_shapenet
from voxel_files import make_mesh_folder, make_modelnet_meshes, make_resampled, make_shapenet_part, write_box_off


class MemoryWriter:
    """The cache's writer interface (``array(name, shape, dtype)``), in memory."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        self.arrays[name] = np.zeros(shape, dtype=dtype)
        return self.arrays[name]


def test_modelnet_meshes_from_the_folder_or_its_parent(tmp_path: Path) -> None:
    base = make_modelnet_meshes(tmp_path)
    for root in (tmp_path, base):
        layout = find_modelnet(root, 10)
        assert isinstance(layout, MeshTree) and layout.kind == "mesh" and layout.root == base
        assert layout.class_names == ("chair", "night_stand", "table")
    train = layout.split("train")
    assert [s.label for s in train] == [0, 0, 1, 1, 2, 2]
    assert train[2].key == "night_stand/train/night_stand_0001.off"
    assert [s.path.name for s in layout.split("test")] == ["chair_0003.off", "night_stand_0003.off", "table_0003.off"]


def test_modelnet_missing_and_empty(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="holds neither ModelNet40"):
        find_modelnet(tmp_path, 40)
    base = make_modelnet_meshes(tmp_path)
    for f in (base / "table" / "test").iterdir():
        f.unlink()
    with pytest.raises(DataError, match=r"table/test holds no \.off file"):
        find_modelnet(tmp_path, 10).split("test")


def test_pointnet_resampled_release(tmp_path: Path) -> None:
    base = make_resampled(tmp_path)
    layout = find_modelnet(tmp_path, 10)
    assert isinstance(layout, ResampledModelNet) and layout.kind == "points" and layout.root == base
    assert layout.class_names == ("bathtub", "night_stand", "bed")  # the shape-names file's order, not sorted
    train = layout.split("train")
    assert [s.label for s in train] == [0, 0, 1, 1, 2, 2]
    assert train[2].path == base / "night_stand" / "night_stand_0001.txt"
    (base / "bed" / "bed_0003.txt").unlink()
    with pytest.raises(DataError, match=r"modelnet10_test.txt line 3 names 'bed_0003' but .*bed_0003.txt does not exist"):
        layout.split("test")
    (base / "modelnet10_test.txt").write_text("sofa_0001\n")
    with pytest.raises(DataError, match="class 'sofa' is not in modelnet10_shape_names.txt"):
        layout.split("test")


def test_shapenet_part(tmp_path: Path) -> None:
    base = make_shapenet_part(tmp_path)
    for root in (tmp_path, base):
        layout = find_shapenet(root)
        assert layout.class_names == ("Airplane", "Bag", "Cap") and layout.kind == "points"
    train = layout.split("train")
    assert [s.label for s in train] == [0, 0, 1, 1, 2, 2]
    assert train[0].path.parent.name == "02691156"
    (base / "train_test_split" / "shuffled_test_file_list.json").write_text('["shape_data/99999999/abc"]')
    with pytest.raises(DataError, match="entry 0 is 'shape_data/99999999/abc'"):
        layout.split("test")
    with pytest.raises(DataError, match="has no synsetoffset2category.txt"):
        find_shapenet(tmp_path / "shapenetcore_partanno_segmentation_benchmark_v0_normal" / "02691156")


def test_mesh_folder_reads_obj_ply_stl(tmp_path: Path) -> None:
    layout = MeshTree(make_mesh_folder(tmp_path / "shapes"))
    assert layout.class_names == ("cone", "cube", "tube")
    settings = VoxelSettings(resolution=8, points=2000)
    for source in layout.split("test"):
        grid = voxelize_source(source, layout.kind, settings)
        assert grid.shape == (8, 8, 8) and grid.any(axis=(1, 2)).all()  # axis mode spans every axis


def test_points_voxelise_and_short_rows_fail(tmp_path: Path) -> None:
    layout = find_modelnet(make_resampled(tmp_path), 10)
    source = layout.split("train")[0]
    grid = voxelize_source(source, "points", VoxelSettings(resolution=8))
    assert grid[0].any() and grid[-1].any() and not grid[2:-2, 2:-2, 2:-2].any()  # the box's surface only
    source.path.write_text("0.1,0.2\n0.3,0.4\n")
    with pytest.raises(DataError, match=r"bathtub_0001.txt has rows of 2 value\(s\), expected at least 3 columns"):
        voxelize_source(source, "points", VoxelSettings(resolution=8))


def test_build_split_labels_stats_and_skips(tmp_path: Path) -> None:
    base = make_modelnet_meshes(tmp_path, train=2)
    layout = find_modelnet(base, 10)
    sources = layout.split("train")
    settings = VoxelSettings(resolution=8, points=3000)
    w = MemoryWriter()
    build_split(sources, "mesh", settings, w)
    a = w.arrays
    assert a["grids"].shape == (6, 1, 8, 8, 8) and a["grids"].dtype == np.uint8
    assert a["labels"].tolist() == [0, 0, 1, 1, 2, 2] and int(a["count"][0]) == 6 and int(a["skipped"][0]) == 0
    mean = a["grids"].mean()
    np.testing.assert_allclose(a["stats"], [mean, a["grids"].std()], rtol=1e-9)
    np.testing.assert_array_equal(a["grids"][0, 0], voxelize_source(sources[0], "mesh", settings))  # seeded per file

    sources[1].path.write_text("OFF8 6 0\n0 0 0\n")
    with pytest.raises(DataError, match=r"chair_0002.off declares 8 vertices and 6 faces"):
        build_split(sources, "mesh", settings, MemoryWriter())
    w = MemoryWriter()
    build_split(sources, "mesh", settings, w, skip_bad_files=True)
    assert int(w.arrays["count"][0]) == 5 and int(w.arrays["skipped"][0]) == 1
    assert w.arrays["labels"].tolist() == [0, 1, 1, 2, 2, -1]
    assert not w.arrays["grids"][5].any()


def test_fill_applies_to_watertight_meshes(tmp_path: Path) -> None:
    source = find_modelnet(make_modelnet_meshes(tmp_path, train=1), 10).split("train")[0]
    hollow = voxelize_source(source, "mesh", VoxelSettings(resolution=8, points=4000))
    solid = voxelize_source(source, "mesh", VoxelSettings(resolution=8, points=4000, fill=True))
    # Sampled points reach the last cell of an axis only on the far faces themselves (x, floor), so a few
    # cells on the far edges stay empty; the shell is still closed and the fill adds exactly the 6^3 inside cells.
    assert not hollow[1:-1, 1:-1, 1:-1].any() and hollow.sum() > 0.9 * (8 ** 3 - 6 ** 3)
    assert solid[1:-1, 1:-1, 1:-1].all() and int(solid.sum()) == int(hollow.sum()) + 6 ** 3

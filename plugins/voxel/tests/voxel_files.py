"""Tiny files in the real on-disk formats of the voxel datasets, written by the tests themselves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

# A unit cube as ModelNet stores many meshes: 8 vertices and 6 quads (fan-triangulated by the reader).
CUBE_VERTICES = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]
CUBE_QUADS = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]


def off_text(vertices, polygons, glued: bool = True, scale=(1.0, 1.0, 1.0)) -> str:
    head = f"OFF{len(vertices)} {len(polygons)} 0" if glued else f"OFF\n{len(vertices)} {len(polygons)} 0"
    rows = [" ".join(f"{c * s:g}" for c, s in zip(v, scale)) for v in vertices]
    faces = [f"{len(p)} " + " ".join(str(i) for i in p) for p in polygons]
    return "\n".join([head, *rows, *faces]) + "\n"


def write_box_off(path: Path, scale=(1.0, 1.0, 1.0), glued: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(off_text(CUBE_VERTICES, CUBE_QUADS, glued, scale))
    return path


def make_modelnet_meshes(root: Path, classes=("chair", "night_stand", "table"), train: int = 2, test: int = 1) -> Path:
    """``root/ModelNet10/<class>/{train,test}/<class>_NNNN.off``: boxes whose proportions depend on the class."""
    base = root / "ModelNet10"
    for c, name in enumerate(classes):
        for split, first, n in (("train", 1, train), ("test", train + 1, test)):
            for i in range(n):
                scale = (1.0 + c, 1.0, 0.5 + 0.1 * i)
                write_box_off(base / name / split / f"{name}_{first + i:04d}.off", scale, glued=(first + i) % 2 == 0)
    return base


def _box_points(extent, n: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 1, (n, 3))
    axis = rng.integers(0, 3, n)
    pts[np.arange(n), axis] = rng.integers(0, 2, n)  # on a face of the unit cube
    return pts * np.asarray(extent)


def make_resampled(root: Path, classes=("bathtub", "night_stand", "bed"), train: int = 2, test: int = 1) -> Path:
    """The PointNet++ release: ``modelnet40_normal_resampled/`` with modelnet10_* lists and comma rows."""
    base = root / "modelnet40_normal_resampled"
    base.mkdir(parents=True)
    (base / "modelnet10_shape_names.txt").write_text("\n".join(classes) + "\n")
    lists: dict[str, list[str]] = {"train": [], "test": []}
    for c, name in enumerate(classes):
        (base / name).mkdir()
        for i in range(train + test):
            entry = f"{name}_{i + 1:04d}"
            lists["train" if i < train else "test"].append(entry)
            pts = _box_points((1.0 + c, 1.0, 0.5), seed=10 * c + i)
            rows = [",".join(f"{v:.6f}" for v in (*p, 0.0, 0.0, 1.0)) for p in pts]
            (base / name / f"{entry}.txt").write_text("\n".join(rows) + "\n")
    for split, entries in lists.items():
        (base / f"modelnet10_{split}.txt").write_text("\n".join(entries) + "\n")
    return base


SHAPENET_CATEGORIES = (("Airplane", "02691156"), ("Bag", "02773838"), ("Cap", "02954340"))


def make_shapenet_part(root: Path, train: int = 2, test: int = 1) -> Path:
    """``shapenetcore_partanno_segmentation_benchmark_v0_normal/``: categories file, split JSONs, point files."""
    base = root / "shapenetcore_partanno_segmentation_benchmark_v0_normal"
    (base / "train_test_split").mkdir(parents=True)
    (base / "synsetoffset2category.txt").write_text("".join(f"{n}\t{s}\n" for n, s in SHAPENET_CATEGORIES))
    lists: dict[str, list[str]] = {"train": [], "test": [], "val": []}
    for c, (_, synset) in enumerate(SHAPENET_CATEGORIES):
        (base / synset).mkdir()
        for i in range(train + test):
            shape_id = f"{c}{i}aa{i}f00d"
            lists["train" if i < train else "test"].append(f"shape_data/{synset}/{shape_id}")
            pts = _box_points((1.0, 1.0 + c, 0.5), seed=100 + 10 * c + i)
            rows = [" ".join(f"{v:.6f}" for v in (*p, 0.0, 1.0, 0.0)) + f" {c}" for p in pts]
            (base / synset / f"{shape_id}.txt").write_text("\n".join(rows) + "\n")
    for split, entries in lists.items():
        (base / "train_test_split" / f"shuffled_{split}_file_list.json").write_text(json.dumps(entries))
    return base


def make_mesh_folder(root: Path) -> Path:
    """``root/<class>/{train,test}/`` with one mesh format per class (OBJ, PLY, STL) written by trimesh."""
    import trimesh

    for c, (name, fmt) in enumerate((("cone", "obj"), ("cube", "ply"), ("tube", "stl"))):
        for split, n in (("train", 2), ("test", 1)):
            folder = root / name / split
            folder.mkdir(parents=True)
            for i in range(n):
                mesh = [trimesh.creation.cone(0.5, 1.0 + i), trimesh.creation.box((1.0, 1.0 + i, 0.5)),
                        trimesh.creation.cylinder(0.3, 1.5 + i)][c]
                mesh.export(folder / f"{name}_{i}.{fmt}")
    return root

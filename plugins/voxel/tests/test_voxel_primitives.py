from __future__ import annotations

from pathlib import Path

import numpy as np

from ddif_voxel.grids import VoxelSettings, voxelize_source
from ddif_voxel.meshes import read_mesh
from ddif_voxel.modelnet import find_modelnet
from ddif_voxel.primitives import CLASS_NAMES, write_primitives


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_primitives_in_the_modelnet10_layout_deterministic(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    write_primitives(tmp_path / "a", per_class=2, test_per_class=1, seed=3, progress=lambda d, t: calls.append((d, t)))
    write_primitives(tmp_path / "b", per_class=2, test_per_class=1, seed=3)
    write_primitives(tmp_path / "c", per_class=2, test_per_class=1, seed=4)
    a, b, c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert a == b and a != c and a.keys() == c.keys()
    assert len(CLASS_NAMES) == 10 and len(a) == 30
    assert calls[-1] == (30, 30) and len(calls) == 30
    assert "table/train/table_0002.off" in a and "table/test/table_0003.off" in a
    assert a["table/train/table_0002.off"].startswith(b"OFF") and a["table/train/table_0001.off"].startswith(b"OFF\n")

    layout = find_modelnet(tmp_path / "a", 10)  # read back by the ModelNet loader
    assert layout.class_names == CLASS_NAMES
    for source in layout.split("test"):
        mesh = read_mesh(source.path)
        assert mesh.is_watertight and mesh.area > 0


def test_classes_differ_in_structure(tmp_path: Path) -> None:
    write_primitives(tmp_path, per_class=1, test_per_class=0, seed=0)
    layout = find_modelnet(tmp_path, 10)
    settings = VoxelSettings(resolution=16, normalize="uniform", points=4000)
    grids = {CLASS_NAMES[s.label]: voxelize_source(s, "mesh", settings) for s in layout.split("train")}
    # A table's top layer is far fuller than its middle (legs only); a lamp is tall and thin; a dumbbell is flat.
    table = grids["table"].sum(axis=(0, 1))
    z_top = int(np.flatnonzero(table)[-1])
    assert table[z_top] + table[z_top - 1] > 5 * table[z_top // 2]
    extent = {k: [int(np.flatnonzero(g.any(axis=tuple(a for a in range(3) if a != ax))).size) for ax in range(3)]
              for k, g in grids.items()}
    assert extent["lamp"][2] == 16 and max(extent["lamp"][:2]) < 16
    assert extent["dumbbell"][2] < max(extent["dumbbell"][:2])

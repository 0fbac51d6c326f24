"""The voxel plugin through the real CLI, on OFF files the test writes (no download, no real dataset)."""

from __future__ import annotations

import json
from pathlib import Path

from ddif_core.cli import main
from voxel_files import make_modelnet_meshes


def cli(capsys, *args):
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_budget_row_of_table_8(capsys) -> None:
    rc, out, err = cli(capsys, "budget", "--modality", "voxel", "--dataset", "modelnet10", "--ipc", "1", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["params_per_field"] == 941 and data["fields_per_class"] == 34
    assert (data["layers"], data["width"]) == (3, 20)


def test_data_make_primitives(capsys, tmp_path: Path) -> None:
    out_dir = tmp_path / "prims"
    rc, out, err = cli(capsys, "data", "make", "primitives", "--out", out_dir, "--per-class", 1, "--set",
                       "test_per_class=1", "--seed", 2)
    assert rc == 0, err
    files = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*.off"))
    assert len(files) == 20 and "chair/test/chair_0002.off" in files and "chair/train/chair_0001.off" in files
    rc, out, err = cli(capsys, "data", "make", "primitives", "--out", out_dir)
    assert rc == 1 and "already exists" in err


def test_run_tiny_preset_on_off_files_then_decode(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DDIF_CACHE_DIR", str(tmp_path / "cache"))
    root = make_modelnet_meshes(tmp_path / "data")
    run_dir = tmp_path / "run"
    rc, out, err = cli(capsys, "run", "--modality", "voxel", "--loss", "dm", "--preset", "tiny", "--data-root", root,
                       "--out", run_dir, "--device", "cpu", "-q", "--json")
    assert rc == 0, err
    metrics = json.loads(out)
    # 8^3 grids of 3 classes at IPC 1: 1536 values; fields of L=2, d=4 (41 parameters) -> 12 per class
    assert (metrics["budget_allowed"], metrics["params_per_item"], metrics["items_per_class"]) == (1536, 41, 12)
    assert metrics["num_decoded"] == 36 and metrics["net"] == "conv3dnet" and len(metrics["accuracies"]) == 1
    assert (run_dir / "synthetic.safetensors").is_file() and (run_dir / "preview.png").is_file()
    assert sorted(p.name for p in (run_dir / "previews").iterdir()) == ["000_chair.obj", "001_night_stand.obj",
                                                                        "002_table.obj"]

    rc, out, err = cli(capsys, "decode", run_dir, "--out", tmp_path / "meshes", "--format", "obj")
    assert rc == 0, err
    meshes = tmp_path / "meshes"
    objs = sorted(p.relative_to(meshes).as_posix() for p in meshes.rglob("*.obj"))
    assert len(objs) == 36 and objs[0] == "000_chair/00000.obj"
    rows = (meshes / "labels.csv").read_text().splitlines()
    assert len(rows) == 37 and rows[1] == "000_chair/00000.obj,0,chair"
    empty = sum(len((meshes / o).read_text().strip()) == 0 or "f " not in (meshes / o).read_text() for o in objs)
    assert (f"{empty} of 36 decoded grids have no cell above occupancy 0.5" in err) == (empty > 0)

    rc, out, err = cli(capsys, "decode", run_dir, "--out", tmp_path / "fine", "--format", "ply", "--resolution", 16)
    assert rc == 0, err
    assert (tmp_path / "fine" / "compare.png").is_file() and len(list((tmp_path / "fine").rglob("*.ply"))) == 36

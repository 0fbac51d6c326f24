from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ddif_voxel.export import grid_to_mesh, write_mesh
from ddif_voxel.render import projections, save_png, sheet, tile


def _ball(r: int, radius: float) -> np.ndarray:
    c = (np.arange(r) + 0.5) / r - 0.5  # cell centres in the unit cube, centred
    x, y, z = np.meshgrid(c, c, c, indexing="ij")
    return (x ** 2 + y ** 2 + z ** 2 <= radius ** 2).astype(np.float32)


def test_marching_cubes_of_a_ball_is_closed_with_its_volume(tmp_path: Path) -> None:
    import trimesh

    vertices, faces = grid_to_mesh(_ball(24, 0.35))
    mesh = trimesh.Trimesh(vertices, faces)
    assert mesh.is_watertight
    assert vertices.min() >= 0 and vertices.max() <= 1
    assert abs(mesh.volume / (4 / 3 * np.pi * 0.35 ** 3) - 1) < 0.1
    for fmt in ("obj", "ply"):
        write_mesh(tmp_path / f"ball.{fmt}", vertices, faces, fmt)
        back = trimesh.load(tmp_path / f"ball.{fmt}", force="mesh")
        assert len(back.faces) == len(faces)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ball.obj", "ball.ply"]  # no temporary left


def test_shape_touching_the_border_is_closed_and_empty_grid_gives_empty_mesh(tmp_path: Path) -> None:
    import trimesh

    vertices, faces = grid_to_mesh(np.ones((4, 5, 6)))
    mesh = trimesh.Trimesh(vertices, faces)
    assert mesh.is_watertight and np.allclose(mesh.bounds, [[0, 0, 0], [1, 1, 1]], atol=0.13)
    vertices, faces = grid_to_mesh(np.full((8, 8, 8), 0.4))
    assert vertices.shape == (0, 3) and faces.shape == (0, 3)
    write_mesh(tmp_path / "empty.obj", vertices, faces, "obj")
    assert (tmp_path / "empty.obj").is_file()
    with pytest.raises(ValueError, match="obj, ply"):
        write_mesh(tmp_path / "x.stl", vertices, faces, "stl")


def test_projections_front_side_top(tmp_path: Path) -> None:
    grid = np.zeros((8, 8, 8))
    grid[1, 2, 7] = 1.0  # x=1, y=2, z=7 (top)
    views = projections(grid, size=8)
    assert views.shape == (3, 8, 8) and views.dtype == np.uint8
    front, side, top = (np.argwhere(v == 0).tolist() for v in views)
    assert front == [[0, 1]] and side == [[0, 2]] and top == [[5, 1]]  # rows from the top of the picture
    strip = tile(views)
    image = sheet([[strip, strip], [strip]])
    assert image.shape == (8 + 8 + 4, 2 * strip.shape[1] + 4)
    save_png(image, tmp_path / "p.png")
    from PIL import Image

    assert Image.open(tmp_path / "p.png").size == (image.shape[1], image.shape[0])


def test_field_fitted_to_a_ball_exports_a_closed_mesh_of_its_volume() -> None:
    import trimesh

    from ddif_core import FieldBank

    torch.manual_seed(0)
    r = 16
    ball = torch.from_numpy(_ball(r, 0.35))  # (R, R, R) occupancy
    bank = FieldBank(1, 3, 1, 3, 20, w0=40.0, w0_first=30.0, generator=torch.Generator().manual_seed(0))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one small field: a second thread only waits (and spins on a loaded machine)
    try:
        bank.fit((r, r, r), ball.reshape(1, -1, 1), steps=200, lr=5e-4)
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        decoded = bank.decode_grid((r, r, r)).reshape(r, r, r)  # the field on the same grid
    vertices, faces = grid_to_mesh(decoded.numpy())
    mesh = trimesh.Trimesh(vertices, faces)
    assert mesh.is_watertight
    assert abs(mesh.volume / (4 / 3 * np.pi * 0.35 ** 3) - 1) < 0.1

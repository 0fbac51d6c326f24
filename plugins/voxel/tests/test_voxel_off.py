from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ddif_core.errors import DataError
from ddif_voxel.off import parse_off, read_off, write_off
from voxel_files import CUBE_QUADS, CUBE_VERTICES, off_text


def test_glued_counts_and_quads_are_fan_triangulated(tmp_path: Path) -> None:
    path = tmp_path / "chair_0001.off"
    path.write_text(off_text(CUBE_VERTICES, CUBE_QUADS, glued=True))
    assert path.read_text().startswith("OFF8 6 0\n")
    vertices, faces = read_off(path)
    assert vertices.shape == (8, 3) and vertices.dtype == np.float64
    assert faces.shape == (12, 3) and faces.dtype == np.int64
    assert faces[:2].tolist() == [[0, 3, 2], [0, 2, 1]]  # quad (0 3 2 1) -> fan from its first corner


def test_counts_on_their_own_line_comments_colours_and_mixed_polygons() -> None:
    text = ("OFF\n# a comment line\n\n5 3 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n0.5 0.5 1  # apex\n"
            "4 0 1 2 3 255 0 0\n3 0 1 4\n5 0 1 2 3 4\n")
    vertices, faces = parse_off(text, "pyramid.off")
    assert vertices[4].tolist() == [0.5, 0.5, 1.0]
    # 2 (quad, colour ignored) + 1 (triangle) + 3 (pentagon) triangles
    assert sorted(map(tuple, faces.tolist())) == sorted(
        [(0, 1, 2), (0, 2, 3), (0, 1, 4), (0, 1, 2), (0, 2, 3), (0, 3, 4)])


@pytest.mark.parametrize("text, expected", [
    ("PLY\n3 1 0\n", "is not an OFF file"),
    ("OFF3 x 0\n", "expected two or three non-negative integers"),
    ("OFF0 0 0\n", "empty mesh"),
    ("OFF4 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n", "declares 4 vertices and 1 faces but holds only 4"),
    ("OFF3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n3 0 1 2\n", "1 line(s) after the 3 vertices and 1 faces"),
    ("OFF3 1 0\n0 0 0\n1 zero 0\n0 1 0\n3 0 1 2\n", "vertex 1 is '1 zero 0', expected three numbers"),
    ("OFF3 1 0\n0 0 0\n1 0\n0 1 0\n3 0 1 2\n", "vertex 1 has 2 value(s)"),
    ("OFF3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n", "vertex index 3, expected 0..2"),
    ("OFF3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 -1 2\n", "vertex index -1, expected 0..2"),
    ("OFF3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1.5 2\n", "face 0 is '3 0 1.5 2'"),
    ("OFF3 1 0\n0 0 0\n1 0 0\n0 1 0\n4 0 1 2\n", "face 0 declares 4 corner(s) and lists 3"),
    ("OFF3 1 0\n0 0 0\n1 0 0\n0 1 0\n2 0 1\n", "declares 2 corner(s)"),
])
def test_malformed_files_name_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "broken_0007.off"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        read_off(path)
    message = str(err.value)
    assert str(path) in message and expected in message
    assert "\n" not in message


def test_writer_round_trip_is_byte_identical(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vertices, faces = rng.normal(size=(5, 3)), np.array([[0, 1, 2], [2, 3, 4]])
    for glued in (False, True):
        a, b = tmp_path / f"a{glued}.off", tmp_path / f"b{glued}.off"
        write_off(a, vertices, faces, glued=glued)
        write_off(b, vertices, faces, glued=glued)
        assert a.read_bytes() == b.read_bytes()
        v, f = read_off(a)
        np.testing.assert_allclose(v, vertices, atol=1e-6)
        assert f.tolist() == faces.tolist()

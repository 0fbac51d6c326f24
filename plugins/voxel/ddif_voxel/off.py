"""The Object File Format (OFF) of ModelNet: a reader that accepts what the real files hold, and a writer.

ModelNet's files start with ``OFF`` and the counts ``<vertices> <faces> <edges>``; many of them glue the
counts to the keyword (``OFF490 518 0``), which trimesh's own OFF loader rejects, so the plugin parses
OFF itself. Faces are polygons ``k i_1 .. i_k`` (extra values after the indices, such as colours, are
ignored); polygons with more than three corners are fan-triangulated (i_1, i_j, i_j+1). Comments
(``#`` to the end of a line) and blank lines are skipped. Every malformed case raises :class:`OFFError`
with one sentence naming the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ddif_core import DataError


class OFFError(DataError):
    """A malformed OFF file; ``str(err)`` is one sentence naming the file."""


def read_off(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read an OFF file.

    :returns: vertices (V, 3) float64 and triangles (F, 3) int64 (polygons fan-triangulated).
    """
    try:
        text = Path(path).read_bytes().decode("latin-1")
    except OSError as exc:
        raise OFFError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_off(text, str(path))


def parse_off(text: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse the contents of an OFF file; ``name`` is the file named in errors."""
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines or not lines[0].startswith("OFF"):
        first = lines[0][:40] if lines else ""
        raise OFFError(f"{name} is not an OFF file: its first line is {first!r}, expected 'OFF' and the counts")
    header = lines[0][3:].split()
    body = 1
    if not header:  # the counts on a line of their own
        if len(lines) < 2:
            raise OFFError(f"{name} ends after 'OFF', expected a line with the vertex, face and edge counts")
        header, body = lines[1].split(), 2
    if len(header) not in (2, 3) or not all(tok.isdigit() for tok in header):
        raise OFFError(f"{name} has the counts {' '.join(header)!r}, expected two or three non-negative integers "
                       "(vertices faces [edges])")
    nv, nf = int(header[0]), int(header[1])
    if nv == 0 or nf == 0:
        raise OFFError(f"{name} is an empty mesh ({nv} vertices, {nf} faces)")
    vertex_lines = lines[body:body + nv]
    face_lines = lines[body + nv:body + nv + nf]
    if len(vertex_lines) < nv or len(face_lines) < nf:
        raise OFFError(f"{name} declares {nv} vertices and {nf} faces but holds only "
                       f"{len(lines) - body} vertex and face lines")
    extra = len(lines) - (body + nv + nf)
    if extra:
        raise OFFError(f"{name} has {extra} line(s) after the {nv} vertices and {nf} faces its counts declare")
    vertices = _vertices(vertex_lines, name, body)
    faces = _triangles(face_lines, nv, name)
    return vertices, faces


def _vertices(lines: list[str], name: str, first: int) -> np.ndarray:
    """(V, 3) float64 from lines of at least three numbers (further values such as colours ignored)."""
    rows = [line.split() for line in lines]
    short = next((i for i, r in enumerate(rows) if len(r) < 3), None)
    if short is not None:
        raise OFFError(f"{name}: vertex {short} has {len(rows[short])} value(s), expected x y z")
    try:
        out = np.array([r[:3] for r in rows], dtype=np.float64)
    except ValueError:
        bad = next(i for i, r in enumerate(rows) if not _all_float(r[:3]))
        raise OFFError(f"{name}: vertex {bad} is {' '.join(rows[bad][:3])!r}, expected three numbers") from None
    if not np.isfinite(out).all():
        raise OFFError(f"{name} has a vertex coordinate that is NaN or infinite")
    return out


def _all_float(tokens: list[str]) -> bool:
    try:
        [float(t) for t in tokens]
    except ValueError:
        return False
    return True


def _triangles(lines: list[str], nv: int, name: str) -> np.ndarray:
    """(F', 3) int64 triangles from polygon lines ``k i_1 .. i_k [...]`` (fan triangulation)."""
    rows = [line.split() for line in lines]
    widths = {len(r) for r in rows}
    if len(widths) == 1:  # the usual case: every polygon has the same number of corners
        table = np.array(rows)
        try:
            k = table[:, 0].astype(np.int64)
        except ValueError:
            k = None
        if k is not None and (k == k[0]).all() and 3 <= k[0] < table.shape[1]:
            try:
                corners = table[:, 1:k[0] + 1].astype(np.int64)
            except ValueError:
                corners = None  # the loop below finds the face and names it
            if corners is not None:
                return _checked(_fan(corners), nv, name)
    by_size: dict[int, list[list[int]]] = {}
    for i, row in enumerate(rows):
        try:
            k = int(row[0])
            corners = [int(t) for t in row[1:k + 1]]
        except ValueError:
            raise OFFError(f"{name}: face {i} is {' '.join(row[:8])!r}, expected integers 'k i_1 .. i_k'") from None
        if k < 3 or len(corners) != k:
            raise OFFError(f"{name}: face {i} declares {k} corner(s) and lists {len(corners)}, "
                           "expected at least 3 corner indices")
        by_size.setdefault(k, []).append(corners)
    # Triangles keep the face order within each polygon size; the order of faces carries no meaning.
    faces = [_fan(np.array(group, dtype=np.int64)) for _, group in sorted(by_size.items())]
    return _checked(np.concatenate(faces), nv, name)


def _fan(polygons: np.ndarray) -> np.ndarray:
    """(F, k) polygons -> (F*(k-2), 3) triangles (0, j, j+1), the triangles of one polygon adjacent."""
    f, k = polygons.shape
    j = np.arange(1, k - 1)
    tris = np.stack([np.broadcast_to(polygons[:, :1], (f, k - 2)), polygons[:, j], polygons[:, j + 1]], axis=-1)
    return tris.reshape(-1, 3)


def _checked(faces: np.ndarray, nv: int, name: str) -> np.ndarray:
    bad = (faces < 0) | (faces >= nv)
    if bad.any():
        value = int(faces[bad][0])
        raise OFFError(f"{name} has a face with vertex index {value}, expected 0..{nv - 1}")
    return faces


def write_off(path: Path, vertices: np.ndarray, faces: np.ndarray, glued: bool = False) -> None:
    """Write vertices (V, 3) and triangles (F, 3) as OFF (``glued``: counts on the keyword's line, as
    many ModelNet files). Coordinates with 6 decimals, so the output is byte-identical for equal input."""
    head = "OFF" if glued else "OFF\n"
    lines = [f"{head}{len(vertices)} {len(faces)} 0"]
    lines += [f"{x:.6f} {y:.6f} {z:.6f}" for x, y, z in np.asarray(vertices, dtype=np.float64).tolist()]
    lines += [f"3 {a} {b} {c}" for a, b, c in np.asarray(faces, dtype=np.int64).tolist()]
    Path(path).write_text("\n".join(lines) + "\n", encoding="ascii")

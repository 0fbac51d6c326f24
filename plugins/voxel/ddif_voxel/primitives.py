"""An offline stand-in for ModelNet10: ten classes of furniture-like shapes built from trimesh primitives.

Classes differ in structure, not only in size (a table is a slab on four legs, a chair adds a back, a stool has
three legs under a round seat, ...); each instance draws its proportions, a rotation about the up axis (z, as in
ModelNet) and a little vertex noise from a generator seeded by (seed, class, split, index), so the files are
byte-identical for a seed whatever order they are written in. Parts are placed side by side or overlapping and
concatenated (no boolean union: the surface sampler only needs the outer surface to be covered).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ddif_voxel.off import write_off

Builder = Callable[[np.random.Generator], list]  # -> list[trimesh.Trimesh]
SECTIONS = 16  # sides of cylinders and cones: coarse meshes keep the files small


def _box(size: tuple[float, float, float], centre: tuple[float, float, float]):
    import trimesh

    return trimesh.creation.box(extents=size, transform=trimesh.transformations.translation_matrix(centre))


def _cylinder(radius: float, height: float, centre: tuple[float, float, float], axis: str = "z"):
    import trimesh

    t = trimesh.transformations.translation_matrix(centre)
    if axis == "x":
        t = t @ trimesh.transformations.rotation_matrix(np.pi / 2, (0, 1, 0))
    return trimesh.creation.cylinder(radius=radius, height=height, sections=SECTIONS, transform=t)


def _legs(rng: np.random.Generator, w: float, d: float, h: float, inset: float) -> list:
    s = rng.uniform(0.04, 0.08)
    return [_box((s, s, h), (sx * (w / 2 - inset), sy * (d / 2 - inset), h / 2)) for sx in (-1, 1) for sy in (-1, 1)]


def table(rng: np.random.Generator) -> list:
    w, d, h, t = rng.uniform(1.0, 1.6), rng.uniform(0.6, 1.0), rng.uniform(0.6, 0.9), rng.uniform(0.04, 0.08)
    return [_box((w, d, t), (0, 0, h + t / 2)), *_legs(rng, w, d, h, rng.uniform(0.05, 0.15))]


def chair(rng: np.random.Generator) -> list:
    w, d, h, t = rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.5), 0.05
    back = rng.uniform(0.4, 0.7)
    return [_box((w, d, t), (0, 0, h + t / 2)), *_legs(rng, w, d, h, 0.04),
            _box((w, t, back), (0, -d / 2 + t / 2, h + t + back / 2))]


def bed(rng: np.random.Generator) -> list:
    w, length, lift, th = rng.uniform(0.9, 1.4), rng.uniform(1.8, 2.2), rng.uniform(0.15, 0.3), rng.uniform(0.2, 0.35)
    head = rng.uniform(0.6, 1.0)
    parts = [_box((w, length, th), (0, 0, lift + th / 2)), _box((w, 0.06, head), (0, -length / 2, head / 2))]
    return parts + _legs(rng, w, length, lift, 0.05)


def lamp(rng: np.random.Generator) -> list:
    import trimesh

    r_base, pole, r_shade, h_shade = rng.uniform(0.15, 0.25), rng.uniform(0.8, 1.4), rng.uniform(0.2, 0.35), \
        rng.uniform(0.2, 0.35)
    shade = trimesh.creation.cone(radius=r_shade, height=h_shade, sections=SECTIONS,
                                  transform=trimesh.transformations.translation_matrix((0, 0, pole - h_shade / 3)))
    return [_cylinder(r_base, 0.05, (0, 0, 0.025)), _cylinder(0.02, pole, (0, 0, pole / 2)), shade]


def bookshelf(rng: np.random.Generator) -> list:
    w, d, h, t = rng.uniform(0.6, 1.2), rng.uniform(0.25, 0.4), rng.uniform(1.0, 2.0), 0.04
    shelves = int(rng.integers(2, 5))
    parts = [_box((t, d, h), (sx * (w / 2 - t / 2), 0, h / 2)) for sx in (-1, 1)]
    parts.append(_box((w, t, h), (0, -d / 2 + t / 2, h / 2)))  # back panel
    parts += [_box((w, d, t), (0, 0, z)) for z in np.linspace(t / 2, h - t / 2, shelves + 2)]
    return parts


def mug(rng: np.random.Generator) -> list:
    import trimesh

    r, h, wall = rng.uniform(0.3, 0.45), rng.uniform(0.6, 1.0), rng.uniform(0.03, 0.06)
    body = trimesh.creation.annulus(r_min=r - wall, r_max=r, height=h, sections=SECTIONS,
                                    transform=trimesh.transformations.translation_matrix((0, 0, h / 2)))
    bottom = _cylinder(r, wall, (0, 0, wall / 2))
    handle_r = rng.uniform(0.15, 0.25) * h
    turn = trimesh.transformations.rotation_matrix(np.pi / 2, (1, 0, 0))
    handle = trimesh.creation.torus(major_radius=handle_r, minor_radius=0.03, major_sections=SECTIONS,
                                    minor_sections=8,
                                    transform=trimesh.transformations.translation_matrix((r, 0, h / 2)) @ turn)
    return [body, bottom, handle]


def bottle(rng: np.random.Generator) -> list:
    import trimesh

    r, body_h, shoulder, neck_r, neck_h = rng.uniform(0.15, 0.3), rng.uniform(0.6, 1.0), rng.uniform(0.1, 0.25), \
        rng.uniform(0.04, 0.08), rng.uniform(0.15, 0.3)
    cone = trimesh.creation.cone(radius=r, height=shoulder / (1 - neck_r / r), sections=SECTIONS,
                                 transform=trimesh.transformations.translation_matrix((0, 0, body_h)))
    return [_cylinder(r, body_h, (0, 0, body_h / 2)), cone,
            _cylinder(neck_r, neck_h, (0, 0, body_h + shoulder + neck_h / 2))]


def dumbbell(rng: np.random.Generator) -> list:
    import trimesh

    bar, r_bar, r_ball = rng.uniform(0.8, 1.4), rng.uniform(0.03, 0.06), rng.uniform(0.12, 0.25)
    balls = [trimesh.creation.icosphere(subdivisions=2, radius=r_ball).apply_translation((sx * bar / 2, 0, r_ball))
             for sx in (-1, 1)]
    return [_cylinder(r_bar, bar, (0, 0, r_ball), axis="x"), *balls]


def stool(rng: np.random.Generator) -> list:
    r, h, t, leg = rng.uniform(0.2, 0.35), rng.uniform(0.4, 0.8), rng.uniform(0.04, 0.08), rng.uniform(0.02, 0.04)
    angles = rng.uniform(0, 2 * np.pi / 3) + np.arange(3) * 2 * np.pi / 3
    legs = [_cylinder(leg, h, (0.75 * r * np.cos(a), 0.75 * r * np.sin(a), h / 2)) for a in angles]
    return [_cylinder(r, t, (0, 0, h + t / 2)), *legs]


def monitor(rng: np.random.Generator) -> list:
    w, h, lift = rng.uniform(0.8, 1.2), rng.uniform(0.5, 0.8), rng.uniform(0.15, 0.3)
    base_w, base_d = rng.uniform(0.3, 0.5), rng.uniform(0.2, 0.3)
    return [_box((w, 0.05, h), (0, 0, lift + h / 2)), _box((0.06, 0.04, lift), (0, 0.04, lift / 2)),
            _box((base_w, base_d, 0.03), (0, 0.04, 0.015))]


CLASSES: dict[str, Builder] = {
    "bed": bed, "bookshelf": bookshelf, "bottle": bottle, "chair": chair, "dumbbell": dumbbell,
    "lamp": lamp, "monitor": monitor, "mug": mug, "stool": stool, "table": table,
}
CLASS_NAMES = tuple(sorted(CLASSES))


def make_shape(name: str, rng: np.random.Generator, noise: float = 0.005) -> tuple[np.ndarray, np.ndarray]:
    """One instance of class ``name``: vertices (V, 3) float64 and triangles (F, 3) int64.

    The parts are concatenated, scaled by a random factor, rotated about z and jittered by Gaussian noise of
    ``noise`` times the shape's size on every vertex.
    """
    import trimesh

    mesh = trimesh.util.concatenate(CLASSES[name](rng))
    mesh.apply_scale(rng.uniform(0.8, 1.2))
    mesh.apply_transform(trimesh.transformations.rotation_matrix(rng.uniform(0, 2 * np.pi), (0, 0, 1)))
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    vertices = vertices + rng.normal(0.0, noise * float(mesh.scale), vertices.shape)
    return vertices, np.asarray(mesh.faces, dtype=np.int64)


def write_primitives(out_dir: Path, per_class: int, test_per_class: int, seed: int,
                     progress: Callable[[int, int], None] | None = None) -> None:
    """Write ``<out_dir>/<class>/{train,test}/<class>_NNNN.off`` as ModelNet10 lays out its files (test files
    numbered after the training files; every other file glues the counts to the keyword, as many of
    ModelNet's files do)."""
    total = len(CLASS_NAMES) * (per_class + test_per_class)
    done = 0
    for c, name in enumerate(CLASS_NAMES):
        for split_code, (split, n, first) in enumerate((("train", per_class, 1), ("test", test_per_class, per_class + 1))):
            folder = Path(out_dir) / name / split
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                rng = np.random.default_rng([seed, c, split_code, i])
                vertices, faces = make_shape(name, rng)
                number = first + i
                write_off(folder / f"{name}_{number:04d}.off", vertices, faces, glued=number % 2 == 0)
                done += 1
                if progress is not None:
                    progress(done, total)

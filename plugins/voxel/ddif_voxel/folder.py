"""Mesh trees ``<root>/<class>/{train,test}/*.{off,obj,ply,stl}`` (ModelNet's own layout, ShapeNetCore exports).

Classes are the sorted sub-folders of the root that hold a ``train`` or ``test`` folder.
"""

from __future__ import annotations

from pathlib import Path

from ddif_core import DataError
from ddif_voxel.meshes import MESH_SUFFIXES
from ddif_voxel.sources import Layout, Source


def class_folders(root: Path) -> list[str]:
    """Sorted names of the sub-folders of ``root`` that hold a ``train`` or ``test`` folder."""
    return sorted(d.name for d in root.iterdir()
                  if d.is_dir() and not d.name.startswith(".") and ((d / "train").is_dir() or (d / "test").is_dir()))


class MeshTree(Layout):
    """``<root>/<class>/<split>/*<suffix>`` for the given suffixes.

    :param what: how the layout is named in messages (e.g. "ModelNet meshes").
    """

    kind = "mesh"

    def __init__(self, root: Path, suffixes: tuple[str, ...] = MESH_SUFFIXES, what: str = "mesh folder") -> None:
        self.root = Path(root)
        self.suffixes = suffixes
        self.what = what
        classes = class_folders(self.root)
        if not classes:
            pattern = "{" + ",".join(s.lstrip(".") for s in suffixes) + "}"
            raise DataError(f"{self.root} has no class folders, expected <class>/train/*.{pattern} and "
                            f"<class>/test/*.{pattern}")
        self.class_names = tuple(classes)

    @property
    def title(self) -> str:
        return f"{self.what} in {self.root}"

    def split(self, split: str) -> list[Source]:
        out: list[Source] = []
        for label, name in enumerate(self.class_names):
            folder = self.root / name / split
            if not folder.is_dir():
                raise DataError(f"{folder} is missing, expected the {split} files of class '{name}'")
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in self.suffixes and p.is_file())
            if not files:
                raise DataError(f"{folder} holds no {'/'.join(self.suffixes)} file, expected the {split} meshes of "
                                f"class '{name}'")
            out += [Source(p, label, f"{name}/{split}/{p.name}") for p in files]
        return out

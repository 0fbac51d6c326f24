"""ModelNet10 / ModelNet40 in either of its two releases (the layout is detected from the files).

- Meshes (the official release): ``ModelNet10/<class>/{train,test}/<class>_NNNN.off``; ``--data-root`` may be
  that folder or its parent. Classes are the sorted class folders.
- The PointNet++ resampled release the authors read: ``modelnet40_normal_resampled/`` with
  ``modelnet10_shape_names.txt`` (class order), ``modelnet10_{train,test}.txt`` (one ``<class>_NNNN`` per line)
  and ``<class>/<class>_NNNN.txt`` (10,000 rows ``x,y,z,nx,ny,nz``); likewise ``modelnet40_*``.
"""

from __future__ import annotations

from pathlib import Path

from ddif_core import DataError
from ddif_voxel.folder import MeshTree, class_folders
from ddif_voxel.sources import Layout, Source

MODELNET10 = ("bathtub", "bed", "chair", "desk", "dresser", "monitor", "night_stand", "sofa", "table", "toilet")
MODELNET40 = (
    "airplane", "bathtub", "bed", "bench", "bookshelf", "bottle", "bowl", "car", "chair", "cone", "cup", "curtain",
    "desk", "door", "dresser", "flower_pot", "glass_box", "guitar", "keyboard", "lamp", "laptop", "mantel", "monitor",
    "night_stand", "person", "piano", "plant", "radio", "range_hood", "sink", "sofa", "stairs", "stool", "table",
    "tent", "toilet", "tv_stand", "vase", "wardrobe", "xbox",
)
RESAMPLED = "modelnet40_normal_resampled"


class ResampledModelNet(Layout):
    """The PointNet++ release: split lists name the files, the shape-names file orders the classes."""

    kind = "points"

    def __init__(self, root: Path, classes: int) -> None:
        self.root = Path(root)
        self.prefix = f"modelnet{classes}"
        names_file = self.root / f"{self.prefix}_shape_names.txt"
        names = [line.strip() for line in _read_lines(names_file) if line.strip()]
        if not names:
            raise DataError(f"{names_file} lists no class, expected one class name per line")
        self.class_names = tuple(names)

    @property
    def title(self) -> str:
        return f"PointNet++ resampled {self.prefix} in {self.root}"

    def split(self, split: str) -> list[Source]:
        list_file = self.root / f"{self.prefix}_{split}.txt"
        labels = {name: i for i, name in enumerate(self.class_names)}
        out: list[Source] = []
        for n, line in enumerate(_read_lines(list_file)):
            entry = line.strip()
            if not entry:
                continue
            cls = entry.rsplit("_", 1)[0]
            if cls not in labels:
                raise DataError(f"{list_file} line {n + 1} names '{entry}', whose class '{cls}' is not in "
                                f"{self.prefix}_shape_names.txt")
            path = self.root / cls / f"{entry}.txt"
            if not path.is_file():
                raise DataError(f"{list_file} line {n + 1} names '{entry}' but {path} does not exist")
            out.append(Source(path, labels[cls], f"{cls}/{entry}.txt"))
        if not out:
            raise DataError(f"{list_file} lists no shape, expected one <class>_NNNN per line")
        return out


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None


def find_modelnet(root: Path, classes: int) -> Layout:
    """The ModelNet``classes`` layout under ``root`` (the data folder itself or a folder holding it)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"dataset root {root} does not exist or is not a folder")
    names = f"modelnet{classes}_shape_names.txt"
    for base in (root, root / RESAMPLED):
        if (base / names).is_file():
            return ResampledModelNet(base, classes)
    for base in (root / f"ModelNet{classes}", root):
        if base.is_dir() and class_folders(base):
            return MeshTree(base, (".off",), f"ModelNet{classes} meshes")
    raise DataError(f"{root} holds neither ModelNet{classes}/<class>/{{train,test}}/*.off nor "
                    f"{RESAMPLED}/{names}, expected one of the two ModelNet{classes} releases")

"""ShapeNet-Part (``shapenetcore_partanno_segmentation_benchmark_v0_normal/``), read as the authors read it.

Classes in the line order of ``synsetoffset2category.txt`` (``Airplane<TAB>02691156``); splits from
``train_test_split/shuffled_{train,test}_file_list.json`` (a JSON list of ``shape_data/<synset>/<id>``; the val
list is unused, as in the authors' code); points from ``<synset>/<id>.txt`` (rows ``x y z nx ny nz part``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ddif_core import DataError
from ddif_voxel.sources import Layout, Source

SHAPENET_PART = ("Airplane", "Bag", "Cap", "Car", "Chair", "Earphone", "Guitar", "Knife", "Lamp", "Laptop",
                 "Motorbike", "Mug", "Pistol", "Rocket", "Skateboard", "Table")
FOLDER = "shapenetcore_partanno_segmentation_benchmark_v0_normal"
CATEGORIES = "synsetoffset2category.txt"


class ShapeNetPart(Layout):
    kind = "points"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        cat_file = self.root / CATEGORIES
        names: list[str] = []
        self.synsets: dict[str, int] = {}
        for n, line in enumerate(cat_file.read_text(encoding="utf-8", errors="replace").splitlines()):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise DataError(f"{cat_file} line {n + 1} is {line.strip()!r}, expected '<Category> <synset id>'")
            self.synsets[parts[1]] = len(names)
            names.append(parts[0])
        if not names:
            raise DataError(f"{cat_file} lists no category, expected lines '<Category> <synset id>'")
        self.class_names = tuple(names)

    @property
    def title(self) -> str:
        return f"ShapeNet-Part in {self.root}"

    def split(self, split: str) -> list[Source]:
        list_file = self.root / "train_test_split" / f"shuffled_{split}_file_list.json"
        try:
            entries = json.loads(list_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise DataError(f"cannot read {list_file}: {exc.strerror or exc}") from None
        except ValueError:
            raise DataError(f"{list_file} is not valid JSON, expected a list of 'shape_data/<synset>/<id>'") from None
        if not isinstance(entries, list) or not entries or not all(isinstance(e, str) for e in entries):
            raise DataError(f"{list_file} holds no list of 'shape_data/<synset>/<id>' strings")
        out: list[Source] = []
        for i, entry in enumerate(entries):
            parts = entry.strip("/").split("/")
            if len(parts) < 2 or parts[-2] not in self.synsets:
                raise DataError(f"{list_file} entry {i} is {entry!r}, expected 'shape_data/<synset>/<id>' with a "
                                f"synset listed in {CATEGORIES}")
            synset, shape_id = parts[-2], parts[-1]
            path = self.root / synset / f"{shape_id}.txt"
            if not path.is_file():
                raise DataError(f"{list_file} entry {i} names {entry!r} but {path} does not exist")
            out.append(Source(path, self.synsets[synset], f"{synset}/{shape_id}.txt"))
        return out


def find_shapenet(root: Path) -> ShapeNetPart:
    """ShapeNet-Part under ``root`` (the benchmark folder itself or a folder holding it)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"dataset root {root} does not exist or is not a folder")
    for base in (root, root / FOLDER):
        if (base / CATEGORIES).is_file():
            return ShapeNetPart(base)
    raise DataError(f"{root} has no {CATEGORIES} (nor {FOLDER}/{CATEGORIES}), expected the ShapeNet-Part benchmark "
                    "folder")

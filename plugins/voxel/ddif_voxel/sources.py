"""What a dataset layout yields: the files of a split with their labels, and what kind of file they are."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Source:
    """One instance on disk.

    :param path: the file (a mesh, or a text file of points).
    :param label: class index.
    :param key: the file's path relative to the layout's root (names it stably, e.g. for its sampling seed).
    """

    path: Path
    label: int
    key: str


class Layout(ABC):
    """A dataset layout found under a root: its classes (index = label) and the files of each split."""

    #: "mesh": surface meshes, sampled before voxelisation; "points": point clouds, voxelised as they are.
    kind: Literal["mesh", "points"]
    root: Path
    class_names: tuple[str, ...]

    @property
    @abstractmethod
    def title(self) -> str:
        """What was found, for messages (e.g. "ModelNet meshes in /data/ModelNet10")."""

    @abstractmethod
    def split(self, split: str) -> list[Source]:
        """The files of ``split`` ('train' or 'test') in a fixed order; a missing file is a DataError."""

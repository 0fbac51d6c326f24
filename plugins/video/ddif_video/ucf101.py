"""The UCF101 layout on disk, MiniUCF's split CSV, and frame-folder trees.

UCF101 as distributed (``UCF101.rar`` and ``UCF101TrainTestSplits-RecognitionTask.zip``)::

    ROOT/UCF-101/<Class>/v_<Class>_gGG_cCC.avi     13,320 clips, groups 1-25
    ROOT/ucfTrainTestlist/classInd.txt             "1 ApplyEyeMakeup" ... (1-based, CRLF)
    ROOT/ucfTrainTestlist/trainlist0N.txt          "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1"
    ROOT/ucfTrainTestlist/testlist0N.txt           "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi"

``--data-root`` may be ROOT (the folder the archives were extracted into), the ``UCF-101`` folder
itself, or a parent of ROOT holding one ``UCF101`` folder. Classes are numbered in ``classInd.txt``
order. A clip may also be a folder of JPEG frames (``<clip>/frame000001.jpg`` ...), found as
``ROOT/<clip>/`` or ``UCF-101/<Class>/<clip>/`` when its ``.avi`` is absent.

MiniUCF (Wang et al. 2024) is given by their CSV, one clip per line: ``folder_name,label,split``
(``v_ApplyEyeMakeup_g08_c01,0,train``; an optional header line; labels 0-based in alphabetical class
order; split ``train`` or ``test``). Its class set is whatever the CSV lists.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ddif_core import DataError

VIDEO_FOLDER = "UCF-101"
LIST_FOLDER = "ucfTrainTestlist"
FRAME_PATTERNS = ("frame*.jpg", "frame*.jpeg", "frame*.png", "*.jpg")
_CLIP = re.compile(r"^v_(?P<cls>[A-Za-z0-9]+)_g(?P<group>\d+)_c(?P<clip>\d+)$")


@dataclass(frozen=True)
class Layout:
    """Where the clips and the split lists of one UCF101-style tree are."""

    root: Path
    videos: Path
    lists: Path | None


@dataclass(frozen=True)
class ClipList:
    """The clips of one split: ``sources[i]`` (an ``.avi`` file or a frame folder) has label ``labels[i]``."""

    sources: tuple[Path, ...]
    labels: tuple[int, ...]
    class_names: tuple[str, ...]


def find_layout(root: Path) -> Layout:
    """Locate the video folder and ``ucfTrainTestlist`` under ``root`` (extraction folder or its parent)."""
    if not root.is_dir():
        raise DataError(f"dataset root {root} does not exist or is not a folder")
    named = root if root.name == VIDEO_FOLDER else None
    bases = [root, root / "UCF101", root / VIDEO_FOLDER] + ([root.parent] if named else [])
    for base in bases:
        if (base / LIST_FOLDER / "classInd.txt").is_file():
            videos = base / VIDEO_FOLDER if (base / VIDEO_FOLDER).is_dir() else (named or base)
            return Layout(base, videos, base / LIST_FOLDER)
    raise DataError(
        f"{root} has no {LIST_FOLDER}/classInd.txt; expected the UCF101 layout {VIDEO_FOLDER}/<Class>/*.avi beside "
        f"{LIST_FOLDER}/ (classInd.txt, trainlist01-03.txt, testlist01-03.txt) in it or in {root}/UCF101"
    )


def _lines(path: Path) -> list[tuple[int, str]]:
    """Non-empty lines of a UCF101 text file with their 1-based numbers (CRLF or LF, optional BOM)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path} does not exist; expected the UCF101 split file") from None
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a text file; expected UCF101 split lines") from None
    return [(i, line.strip()) for i, line in enumerate(text.splitlines(), 1) if line.strip()]


def read_class_index(path: Path) -> tuple[str, ...]:
    """``classInd.txt``: ``"<n> <Class>"`` lines numbered 1..C in order -> class names, index = label."""
    names: list[str] = []
    for number, line in _lines(path):
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise DataError(f"{path} line {number} reads {line!r}; expected '<number> <ClassName>'")
        if int(parts[0]) != len(names) + 1:
            raise DataError(f"{path} line {number} numbers class {parts[1]} {parts[0]}; expected {len(names) + 1}")
        if parts[1] in names:
            raise DataError(f"{path} line {number} lists class {parts[1]} a second time")
        names.append(parts[1])
    if len(names) < 2:
        raise DataError(f"{path} lists {len(names)} class(es); expected one line per class (at least 2)")
    return tuple(names)


def clip_source(layout: Layout, cls: str, stem: str) -> Path | None:
    """The ``.avi`` of a clip, else its frame folder; None when neither exists."""
    for candidate in (layout.videos / cls / f"{stem}.avi", layout.videos / cls / stem, layout.root / stem):
        if candidate.is_file() or (candidate.is_dir() and candidate.suffix != ".avi"):
            return candidate
    return None


def read_split(layout: Layout, split: str, number: int, classes: tuple[str, ...] | None = None) -> ClipList:
    """The clips of ``trainlist0N.txt`` / ``testlist0N.txt``, optionally restricted to ``classes``.

    Labels follow ``classInd.txt`` order, or the order of ``classes`` when given (a subset, e.g. MiniUCF).
    """
    assert layout.lists is not None
    index = read_class_index(layout.lists / "classInd.txt")
    if classes is not None:
        unknown = [c for c in classes if c not in index]
        if unknown:
            raise DataError(
                f"modality.classes names {', '.join(unknown)}, missing from {layout.lists / 'classInd.txt'}"
            )
    names = tuple(classes) if classes is not None else index
    label_of = {c: i for i, c in enumerate(names)}
    path = layout.lists / f"{'trainlist' if split == 'train' else 'testlist'}{number:02d}.txt"
    sources: list[Path] = []
    labels: list[int] = []
    for line_no, line in _lines(path):
        parts = line.split()
        rel = parts[0].replace("\\", "/")
        cls, _, file = rel.partition("/")
        if not file or len(parts) > 2:
            raise DataError(f"{path} line {line_no} reads {line!r}; expected '<Class>/<clip>.avi[ <label>]'")
        if cls not in index:
            raise DataError(f"{path} line {line_no} names class {cls}, missing from {layout.lists / 'classInd.txt'}")
        if len(parts) == 2:
            given = int(parts[1]) if parts[1].isdigit() else 0
            if not 0 < given <= len(index) or index[given - 1] != cls:
                raise DataError(
                    f"{path} line {line_no} gives label {parts[1]} to {rel}; classInd.txt numbers {cls} "
                    f"{index.index(cls) + 1}"
                )
        if cls not in label_of:
            continue
        source = clip_source(layout, cls, Path(file).stem)
        if source is None:
            raise DataError(
                f"{path} line {line_no} lists {rel}, but neither {layout.videos / rel} nor a frame folder of it exists"
            )
        sources.append(source)
        labels.append(label_of[cls])
    if not sources:
        raise DataError(f"{path} lists no clip of the chosen classes")
    return ClipList(tuple(sources), tuple(labels), names)


def parse_clip_name(stem: str) -> tuple[str, int, int] | None:
    """``v_<Class>_gGG_cCC`` -> (class, group, clip); None for other names."""
    m = _CLIP.match(stem)
    return (m["cls"], int(m["group"]), int(m["clip"])) if m else None


def read_csv_split(csv_path: Path, root: Path, split: str, resolve: bool = True) -> ClipList:
    """MiniUCF's ``folder_name,label,split`` CSV: the clips of ``split`` as frame folders or ``.avi`` files.

    A clip is looked up as ``root/<folder_name>/`` (frame folder), then in the UCF101 layout under
    ``root``. Class names come from the clip names; the labels must be 0..C-1, one class per label.
    ``resolve=False`` only reads the CSV (class names; no sources).
    """
    try:
        rows = list(csv.reader(csv_path.read_text(encoding="utf-8-sig").splitlines()))
    except FileNotFoundError:
        raise DataError(f"modality.split_csv {csv_path} does not exist; expected MiniUCF's folder_name,label,split CSV") from None
    except UnicodeDecodeError:
        raise DataError(f"{csv_path} is not a text CSV; expected lines folder_name,label,split") from None
    layout: Layout | None = None
    names: dict[int, str] = {}
    picked: list[tuple[str, str, int, int]] = []  # (stem, class, label, line)
    for line_no, row in enumerate(rows, 1):
        if not row or not "".join(row).strip():
            continue
        cells = [c.strip() for c in row]
        if line_no == 1 and len(cells) >= 2 and not cells[1].isdigit():
            continue  # header
        if len(cells) != 3 or not cells[1].isdigit() or cells[2].lower() not in ("train", "test"):
            raise DataError(f"{csv_path} line {line_no} reads {','.join(row)!r}; expected folder_name,label,train|test")
        stem = Path(cells[0].replace("\\", "/")).name.removesuffix(".avi")
        parsed = parse_clip_name(stem)
        if parsed is None:
            raise DataError(f"{csv_path} line {line_no} names clip {cells[0]!r}; expected v_<Class>_gGG_cCC")
        label = int(cells[1])
        if names.setdefault(label, parsed[0]) != parsed[0]:
            raise DataError(
                f"{csv_path} line {line_no} gives label {label} to class {parsed[0]}, which earlier lines give to "
                f"{names[label]}"
            )
        if cells[2].lower() == split:
            picked.append((stem, parsed[0], label, line_no))
    if sorted(names) != list(range(len(names))) or len(names) < 2:
        raise DataError(f"{csv_path} uses labels {sorted(names)[:5]}...; expected 0..C-1 with at least 2 classes")
    if len(set(names.values())) != len(names):
        raise DataError(f"{csv_path} gives one class two labels; expected one label per class")
    class_names = tuple(names[i] for i in range(len(names)))
    if not resolve:
        return ClipList((), (), class_names)
    sources: list[Path] = []
    for stem, cls, _, line_no in picked:
        folder = root / stem
        source: Path | None = folder if folder.is_dir() else None
        if source is None:
            if layout is None:
                try:
                    layout = find_layout(root)
                except DataError:
                    layout = Layout(root, root / VIDEO_FOLDER, None)
            source = clip_source(layout, cls, stem)
        if source is None:
            raise DataError(
                f"{csv_path} line {line_no} lists {stem}, but neither {root / stem}/ nor "
                f"{root / VIDEO_FOLDER / cls / stem}.avi exists"
            )
        sources.append(source)
    if not picked:
        raise DataError(f"{csv_path} lists no {split} clip")
    return ClipList(tuple(sources), tuple(p[2] for p in picked), class_names)


def frame_files(folder: Path) -> list[Path]:
    """The frames of a frame folder in order (``frame000001.jpg`` ...)."""
    for pattern in FRAME_PATTERNS:
        files = sorted(folder.glob(pattern))
        if files:
            return files
    return []

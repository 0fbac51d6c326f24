"""Which WAV files form each split, in the Speech Commands folder layouts.

- ``mini``: Mini Speech Commands as TensorFlow's zip extracts (``mini_speech_commands/<word>/*.wav``);
  the root is that folder or its parent. IDC's split: each class's file names sorted, index % 8 == 0 is test.
- ``lists``: Speech Commands v0.01 / v0.02 (``<word>/<speaker>_nohash_<k>.wav`` with ``validation_list.txt``
  and ``testing_list.txt`` in the root): test is the testing list, train everything else of the class
  (the validation files train, as there is no model selection here). ``split="idc"`` uses IDC's rule instead.

Only the folders of the chosen words are read: ``_background_noise_``, README, LICENSE and other words are
ignored. Labels follow the order of the ``classes`` given (IDC's: yes, no, go, stop, left, right, up, down).
"""

from __future__ import annotations

from pathlib import Path

from ddif_core import DataError

IDC_WORDS = ("yes", "no", "go", "stop", "left", "right", "up", "down")
#: The 30 words of Speech Commands v0.01; v0.02 adds five.
V1_WORDS = (
    "bed", "bird", "cat", "dog", "down", "eight", "five", "four", "go", "happy", "house", "left", "marvin", "nine",
    "no", "off", "on", "one", "right", "seven", "sheila", "six", "stop", "three", "tree", "two", "up", "wow", "yes",
    "zero",
)
V2_WORDS = tuple(sorted(V1_WORDS + ("backward", "follow", "forward", "learn", "visual")))
SPLIT_LISTS = {"validation": "validation_list.txt", "test": "testing_list.txt"}
MINI_FOLDER = "mini_speech_commands"


def mini_root(root: Path) -> Path:
    """The folder holding the word folders: ``root`` itself or ``root/mini_speech_commands``."""
    if not (root / IDC_WORDS[0]).is_dir() and (root / MINI_FOLDER).is_dir():
        return root / MINI_FOLDER
    return root


def class_files(root: Path, word: str) -> list[Path]:
    """The ``.wav`` files of one word folder, sorted by name."""
    folder = root / word
    if not folder.is_dir():
        raise DataError(f"{root} has no folder '{word}'; expected one folder of .wav files per word "
                        f"(a Speech Commands root)")
    files = sorted((p for p in folder.iterdir() if p.suffix.lower() == ".wav" and not p.name.startswith(".")),
                   key=lambda p: p.name)
    if not files:
        raise DataError(f"{folder} holds no .wav files; expected the recordings of the word '{word}'")
    return files


def idc_split(files: list[Path], split: str) -> list[Path]:
    """IDC's split of one class's sorted files: every 8th (index % 8 == 0) is test."""
    return [f for i, f in enumerate(files) if (i % 8 == 0) == (split == "test")]


def read_list(root: Path, name: str, words: tuple[str, ...]) -> set[Path]:
    """The files of one split list (``word/file.wav`` per line) that belong to ``words``.

    A line naming a file of one of ``words`` that does not exist is an error (the list and the tree disagree).
    """
    path = root / name
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError(f"{root} has no {name}; expected the Speech Commands split lists (validation_list.txt, "
                        f"testing_list.txt) or modality.split=idc") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} cannot be read as text ({exc}); expected one word/file.wav per line") from None
    chosen = set(words)
    out: set[Path] = set()
    for number, line in enumerate(lines, 1):
        entry = line.strip()
        if not entry:
            continue
        parts = entry.split("/")
        if len(parts) != 2 or not parts[1]:
            raise DataError(f"{path} line {number} reads {entry!r}; expected word/file.wav")
        if parts[0] not in chosen:
            continue
        file = root / parts[0] / parts[1]
        if not file.is_file():
            raise DataError(f"{path} line {number} names {entry}, which does not exist under {root}")
        out.add(file)
    return out


def split_files(root: Path, words: tuple[str, ...], split: str, rule: str) -> tuple[list[Path], list[int]]:
    """The files of ``split`` ('train' or 'test') and their labels (index into ``words``), class by class.

    :param rule: ``idc`` (index % 8 == 0 is test) or ``lists`` (``testing_list.txt`` is test).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    per_class = [class_files(root, w) for w in words]
    testing = read_list(root, SPLIT_LISTS["test"], words) if rule == "lists" else set()
    if rule == "lists":
        read_list(root, SPLIT_LISTS["validation"], words)  # checked: a stale list is an error, not a surprise
    paths: list[Path] = []
    labels: list[int] = []
    for label, files in enumerate(per_class):
        chosen = idc_split(files, split) if rule == "idc" else [f for f in files if (f in testing) == (split == "test")]
        if not chosen:
            raise DataError(f"{root / words[label]} has no file in the {split} split; expected at least one")
        paths.extend(chosen)
        labels.extend([label] * len(chosen))
    return paths, labels


def check_words(words: list[str], field: str) -> list[str]:
    """Words must be Speech Commands words, each once (one sentence otherwise)."""
    if len(words) < 2:
        raise ValueError(f"{field} needs at least two words, got {words}")
    unknown = [w for w in words if w not in V2_WORDS]
    if unknown:
        raise ValueError(f"unknown word {unknown[0]!r}; Speech Commands words are: {', '.join(V2_WORDS)}")
    if len(set(words)) != len(words):
        raise ValueError(f"{field} names a word twice: {words}")
    return words

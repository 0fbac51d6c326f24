"""Tiny clips in the real formats for the tests: MPEG-4 .avi encoded with PyAV (UCF101 layout), frame folders."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

CLASSES = ("ApplyEyeMakeup", "Basketball", "YoYo")


def clip_frames(label: int, index: int, length: int = 20, height: int = 48, width: int = 64) -> np.ndarray:
    """(length, H, W, 3) uint8: class c is a bright bar at row band c; frame t has brightness 10 * t in red."""
    rng = np.random.default_rng([label, index])
    frames = np.zeros((length, height, width, 3), np.uint8)
    frames[..., 1] = rng.integers(20, 60)
    for t in range(length):
        frames[t, ..., 0] = min(250, 10 * t)
    band = height // len(CLASSES)
    frames[:, label * band:(label + 1) * band, :, 2] = 230
    return frames


def write_avi(path: Path, frames: np.ndarray, fps: int = 25) -> Path:
    """Encode (T, H, W, 3) uint8 frames as an MPEG-4 .avi with PyAV (high quality: values survive)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="avi") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        stream.options = {"qscale": "1"}
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def make_ucf_tree(root: Path, groups: int = 4, lengths: tuple[int, ...] = (20,), classes=CLASSES) -> Path:
    """UCF-101/<Class>/v_<Class>_gGG_c01.avi plus ucfTrainTestlist/ (CRLF): group 1 tests in every split."""
    lists = root / "ucfTrainTestlist"
    lists.mkdir(parents=True)
    train, test = [], []
    for c, name in enumerate(classes):
        for g in range(1, groups + 1):
            rel = f"{name}/v_{name}_g{g:02d}_c01.avi"
            write_avi(root / "UCF-101" / rel, clip_frames(c, g, lengths[(g - 1) % len(lengths)]))
            (test if g == 1 else train).append((rel, c + 1))
    (lists / "classInd.txt").write_bytes("".join(f"{i + 1} {n}\r\n" for i, n in enumerate(classes)).encode())
    for split in (1, 2, 3):
        (lists / f"trainlist{split:02d}.txt").write_bytes("".join(f"{r} {lab}\r\n" for r, lab in train).encode())
        (lists / f"testlist{split:02d}.txt").write_bytes("".join(f"{r}\r\n" for r, _ in test).encode())
    return root


def make_frame_tree(root: Path, groups: int = 3, length: int = 20) -> Path:
    """MiniUCF's frame folders <root>/<clip>/frame000001.jpg ... and their folder_name,label,split CSV."""
    rows = ["folder_name,label,split"]
    for c, name in enumerate(sorted(CLASSES)):
        for g in range(1, groups + 1):
            stem = f"v_{name}_g{g:02d}_c01"
            folder = root / stem
            folder.mkdir(parents=True)
            for t, frame in enumerate(clip_frames(c, g, length), 1):
                Image.fromarray(frame).save(folder / f"frame{t:06d}.jpg", quality=95)
            rows.append(f"{stem},{c},{'test' if g == 1 else 'train'}")
    (root / "miniucf_split.csv").write_text("\n".join(rows) + "\n")
    return root


# ---- fixtures (imported by each test module: no conftest.py, whose module name "conftest" the image tests use)
@pytest.fixture
def ucf_root(tmp_path: Path) -> Path:
    return make_ucf_tree(tmp_path / "ucf")


@pytest.fixture
def cache_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("DDIF_CACHE_DIR", str(cache))
    return cache


@pytest.fixture(autouse=True)
def one_thread():
    """These tensors are tiny: one intra-op thread is faster, and much faster on a loaded machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

"""PyAV decoding: windows (step 4, shorter clips, loops), 160x120 -> 112 geometry, frame order, bad files."""

import numpy as np
import pytest

from ddif_core import DataError
from ddif_video.decode import crop_box, read_clip, train_start, window

from video_files import clip_frames, make_frame_tree, write_avi
from video_files import one_thread  # noqa: F401 (fixtures)


def test_windows():
    assert window(100, 16, 4, None).tolist() == list(range(19, 80, 4))  # centre: (100 - 61) // 2 = 19
    assert window(100, 16, 4, 0).tolist() == list(range(0, 61, 4))
    assert window(100, 16, 4, 99).tolist() == list(range(39, 100, 4))  # clipped to what fits
    assert window(40, 16, 4, None).tolist() == list(range(4, 35, 2))  # below 64 frames: step L // 16 = 2
    assert window(10, 4, 4, None).tolist() == [1, 3, 5, 7]
    assert window(5, 8, 4, None).tolist() == [0, 1, 2, 3, 4, 0, 1, 2]  # shorter than the window: loops
    s = train_start("a/b.avi", 300, 16, 4)
    assert s == train_start("a/b.avi", 300, 16, 4) and 0 <= s <= 300 - 61
    assert len({train_start(f"clip{i}", 300, 16, 4) for i in range(20)}) > 10


def test_crop_geometry():
    assert crop_box(112) == (160, 120, 24, 4, 112, 112)
    assert crop_box(32) == (46, 34, 7, 1, 32, 32)


def test_avi_frames_keep_their_order_and_content(tmp_path):
    frames = clip_frames(2, 1, length=24, height=120, width=160)
    path = write_avi(tmp_path / "v_YoYo_g01_c01.avi", frames)
    clip = read_clip(path, frames=6, step=4, size=112)  # 24 frames: centre window 1, 5, ..., 21
    assert clip.shape == (6, 112, 112, 3) and clip.dtype == np.uint8
    red = clip[..., 0].astype(float).mean(axis=(1, 2))
    expected = [10 * t for t in window(24, 6, 4, None)]
    assert np.allclose(red, expected, atol=4), (red, expected)
    blue = clip[..., 2].astype(float).mean(axis=(0, 2))  # class 2's bar: the bottom third, cropped rows 4..116
    assert blue[-20:].mean() > 200 and blue[:60].mean() < 30


def test_frame_folder_matches_avi(tmp_path):
    root = make_frame_tree(tmp_path / "frames", groups=1, length=20)
    folder = root / "v_Basketball_g01_c01"
    clip = read_clip(folder, frames=4, step=4, size=32)
    assert clip.shape == (4, 32, 32, 3)
    red = clip[..., 0].astype(float).mean(axis=(1, 2))
    assert np.allclose(red, [10 * t for t in window(20, 4, 4, None)], atol=4)


def test_bad_videos_give_one_sentence(tmp_path):
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"RIFF\x00\x00\x00\x00AVI garbage" * 10)
    with pytest.raises(DataError, match=r"junk.avi (is not a decodable video|has no video stream).*; expected a UCF101"):
        read_clip(junk, 4, 4, 32)
    good = write_avi(tmp_path / "good.avi", clip_frames(0, 0, length=10))
    cut = tmp_path / "cut.avi"
    cut.write_bytes(good.read_bytes()[:400])  # the header and no frame
    with pytest.raises(DataError, match=r"cut.avi (is not a decodable video|holds no video frames)"):
        read_clip(cut, 4, 4, 32)
    empty = tmp_path / "empty.avi"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty.avi is not a decodable video"):
        read_clip(empty, 4, 4, 32)
    folder = tmp_path / "v_A_g01_c01"
    folder.mkdir()
    with pytest.raises(DataError, match="holds no frame images"):
        read_clip(folder, 4, 4, 32)

"""The video modality: contract check on .avi and frame-folder trees, the uint8 cache, shapes, bad files."""

import numpy as np
import pytest
import torch

from ddif_core import ConfigError, DataError
from ddif_core.testing import check_modality
from ddif_video import clips as clips_module
from ddif_video.decode import window
from ddif_video.modality import MEAN, STD, VideoModality, VideoOptions

from video_files import CLASSES, make_frame_tree
from video_files import one_thread, ucf_root, cache_env  # noqa: F401 (fixtures)


def _opts(cache, **kw):
    return VideoOptions(frames=4, size=16, cache_dir=str(cache), **kw)


def test_contract_on_avi_tree(ucf_root, tmp_path):
    check_modality(VideoModality, _opts(tmp_path / "cache"), "ucf101", ucf_root)


def test_contract_on_frame_folders(tmp_path):
    root = make_frame_tree(tmp_path / "frames")
    check_modality(VideoModality, _opts(tmp_path / "cache"), "miniucf", root)
    mod = VideoModality(_opts(tmp_path / "cache"), "miniucf", root)
    assert mod.class_names == sorted(CLASSES)


def test_clips_are_channels_first_in_frame_order_and_cached(ucf_root, tmp_path, monkeypatch):
    mod = VideoModality(_opts(tmp_path / "cache"), "ucf101", ucf_root)
    test = mod.load("test")
    assert len(test) == 3 and test.class_names == list(CLASSES)
    x = test.get(torch.arange(3))
    assert x.shape == (3, 3, 4, 16, 16) and x.dtype == torch.float32
    red = (x[:, 0] * STD[0] + MEAN[0]).mean(dim=(2, 3)) * 255  # (3, T): 10 * frame index, centre window
    expected = torch.tensor([10.0 * t for t in window(20, 4, 4, None)], dtype=torch.float32)
    assert torch.allclose(red, expected.expand(3, 4), atol=5), red
    assert test.labels.tolist() == [0, 1, 2]

    def fail(*args, **kwargs):
        raise AssertionError("decoded again despite the cache")

    monkeypatch.setattr(clips_module, "read_clip", fail)
    again = VideoModality(_opts(tmp_path / "cache"), "ucf101", ucf_root).load("test")
    assert torch.equal(again.get(torch.arange(3)), x)


def test_undecodable_clip_names_the_file_and_can_be_skipped(ucf_root, tmp_path):
    bad = ucf_root / "UCF-101" / "YoYo" / "v_YoYo_g03_c01.avi"
    bad.write_bytes(b"not a video at all")
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="v_YoYo_g03_c01.avi (is not a decodable video|has no video stream)"):
        VideoModality(_opts(cache), "ucf101", ucf_root).load("train")
    assert not any(p.is_file() for p in cache.rglob("*.npy"))  # nothing half-written
    train = VideoModality(_opts(cache, skip_bad_files=True), "ucf101", ucf_root).load("train")
    assert len(train) == 8


def test_shapes_and_resize_keep_time_unless_asked(tmp_path):
    mod = VideoModality(VideoOptions(frames=4, size=16))
    assert mod.sample_shape == (3, 4, 16, 16)
    assert mod.shape_at(32) == (3, 4, 32, 32)
    assert mod.shape_at((8, 32, 32)) == (3, 8, 32, 32)
    assert mod.shape_at((24, 32)) == (3, 4, 24, 32)
    x = torch.arange(4.0).view(1, 1, 4, 1, 1).expand(2, 3, 4, 16, 16).contiguous()  # frame t has value t
    up = mod.resize(x, (3, 4, 32, 32))
    assert up.shape == (2, 3, 4, 32, 32)
    assert torch.allclose(up.mean(dim=(0, 1, 3, 4)), torch.arange(4.0))  # space only: frames untouched
    assert mod.resize(x, (3, 8, 16, 16)).shape == (2, 3, 8, 16, 16)
    assert mod.resize(x, (3, 2, 8, 8), "area").shape == (2, 3, 2, 8, 8)
    with pytest.raises(ConfigError, match="resize mode 'linear' does not fit video"):
        mod.resize(x, (3, 4, 8, 8), "linear")


def test_generated_moving_shapes_through_the_cache(cache_env):
    opts = VideoOptions(frames=4, size=16, shapes_classes=2, shapes_per_class=3)
    mod = VideoModality(opts)
    train, test = mod.load("train"), mod.load("test")
    assert mod.class_names == ["MoveRight", "MoveLeft"]
    assert len(train) + len(test) == 6 and len(test) == 2
    assert np.isfinite(train.get(torch.arange(len(train))).numpy()).all()


def test_bad_options(ucf_root):
    with pytest.raises(DataError, match="--dataset ucf101 needs --data-root"):
        VideoModality(VideoOptions(), "ucf101")
    with pytest.raises(ConfigError, match="modality.classes applies to --dataset ucf101 only"):
        VideoModality(VideoOptions(classes=["YoYo"]), "moving-shapes")
    with pytest.raises(DataError, match="needs its folder_name,label,split CSV"):
        VideoModality(VideoOptions(), "miniucf", ucf_root)

"""Renders: frame-strip preview, per-class GIFs, MP4/GIF/PNG export (decodable, in frame order), compare."""

import av
import numpy as np
import pytest
import torch
from PIL import Image

from ddif_core import ConfigError
from ddif_video.modality import VideoModality, VideoOptions
from video_files import one_thread  # noqa: F401 (fixtures)


def _clips(k=4, t=6, s=16):
    """Normalised clips whose red channel is 40 * frame index (0..1 scale after denormalising)."""
    mod = VideoModality(VideoOptions(frames=t, size=s, shapes_classes=2))
    rgb = torch.zeros(k, 3, t, s, s)
    rgb[:, 0] = (torch.arange(t) * 40 / 255).view(1, t, 1, 1)
    rgb[:, 2] = 0.5
    x = (rgb - mod._mean) / mod._std
    return mod, x, torch.tensor([0, 0, 1, 1][:k])


def test_preview_and_per_class(tmp_path):
    mod, x, y = _clips()
    assert mod.render(x, y, tmp_path, "preview") == [tmp_path.joinpath("preview.png").relative_to(tmp_path)]
    img = Image.open(tmp_path / "preview.png")
    assert img.height >= 2 * 64 and img.width >= 6 * 64  # 2 class rows of 6 frames upscaled to >= 64 px
    paths = mod.render(x, y, tmp_path / "previews", "per-class")
    assert [p.name for p in paths] == ["000_MoveRight.gif", "001_MoveLeft.gif"]
    gif = Image.open(tmp_path / "previews" / paths[0])
    assert gif.n_frames == 6 and gif.info["duration"] == 40  # 25 fps


@pytest.mark.parametrize("fmt", ["mp4", "gif", "png"])
def test_export_one_file_per_instance_in_frame_order(tmp_path, fmt):
    mod, x, y = _clips()
    paths = mod.render(x, y, tmp_path, "export", fmt)
    assert [p.name for p in paths] == [f"0000{i}_00{c}_{n}.{fmt}" for i, (c, n) in
                                       enumerate([(0, "MoveRight"), (0, "MoveRight"), (1, "MoveLeft"), (1, "MoveLeft")])]
    if fmt == "mp4":
        with av.open(str(tmp_path / paths[0])) as c:
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        red = [f[..., 0].mean() for f in frames]
    elif fmt == "gif":
        gif = Image.open(tmp_path / paths[0])
        red = []
        for i in range(gif.n_frames):
            gif.seek(i)
            red.append(np.asarray(gif.convert("RGB"))[..., 0].mean())
    else:
        strip = np.asarray(Image.open(tmp_path / paths[0]))
        assert strip.shape == (16, 6 * 18, 3)
        red = [strip[:, i * 18:i * 18 + 16, 0].mean() for i in range(6)]
    assert len(red) == 6 and np.allclose(red, [40 * t for t in range(6)], atol=6), red


def test_compare_and_bad_format(tmp_path):
    mod, x, y = _clips()
    big = mod.resize(x, mod.shape_at(32))
    assert mod.render([x, big], y, tmp_path, "compare")[0].name == "compare.png"
    with pytest.raises(ConfigError, match="--format wav is not a video export format"):
        mod.render(x, y, tmp_path, "export", "wav")

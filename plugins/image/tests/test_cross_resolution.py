"""Cross-resolution as the paper's Table 13: a folder dataset's test split is read from its files at the
target resolution (not the native test tensors upsampled), and Diff = ACC_org - ACC_test."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from ddif_image.modality import ImageModality, ImageOptions
from test_folder import WNIDS


def _fine_tree(root):
    """Images with 1-pixel stripes: detail that exists at 32 px and is lost at 8 px."""
    rng = np.random.default_rng(3)
    for split, n in (("train", 2), ("val", 2)):
        for c, name in enumerate(WNIDS):
            d = root / split / name
            d.mkdir(parents=True)
            for i in range(n):
                arr = np.zeros((32, 32, 3), np.uint8)
                arr[:, ::2] = 200
                arr += rng.integers(0, 20, (32, 32, 3), dtype=np.uint8) + 5 * c
                Image.fromarray(arr).save(d / f"{name}_{i}.png", format="PNG")
    return root


def test_folder_test_split_is_read_at_the_target_resolution(tmp_path):
    root = _fine_tree(tmp_path / "nette")
    small = ImageModality(ImageOptions(resolution=8, cache=False), "imagenette", root)
    at32 = small.load_at("test", (3, 32, 32))
    direct = ImageModality(ImageOptions(resolution=32, cache=False), "imagenette", root).load("test")
    assert tuple(at32.x.shape) == (20, 3, 32, 32)
    assert torch.equal(at32.x, direct.x) and torch.equal(at32.y, direct.y)
    upsampled = small.resize(small.load("test").x, (3, 32, 32))
    assert (upsampled - direct.x).abs().mean() > 0.5  # the stripes are only in the files


def test_non_folder_datasets_fall_back_to_resizing(idx_root):
    mod = ImageModality(dataset="fashion-mnist", data_root=idx_root)
    at56 = mod.load_at("test", (1, 56, 56))
    x = at56.get(torch.arange(3)) if hasattr(at56, "get") else at56.x[:3]
    assert tuple(x.shape) == (3, 1, 56, 56)

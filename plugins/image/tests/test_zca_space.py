"""ZCA is fitted and applied on un-normalised [0, 1] pixels with eps 0.1 (MTT / kornia), checked against the
closed form computed here from the raw IDX bytes."""

from __future__ import annotations

import numpy as np
import torch

from conftest import make_idx_root
from ddif_image.idx import read_idx
from ddif_image.modality import ImageModality, ImageOptions


def _closed_form(pixels: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and W = U diag(1/sqrt(S + eps)) U^T of the unbiased covariance of pixels (N, D)."""
    mean = pixels.mean(axis=0)
    cov = (pixels - mean).T @ (pixels - mean) / (pixels.shape[0] - 1)
    s, u = np.linalg.eigh(cov)
    return mean, (u * (1.0 / np.sqrt(np.clip(s, 0, None) + eps))) @ u.T


def test_zca_whitens_raw_pixels_as_the_closed_form(tmp_path):
    root = make_idx_root(tmp_path / "f", train_per_class=6, test_per_class=2)
    mod = ImageModality(ImageOptions(zca=True), dataset="fashion-mnist", data_root=root)
    test = mod.load("test")
    raw_train = read_idx(root / "train-images-idx3-ubyte.gz").reshape(60, -1).astype(np.float64) / 255.0
    raw_test = read_idx(root / "t10k-images-idx3-ubyte.gz").reshape(20, -1).astype(np.float64) / 255.0
    mean, w = _closed_form(raw_train, 0.1)
    expected = (raw_test - mean) @ w
    got = test.x.reshape(20, -1).double().numpy()
    assert np.abs(got - expected).max() < 1e-3 * max(1.0, np.abs(expected).max())
    # whitening after mean/std normalisation (the old space) is a different transform
    std, mu = 0.3530, 0.2860
    _, w_norm = _closed_form((raw_train - mu) / std, 0.1)
    old = ((raw_test - mu) / std - ((raw_train - mu) / std).mean(axis=0)) @ w_norm
    assert np.abs(old - expected).max() > 0.1
    # shown as pixels again: un-whitening returns the [0, 1] images
    back = mod.denormalize(test.x[:4].clone()).reshape(4, -1).double().numpy()
    assert np.abs(back - raw_test[:4]).max() < 1e-3

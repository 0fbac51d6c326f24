import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import make_cifar10_root, make_idx_root
from ddif_core.errors import ConfigError, DataError
from ddif_core.testing import check_modality
from ddif_image.modality import ImageModality


def test_fashion_mnist_idx_passes_contract_and_normalises(idx_root):
    check_modality(ImageModality, None, "fashion-mnist", idx_root)
    check_modality(ImageModality, ImageModality.Options(zca=True, dsa_strategy="color_crop"), "fashion-mnist", idx_root)
    mod = ImageModality(None, "fashion-mnist", idx_root)
    train = mod.load("train")
    assert train.x.shape == (60, 1, 28, 28) and train.y.tolist()[:7] == [0] * 6 + [1]
    assert train.class_names[9] == "Ankle boot"
    # the bright bar (250/255) normalised with Fashion-MNIST's mean/std
    assert train.x[0, 0, 2, 10].item() == pytest.approx((250 / 255 - 0.2860) / 0.3530, abs=1e-5)
    assert torch.allclose(mod.denormalize(train.x[:1])[0, 0, 2, 10], torch.tensor(250 / 255), atol=1e-5)


def test_uncompressed_idx_files_are_read(tmp_path):
    root = make_idx_root(tmp_path / "plain", gz=False)
    assert ImageModality(None, "mnist", root).load("test").x.shape == (30, 1, 28, 28)


def test_missing_root_and_files_are_clear(tmp_path):
    with pytest.raises(DataError, match=r"dataset root .*nowhere does not exist"):
        ImageModality(None, "fashion-mnist", tmp_path / "nowhere").load("train")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"has no train-images-idx3-ubyte\[.gz\]; expected the Fashion-MNIST IDX files"):
        ImageModality(None, "fashion-mnist", tmp_path / "empty").load("train")
    with pytest.raises(DataError, match="MNIST needs --data-root"):
        ImageModality(None, "mnist", None).load("train")


def test_truncated_idx_file_is_named(idx_root):
    import gzip

    path = idx_root / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz"):
        ImageModality(None, "fashion-mnist", idx_root).load("train")


def test_label_count_mismatch(idx_root):
    from ddif_image.idx import write_idx

    write_idx(idx_root / "t10k-labels-idx1-ubyte.gz", np.zeros(5, dtype=np.uint8), gzip=True)
    with pytest.raises(DataError, match=r"labels, expected \(30,\)"):
        ImageModality(None, "fashion-mnist", idx_root).load("test")


def test_cifar10_python_batches(tmp_path):
    root = make_cifar10_root(tmp_path)
    mod = ImageModality(None, "cifar10", root)
    train, test = mod.load("train"), mod.load("test")
    assert train.x.shape == (100, 3, 32, 32) and test.x.shape == (20, 3, 32, 32)
    assert train.y[:3].tolist() == [0, 1, 2]
    check_modality(ImageModality, None, "cifar10", root)


def test_cifar_refuses_foreign_pickles(tmp_path):
    root = make_cifar10_root(tmp_path)
    evil = root / "cifar-10-batches-py" / "test_batch"
    with open(evil, "wb") as f:
        pickle.dump({b"data": __import__("os").system}, f, protocol=2)
    with pytest.raises(DataError, match="not allowed in a CIFAR batch"):
        ImageModality(None, "cifar10", root).load("test")


def test_unknown_dataset_and_strategy():
    with pytest.raises(ConfigError, match=r"unknown dataset 'svhn' for modality 'image' \(available: cifar10"):
        ImageModality(None, "svhn")
    with pytest.raises(ConfigError, match="dsa_strategy has unknown operation"):
        ImageModality(ImageModality.Options(dsa_strategy="color_blur"), "mnist")


def test_shapes_for_budget_without_data():
    info = ImageModality.dataset_info("imagenette", ImageModality.Options(resolution=256))
    assert info.sample_shape == (3, 256, 256) and info.field_table == {1: (3, 40, 30.0, 40.0)}
    assert ImageModality.dataset_info("cifar100").field_table[10] == (2, 15, 30.0, 10.0)


def test_siamese_augmentation_through_the_modality(idx_root):
    mod = ImageModality(None, "fashion-mnist", idx_root)
    x = mod.load("train").x[:4]
    params = mod.sample_augmentation(4, torch.Generator().manual_seed(3))
    assert torch.equal(mod.augment(x, params), mod.augment(x.clone(), params))
    none = ImageModality(ImageModality.Options(dsa_strategy=""), "fashion-mnist", idx_root)
    assert none.sample_augmentation(4, torch.Generator()) is None and none.augment(x, None) is x


def test_render_writes_real_pngs(idx_root, tmp_path):
    mod = ImageModality(None, "fashion-mnist", idx_root)
    data = mod.load("test")
    x = torch.cat([data.x[:12], data.x[12:13]])
    y = torch.tensor([0] * 12 + [3])
    assert mod.export_formats == ("png",)
    assert mod.render(x, y, tmp_path, "preview") == [Path("preview.png")]
    img = Image.open(tmp_path / "preview.png")
    # 10 labelled bands; class 0 wraps its 12 instances (84 px each: 28 px x3) over two rows of 10
    assert img.mode == "RGB" and img.size == (4 + 10 * 88, (22 + 2 * 88 + 4) + 9 * (22 + 88 + 4))
    first = mod.denormalize(x[:1].clone())[0, 0].mul(255).round().to(torch.uint8).numpy()  # (28, 28)
    tile = np.array(img)[22 : 22 + 84, 4 : 4 + 84]  # below the title, after the left margin
    assert np.array_equal(tile[..., 0], np.repeat(np.repeat(first, 3, axis=0), 3, axis=1))  # nearest x3
    assert np.array_equal(tile[..., 0], tile[..., 2])  # grey shown as grey
    (tmp_path / "per").mkdir()
    per = mod.render(x, y, tmp_path / "per", "per-class")
    assert per == [Path("000_T-shirt_top.png"), Path("003_Dress.png")]
    files = mod.render(x[:3], y[:3], tmp_path / "out", "export", "png")
    assert files[0] == Path("000_T-shirt_top/00000.png") and len(files) == 3
    back = np.array(Image.open(tmp_path / "out" / files[0]))
    assert back.shape == (28, 28) and back[2, 10] == 250
    with pytest.raises(ConfigError, match="exports png, not 'wav'"):
        mod.render(x, y, tmp_path, "export", "wav")


def test_zca_whitens_train_and_round_trips(idx_root):
    opts = ImageModality.Options(zca=True, zca_eps=1e-3)
    mod = ImageModality(opts, "fashion-mnist", idx_root)
    train = mod.load("train")
    plain = ImageModality(None, "fashion-mnist", idx_root).load("train")
    flat = train.x.reshape(train.x.shape[0], -1).double()
    assert flat.mean(0).abs().max() < 1e-4  # centred
    back = mod.denormalize(train.x[:3])
    assert torch.allclose(back, ImageModality(None, "fashion-mnist", idx_root).denormalize(plain.x[:3]), atol=1e-3)
    state = mod.state()
    assert set(state) == {"zca_mean", "zca_matrix", "zca_inverse"} and state["zca_matrix"].shape == (784, 784)
    again = ImageModality(opts, "fashion-mnist", idx_root)
    again.load_state(state)
    assert torch.allclose(again.load("test").x, mod.load("test").x, atol=1e-5)


def test_zca_refuses_imagenet_sized_images():
    from ddif_image.zca import ZCA

    with pytest.raises(ConfigError, match="modality.zca needs a 49152 x 49152 matrix"):
        ZCA.fit(torch.zeros(2, 3, 128, 128))

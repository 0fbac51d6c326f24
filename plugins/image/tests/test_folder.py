"""ImageNet-style JPEG folder trees: subsets by WordNet id, user ImageFolders, the decode cache, bad files."""

import io
import json
import os

import numpy as np
import pytest
from PIL import Image

from ddif_core.cli import main
from ddif_core.errors import DataError
from ddif_image import folder
from ddif_image.datasets import IMAGENET_SUBSETS
from ddif_image.modality import ImageModality, ImageOptions

WNIDS = [w for w, _ in IMAGENET_SUBSETS["imagenette"]]


def write_tree(root, classes, per_split=(3, 2), fmt="JPEG"):
    """A real ImageNet-style tree: <root>/{train,val}/<class>/*.JPEG; class c is mostly colour value 20c."""
    rng = np.random.default_rng(0)
    for split, n in zip(("train", "val"), per_split):
        for c, name in enumerate(classes):
            d = root / split / name
            d.mkdir(parents=True)
            for i in range(n):
                w, h = int(rng.integers(24, 48)), int(rng.integers(24, 48))
                arr = np.full((h, w, 3), 20 * c, np.uint8) + rng.integers(0, 5, (h, w, 3), dtype=np.uint8)
                ext = ".JPEG" if fmt == "JPEG" else ".png"
                Image.fromarray(arr).save(d / f"{name}_{i}{ext}", format=fmt, quality=95)
    return root


def modality(root, cache, dataset="imagenette", **opts):
    return ImageModality(ImageOptions(resolution=16, cache_dir=str(cache), **opts), dataset, root)


def test_folder_dataset_at_a_chosen_resolution_passes_the_contract(tmp_path):
    from ddif_core.testing import check_modality

    root = write_tree(tmp_path / "nette", WNIDS)
    check_modality(ImageModality, ImageOptions(resolution=16, cache_dir=str(tmp_path / "cache")), "imagenette", root)


def test_subset_reads_wnid_folders_in_paper_order_and_caches(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "nette", list(reversed(WNIDS)))  # folder order on disk must not matter
    m = modality(root, tmp_path / "cache")
    train = m.load("train")
    assert tuple(train.x.shape) == (30, 3, 16, 16) and train.y.tolist() == [c for c in range(10) for _ in range(3)]
    assert m.class_names[0] == "tench" and m.sample_shape == (3, 16, 16)
    # label c is the c-th WordNet id of the subset: its images are near colour value 20 * (9 - c) on disk
    pixels = m.denormalize(train.x[train.y == 0]).mul(255).mean()
    assert abs(float(pixels) - 20 * 9) < 6
    assert m.load("test").x.shape[0] == 20
    cached = sorted((tmp_path / "cache" / "images").iterdir())  # core disk cache: one folder of arrays per split
    assert [p.name.split("-")[:3] for p in cached] == [["imagenette", "test", "16px"], ["imagenette", "train", "16px"]]
    assert all(sorted(f.name for f in p.iterdir()) == ["images.npy", "labels.npy"] for p in cached)

    def no_decoding(*a, **k):
        raise AssertionError("cache miss")

    monkeypatch.setattr(folder, "read_image", no_decoding)
    again = modality(root, tmp_path / "cache").load("train")
    assert (again.x == train.x).all()
    # another resolution is another cache entry (and must decode)
    with pytest.raises(DataError, match="cannot read image"):
        ImageModality(ImageOptions(resolution=20, cache_dir=str(tmp_path / "cache")), "imagenette", root).load("train")


def test_changed_file_invalidates_cache(tmp_path):
    root = write_tree(tmp_path / "nette", WNIDS)
    modality(root, tmp_path / "cache").load("train")
    f = root / "train" / WNIDS[0] / f"{WNIDS[0]}_0.JPEG"
    Image.fromarray(np.full((30, 30, 3), 255, np.uint8)).save(f, format="JPEG")
    os.utime(f, ns=(1, 1))
    x = modality(root, tmp_path / "cache").load("train").x
    assert len(list((tmp_path / "cache" / "images").glob("*train*"))) == 2
    assert float(x[0].mean()) > 1.5  # the new, white image


def test_centre_crop_of_shorter_side(tmp_path):
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, 10:30] = 255  # white middle, black sides
    Image.fromarray(arr).save(tmp_path / "a.png")
    out = folder.read_image(tmp_path / "a.png", 20)
    assert out.shape == (3, 20, 20) and out.min() == 255
    out = folder.read_image(tmp_path / "a.png", 10)
    assert out.shape == (3, 10, 10) and out[:, :, 1:-1].min() == 255 and out.min() > 128  # antialiased edge


def test_corrupt_and_truncated_files(tmp_path, capsys):
    root = write_tree(tmp_path / "nette", WNIDS)
    bad = root / "train" / WNIDS[3] / "broken.JPEG"
    bad.write_bytes(b"this is not a jpeg")
    with pytest.raises(DataError, match="broken.JPEG") as err:
        modality(root, tmp_path / "cache").load("train")
    assert "skip_bad_files" in str(err.value)
    good = io.BytesIO()
    Image.fromarray(np.zeros((64, 64, 3), np.uint8) + 90).save(good, format="JPEG")
    bad.write_bytes(good.getvalue()[: len(good.getvalue()) // 2])  # truncated
    with pytest.raises(DataError, match="broken.JPEG"):
        modality(root, tmp_path / "cache").load("train")
    data = modality(root, tmp_path / "cache", skip_bad_files=True).load("train")
    assert data.x.shape[0] == 30 and "skipped 1 unreadable" in capsys.readouterr().err


def test_missing_class_folder_and_empty_folder(tmp_path):
    root = write_tree(tmp_path / "nette", WNIDS[:9])
    with pytest.raises(DataError, match=WNIDS[9]):
        modality(root, tmp_path / "cache").load("train")
    (root / "train" / WNIDS[9]).mkdir()
    with pytest.raises(DataError, match="holds no image files"):
        modality(root, tmp_path / "cache").load("train")
    with pytest.raises(DataError, match="needs --data-root"):
        ImageModality(ImageOptions(), "imagewoof", None).load("train")


def test_user_image_folder_through_cli(tmp_path, capsys):
    root = write_tree(tmp_path / "pets", ["cat", "dog", "emu"], per_split=(4, 2), fmt="PNG")
    rc = main(["budget", "--modality", "image", "--dataset", "folder", "--data-root", str(root), "--json",
               "--set", "modality.resolution=32"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    data = json.loads(out.out)
    assert data["num_classes"] == 3 and data["sample_shape"] == [3, 32, 32]
    rc = main(["budget", "--modality", "image", "--dataset", "folder"])
    assert rc == 1 and "--dataset folder needs --data-root" in capsys.readouterr().err
    run_dir = tmp_path / "run"
    rc = main(["run", "--modality", "image", "--dataset", "folder", "--data-root", str(root), "--out", str(run_dir),
               "--device", "cpu", "-q", "--json", "--set", "modality.resolution=16",
               "--set", f"modality.cache_dir={tmp_path / 'cache'}", "--set", "param.warmup_steps=5",
               "--set", "distill.iterations=1", "--set", "matcher.batch_real=2", "--set", "eval.runs=1",
               "--set", "eval.epochs=1", "--set", "param.fields_per_class=2"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    metrics = json.loads(out.out)
    assert metrics["num_decoded"] == 6
    rc = main(["eval", str(run_dir), "--net", "vit", "--runs", "1", "--epochs", "1", "-q", "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert json.loads(out.out)["net"] == "vit"


def test_resolution_only_for_folder_datasets(capsys):
    rc = main(["budget", "--modality", "image", "--dataset", "cifar10", "--set", "modality.resolution=64"])
    err = capsys.readouterr().err
    assert rc == 1 and "applies to image-folder datasets only" in err


def test_eval_refuses_a_folder_whose_classes_changed(tmp_path, capsys):
    root = write_tree(tmp_path / "pets", ["cat", "dog"], per_split=(3, 2), fmt="PNG")
    run_dir = tmp_path / "run"
    rc = main(["run", "--modality", "image", "--dataset", "folder", "--data-root", str(root), "--out", str(run_dir),
               "--device", "cpu", "-q", "--set", "modality.resolution=8", "--set", "modality.cache=false",
               "--set", "param.warmup_steps=2", "--set", "distill.iterations=1", "--set", "matcher.batch_real=2",
               "--set", "eval.runs=1", "--set", "eval.epochs=1", "--set", "param.fields_per_class=1"])
    assert rc == 0, capsys.readouterr().err
    (root / "train" / "emu").mkdir()
    rc = main(["eval", str(run_dir), "--runs", "1", "--epochs", "1"])
    err = capsys.readouterr().err
    assert rc == 1 and "was distilled on 2 classes" in err and "has 3" in err

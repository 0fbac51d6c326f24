"""The image plugin through the real CLI: budget rows of Table 8, a tiny run on IDX files, eval, decode."""

import json

import pytest
from PIL import Image

from ddif_core.cli import main

TINY = ["--set", "param.warmup_steps=50", "--set", "distill.iterations=2", "--set", "matcher.batch_real=4",
        "--set", "eval.runs=1", "--set", "eval.epochs=2", "--set", "param.fields_per_class=2",
        "--set", "modality.dsa_strategy=flip_crop"]


def cli(capsys, *args):
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize(
    "dataset,ipc,extra,params,fields",
    [("cifar10", 1, [], 81, 37), ("cifar10", 10, [], 81, 379), ("cifar10", 50, [], 543, 282),
     ("cifar100", 1, [], 173, 17), ("cifar100", 10, [], 333, 92), ("cifar100", 50, [], 1113, 138),
     ("imagenette", 1, [], 963, 51), ("imagewoof", 10, [], 963, 510), ("imagenette", 50, [], 3523, 697),
     ("imagenette", 1, ["--set", "modality.resolution=256"], 3523, 55), ("fashion-mnist", 1, [], 67, 11)],
)
def test_budget_rows_of_table_8(capsys, dataset, ipc, extra, params, fields):
    rc, out, err = cli(capsys, "budget", "--modality", "image", "--dataset", dataset, "--ipc", ipc, *extra, "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["params_per_field"] == params and data["fields_per_class"] == fields
    assert data["total_budget"] == ipc * data["values_per_instance"] * data["num_classes"]
    assert {"layers", "width", "num_classes"} <= set(data)


def test_run_eval_decode_end_to_end(capsys, idx_root, tmp_path):
    out_dir = tmp_path / "run"
    rc, out, err = cli(capsys, "run", "--modality", "image", "--loss", "dm", "--dataset", "fashion-mnist",
                       "--data-root", idx_root, "--out", out_dir, "--device", "cpu", "-q", "--json", *TINY)
    assert rc == 0, err
    metrics = json.loads(out)
    assert metrics["num_decoded"] == 20 and metrics["budget_allowed"] == 7840 and metrics["budget_used"] == 20 * 67
    # a labelled band per class (22 px title + 28 px fields drawn at 84 px); at least 320 px wide for the title
    assert Image.open(out_dir / "preview.png").size == (320, 10 * (22 + 88 + 4))
    per_class = sorted(p.name for p in (out_dir / "previews").iterdir())
    assert len(per_class) == 10 and per_class[0] == "000_T-shirt_top.png"
    assert Image.open(out_dir / "previews" / per_class[0]).size == (320, 22 + 88 + 4)  # 2 fields in one row

    rc, out, err = cli(capsys, "eval", out_dir, "--resolution", 36, "--runs", 1, "--epochs", 1, "--json", "-q")
    assert rc == 0, err
    res = json.loads(out)
    assert res["resolution"] == [36, 36] and "accuracy_drop_ratio" in res

    rc, out, err = cli(capsys, "eval", out_dir, "--net", "resnet18", "--runs", 1, "--epochs", 1, "--json", "-q")
    assert rc == 0, err
    assert json.loads(out)["net"] == "resnet18"
    rc, out, err = cli(capsys, "eval", out_dir, "--net", "resnet50", "--runs", 1)
    assert rc == 1 and "unknown network 'resnet50'" in err and "resnet18" in err

    rc, out, err = cli(capsys, "decode", out_dir, "--out", tmp_path / "png", "--resolution", 56)
    assert rc == 0, err
    rows = (tmp_path / "png" / "labels.csv").read_text().splitlines()
    assert len(rows) == 21 and rows[1] == "000_T-shirt_top/00000.png,0,T-shirt/top"
    assert Image.open(tmp_path / "png" / "000_T-shirt_top" / "00000.png").size == (56, 56)
    # side by side: per class 2 fields x (28 px, 56 px), both drawn at 112 px (nearest, integer factors)
    assert Image.open(tmp_path / "png" / "compare.png").size == (4 + 4 * 116, 10 * (22 + 116 + 4))


def test_missing_data_root_is_one_sentence(capsys, tmp_path):
    rc, _, err = cli(capsys, "run", "--modality", "image", "--data-root", tmp_path / "none", "--out",
                     tmp_path / "r", "-q", *TINY)
    assert rc == 1 and "dataset root" in err and "does not exist" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()  # nothing is written before the data is read


def test_corrupt_data_file_is_named(capsys, idx_root, tmp_path):
    (idx_root / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    rc, _, err = cli(capsys, "run", "--modality", "image", "--data-root", idx_root, "--out", tmp_path / "r",
                     "-q", *TINY)
    assert rc == 1 and "t10k-images-idx3-ubyte.gz" in err


def test_budget_too_small_for_one_field(capsys):
    rc, _, err = cli(capsys, "budget", "--modality", "image", "--dataset", "fashion-mnist", "--set", "param.width=40")
    assert rc == 1 and "cannot hold one field" in err


def test_table9_presets_resolve(capsys):
    from ddif_core.config import build_config
    from ddif_image.modality import ImageModality

    cfg = build_config({"modality": "image", "preset": "cifar10-ipc1-tm"}, None, [], lambda m: ImageModality.presets())
    assert cfg.run.loss == "tm" and cfg.modality == {"zca": True}
    assert cfg.matcher == {"syn_steps": 60, "expert_epochs": 2, "max_start_epoch": 10, "batch_syn": 74,
                           "lr_lr": 1e-5, "lr_teacher": 1e-2, "num_experts": 100}
    assert cfg.distill.iterations == 15000 and cfg.distill.lr == 1e-3
    rc, out, err = cli(capsys, "budget", "--modality", "image", "--preset", "imagenette256-ipc1-dm", "--json")
    assert rc == 0, err
    assert json.loads(out)["params_per_field"] == 3523 and json.loads(out)["fields_per_class"] == 55
    # a Table-9 row serves any ImageNet subset: --dataset overrides the preset's
    cfg = build_config({"modality": "image", "preset": "imagenette-ipc10-tm", "dataset": "imagesquawk"}, None, [],
                       lambda m: ImageModality.presets())
    assert cfg.run.dataset == "imagesquawk" and cfg.run.ipc == 10 and cfg.matcher["syn_steps"] == 40


def test_presets_listed(capsys):
    rc, out, _ = cli(capsys, "presets", "--modality", "image", "--json")
    data = json.loads(out)["image"]
    assert data["demo"]["run"]["dataset"] == "fashion-mnist"
    assert data["fashion-mnist"]["distill"]["iterations"] == 20000 and data["fashion-mnist"]["eval"]["runs"] == 5
    # DC's official default: 1,000 outer iterations of outer_loop (1 at IPC 1) synthetic updates, not DM's 20,000
    assert data["imagenette-ipc1-dc"]["distill"]["iterations"] == 1000
    assert data["cifar10-ipc1-tm"]["matcher"]["tm"]["num_experts"] == 100  # the reference's expert count


def test_zca_run_stores_the_whitening_and_decodes_unwhitened(capsys, idx_root, tmp_path):
    from ddif_core import SyntheticSet

    out_dir = tmp_path / "zca"
    rc, out, err = cli(capsys, "run", "--modality", "image", "--data-root", idx_root, "--out", out_dir,
                       "--device", "cpu", "-q", "--json", *TINY, "--set", "modality.zca=true")
    assert rc == 0, err
    syn = SyntheticSet.load(out_dir)
    assert syn.modality_state()["zca_matrix"].shape == (784, 784)
    rc, out, err = cli(capsys, "eval", out_dir, "--runs", 1, "--epochs", 1, "--json", "-q")
    assert rc == 0, err
    rc, _, err = cli(capsys, "decode", out_dir, "--out", tmp_path / "png")
    assert rc == 0, err
    assert Image.open(tmp_path / "png" / "000_T-shirt_top" / "00000.png").size == (28, 28)

"""The video plugin through the real CLI: ddif data make, a tiny run on .avi files, decode to GIF, bad clips."""

import json

import av
import pytest
from PIL import Image

from ddif_core.cli import main

from video_files import make_ucf_tree
from video_files import one_thread, cache_env  # noqa: F401 (fixtures)


def cli(capsys, *args):
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_data_make_then_run_then_decode(capsys, tmp_path, cache_env):
    data = tmp_path / "shapes"
    rc, out, err = cli(capsys, "data", "make", "moving-shapes", "--out", data, "--per-class", 3, "--seed", 1,
                       "--set", "classes=3", "--set", "width=64", "--set", "height=48", "--set", "length=16")
    assert rc == 0, err
    assert (data / "ucfTrainTestlist" / "classInd.txt").read_bytes() == b"1 MoveRight\r\n2 MoveLeft\r\n3 MoveUp\r\n"
    assert len(list((data / "UCF-101").rglob("*.avi"))) == 9
    run = tmp_path / "run"
    rc, out, err = cli(capsys, "run", "--modality", "video", "--preset", "tiny", "--data-root", data, "--out", run,
                       "--device", "cpu", "-q", "--json")
    assert rc == 0, err
    metrics = json.loads(out)
    assert metrics["num_decoded"] == 6  # 3 classes x 2 fields (the preset's param.fields_per_class)
    strip = Image.open(run / "preview.png")
    assert strip.height >= 3 * 64 and strip.width >= 8 * 64  # a row of 8 frames per class, >= 64 px each
    gifs = sorted(p.name for p in (run / "previews").iterdir())
    assert gifs == ["000_MoveRight.gif", "001_MoveLeft.gif", "002_MoveUp.gif"]
    assert Image.open(run / "previews" / gifs[0]).n_frames == 8

    gif = tmp_path / "gif"
    rc, out, err = cli(capsys, "decode", run, "--out", gif, "--format", "gif", "--resolution", 48)
    assert rc == 0, err
    assert len(list(gif.glob("*.gif"))) == 6 and (gif / "labels.csv").is_file()
    assert Image.open(sorted(gif.glob("*.gif"))[0]).size == (48, 48)  # space only: still 8 frames
    assert Image.open(gif / "compare.png").width > Image.open(run / "preview.png").width  # 32 and 48 side by side
    rc, out, err = cli(capsys, "decode", run, "--out", tmp_path / "wav", "--format", "wav")
    assert rc == 1 and "--format wav" in err and "mp4, gif, png" in err

    mp4 = tmp_path / "mp4"
    rc, out, err = cli(capsys, "decode", run, "--out", mp4)  # mp4 is the default format
    assert rc == 0, err
    assert len(list(mp4.glob("*.mp4"))) == 6 and (mp4 / "labels.csv").is_file()
    with av.open(str(sorted(mp4.glob("*.mp4"))[0])) as container:
        assert len(list(container.decode(video=0))) == 8


def test_run_stops_on_an_undecodable_clip(capsys, tmp_path, cache_env):
    root = make_ucf_tree(tmp_path / "ucf")
    bad = root / "UCF-101" / "Basketball" / "v_Basketball_g02_c01.avi"
    bad.write_bytes(b"\x00" * 64)
    run = tmp_path / "run"
    rc, out, err = cli(capsys, "run", "--modality", "video", "--dataset", "ucf101", "--preset", "tiny",
                       "--data-root", root, "--out", run, "--device", "cpu", "-q")
    assert rc == 1
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "v_Basketball_g02_c01.avi" in lines[0] and "Traceback" not in err
    assert not list(cache_env.rglob("clips.npy"))


def test_plugins_lists_video_parts(capsys):
    rc, out, err = cli(capsys, "plugins", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert "video" in [m["name"] for m in data["modalities"]]
    assert "convnet3d" in [n["name"] for n in data["networks"]]
    assert "moving-shapes" in [g["name"] for g in data["generators"]]
    assert not [e for e in data["errors"] if e["distribution"] == "ddif-video"]


@pytest.mark.parametrize("preset,fields", [("miniucf-ipc1-dm", 1), ("miniucf-ipc5-dm", 5)])
def test_paper_presets_budget(capsys, tmp_path, preset, fields):
    from video_files import make_frame_tree

    root = make_frame_tree(tmp_path / "frames")
    rc, out, err = cli(capsys, "budget", "--modality", "video", "--preset", preset, "--data-root", root, "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["params_per_field"] == 8483 and data["fields_per_class"] == fields
    assert data["sample_shape"] == [3, 16, 112, 112] and data["num_classes"] == 3


def test_warm_up_keeps_frame_and_channel_order(capsys, tmp_path, cache_env):
    """Through the engine: each field after the warm-up matches a real training clip of its class frame by
    frame; the same clip with time reversed or channels rotated matches far worse."""
    import torch

    from ddif_core import SyntheticSet
    from ddif_video.modality import VideoModality, VideoOptions

    root = make_ucf_tree(tmp_path / "ucf")
    run = tmp_path / "run"
    rc, out, err = cli(capsys, "run", "--modality", "video", "--dataset", "ucf101", "--preset", "tiny",
                       "--data-root", root, "--out", run, "--device", "cpu", "-q",
                       "--set", "param.width=40", "--set", "param.fields_per_class=1",
                       "--set", "param.warmup_steps=200", "--set", "param.warmup_lr=3e-3", "--set", "modality.size=16",
                       "--set", "distill.iterations=0", "--set", "eval.epochs=1")
    assert rc == 0, err
    decoded, labels = SyntheticSet.load(run).decode()  # (3, 3, 8, 16, 16), one field per class
    assert labels.tolist() == [0, 1, 2]
    real = VideoModality(VideoOptions(frames=8, size=16), "ucf101", root).load("train")
    x = real.get(torch.arange(len(real)))
    for c in range(3):
        mine = x[real.labels == c]  # (n, 3, 8, 16, 16)

        def err_to(v):
            return float((mine - v[None]).pow(2).mean(dim=(1, 2, 3, 4)).min())

        best = err_to(decoded[c])
        assert best < 0.25 * err_to(decoded[c].flip(1)), c  # time reversed
        assert best < 0.25 * err_to(decoded[c].roll(1, dims=0)), c  # channels rotated
        assert best < 0.1 * float(mine.var()), (c, best)


def test_without_a_preset_the_budget_fills_with_table_8_fields(capsys, tmp_path):
    from video_files import make_frame_tree

    root = make_frame_tree(tmp_path / "frames")
    rc, out, err = cli(capsys, "budget", "--modality", "video", "--dataset", "miniucf", "--data-root", root, "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["params_per_field"] == 8483 and data["fields_per_class"] == 70  # 602,112 // 8,483
    assert (data["layers"], data["width"]) == (6, 40)


def test_dc_with_dropout_then_eval_at_other_resolutions(capsys, tmp_path, cache_env):
    """DC's per-class vmap runs ConvNet3D with its dropout; --resolution S changes space only, TxHxW all three."""
    from ddif_video.shapes import write_dataset

    data = tmp_path / "shapes"
    write_dataset(data, classes=2, per_class=3, seed=0, width=64, height=48, length=12)
    run = tmp_path / "run"
    rc, out, err = cli(capsys, "run", "--modality", "video", "--preset", "tiny", "--loss", "dc", "--data-root", data,
                       "--out", run, "--device", "cpu", "-q", "--json", "--set", "modality.size=16")
    assert rc == 0, err
    assert json.loads(out)["num_decoded"] == 4
    for res, expected in (("24", [8, 24, 24]), ("4x24x24", [4, 24, 24])):
        rc, out, err = cli(capsys, "eval", run, "--resolution", res, "--runs", 1, "--epochs", 1, "--json", "-q")
        assert rc == 0, err
        assert json.loads(out)["resolution"] == expected

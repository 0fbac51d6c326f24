"""Hostile inputs to the image readers and to the CLI on real IDX files (issue #18)."""

import gzip
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import make_cifar10_root
from ddif_core import artifact, rundir
from ddif_core.cli import main
from ddif_core.errors import DataError
from ddif_image.cifar import read_cifar
from ddif_image.folder import read_image
from ddif_image.idx import IDXError, read_idx, read_idx_labels, write_idx

TINY = ["--set", "param.warmup_steps=5", "--set", "distill.iterations=2", "--set", "distill.checkpoint_every=1",
        "--set", "matcher.batch_real=4", "--set", "eval.runs=1", "--set", "eval.epochs=1",
        "--set", "param.fields_per_class=1", "--set", "modality.dsa_strategy=flip_crop", "--device", "cpu", "-q"]


def cli(capsys, *args):
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    """(data root, run dir) of one tiny finished run with augmentation on; tests copy the run dir."""
    from conftest import make_idx_root

    base = tmp_path_factory.mktemp("finished")
    root = make_idx_root(base / "fmnist")
    rc = main(["run", "--modality", "image", "--data-root", str(root), "--out", str(base / "run"), *TINY])
    assert rc == 0
    return root, base / "run"


def copy_run(finished, dest: Path) -> Path:
    shutil.copytree(finished[1], dest)
    return dest


# ---- readers -----------------------------------------------------------------------------------

def test_16bit_png_is_read_at_full_depth(tmp_path):
    values = np.full((8, 8), 32896, dtype=np.uint16)  # 32896 / 257 = 128
    values[:, 4:] = 65535
    Image.frombytes("I;16", (8, 8), values.astype("<u2").tobytes()).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    arr = read_image(tmp_path / "deep.png", 8)
    assert arr.shape == (3, 8, 8)
    assert (arr[:, :, :3] == 128).all() and (arr[:, :, 5:] == 255).all()  # Pillow's convert gives 255 everywhere


def test_idx_labels_type_code_and_range(tmp_path):
    write_idx(tmp_path / "f", np.arange(4, dtype=np.float32))
    with pytest.raises(IDXError, match=r"holds float32 values \(type code 0x0D\); labels must be integers"):
        read_idx_labels(tmp_path / "f", 10)
    write_idx(tmp_path / "n", np.array([0, -3, 2], dtype=np.int8))
    with pytest.raises(IDXError, match=r"has labels from -3 to 2, expected 0\.\.9 \(10 classes\)"):
        read_idx_labels(tmp_path / "n", 10)
    write_idx(tmp_path / "h", np.array([0, 12], dtype=np.uint8))
    with pytest.raises(IDXError, match=r"has labels from 0 to 12, expected 0\.\.9"):
        read_idx_labels(tmp_path / "h", 10)
    write_idx(tmp_path / "ok", np.array([1, 0, 9], dtype=np.uint8))
    assert read_idx_labels(tmp_path / "ok", 10, count=3).tolist() == [1, 0, 9]


def test_idx_with_255_dimensions_is_refused(tmp_path):
    (tmp_path / "d").write_bytes(bytes([0, 0, 8, 255]) + b"\x00\x00\x00\x01" * 255 + b"\x07")
    with pytest.raises(IDXError, match="declares 255 dimensions; at most 32 are supported"):
        read_idx(tmp_path / "d")


def test_gzip_idx_is_never_expanded_past_its_declared_size(tmp_path):
    header = bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big")
    bomb = gzip.compress(header + bytes(10) + bytes(64 * 2**20), compresslevel=9)  # 64 MiB of zeros after the data
    assert len(bomb) < 200_000
    (tmp_path / "bomb.gz").write_bytes(bomb)
    tracemalloc.start()
    try:
        with pytest.raises(IDXError, match="trailing byte after the data"):
            read_idx(tmp_path / "bomb.gz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, peak
    huge = gzip.compress(bytes([0, 0, 8, 2]) + (2**31).to_bytes(4, "big") * 2)  # declares 4 EiB
    (tmp_path / "huge.gz").write_bytes(huge)
    with pytest.raises(IDXError, match="more than the 16 GiB this reader accepts"):
        read_idx(tmp_path / "huge.gz")


@pytest.mark.parametrize("labels,message", [
    (["cat"] * 20, r"'labels' must be a list of integers, but entry 0 is str 'cat'"),
    (None, r"'labels' must be a list of integers, found NoneType"),
    ([1.7] * 20, r"entry 0 is float 1\.7"),
    ([2**70] * 20, r"'labels' entry 0 is 1180591620717411303424, not a class index"),
])
def test_cifar_labels_that_are_not_class_indices(tmp_path, labels, message):
    root = make_cifar10_root(tmp_path)
    batch_file = root / "cifar-10-batches-py" / "data_batch_1"
    with open(batch_file, "rb") as f:
        batch = pickle.load(f)
    batch[b"labels"] = labels
    with open(batch_file, "wb") as f:
        pickle.dump(batch, f, protocol=2)
    with pytest.raises(DataError, match=message):
        read_cifar(root, "cifar10", "train")


# ---- the CLI -----------------------------------------------------------------------------------

def test_user_mistakes_are_sentences_not_internal_errors(capsys, idx_root, tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    cases = [
        (["--out", tmp_path / "file" / "run"], "a part of the path is a file, not a folder"),
        (["--out", tmp_path / "dangling"], "is a symbolic link to"),
        (["--out", tmp_path / "s", "--seed", 2**64], "'run.seed'"),
        (["--out", tmp_path / "i", "--set", "distill.iterations=1e18"], "'distill.iterations'"),
        (["--out", tmp_path / "l", "--set", "distill.lr=inf"], "finite number"),
        (["--out", tmp_path / "p", "--ipc", 10**30], "'run.ipc'"),
    ]
    for extra, message in cases:
        rc, _, err = cli(capsys, "run", "--modality", "image", "--data-root", idx_root, *TINY, *extra)
        assert rc == 1 and message in err and "internal error" not in err, (extra, err)
        assert len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "file", "fmnist"]  # no run dir left
    toml = tmp_path / "c.toml"
    toml.write_text("ipc = 1\n")
    rc, _, err = cli(capsys, "budget", "--modality", "image", "--config", toml)
    assert rc == 1 and "it belongs under [run]" in err


def test_resume_writes_into_out_never_into_the_saved_path(capsys, finished, tmp_path):
    a = copy_run(finished, tmp_path / "a")
    before = {p: p.stat().st_mtime_ns for p in a.rglob("*")}
    b = tmp_path / "b"
    shutil.copytree(a, b)
    (b / "synthetic.safetensors").unlink()
    (b / "metrics.json").unlink()
    info = json.loads((b / "config.json").read_text())
    info["config"]["run"]["out"] = str(tmp_path / "elsewhere")  # a moved copy, or an edited file
    (b / "config.json").write_text(json.dumps(info))
    rc, _, err = cli(capsys, "run", "--resume", "--out", b, "-q")
    assert rc == 0, err
    assert (b / "synthetic.safetensors").is_file() and (b / "metrics.json").is_file()
    assert not (tmp_path / "elsewhere").exists()
    assert {p: p.stat().st_mtime_ns for p in a.rglob("*")} == before


def test_damaged_artifact_is_refused_by_eval_decode_and_resume(capsys, finished, tmp_path):
    d = copy_run(finished, tmp_path / "run")
    data = bytearray((d / "synthetic.safetensors").read_bytes())
    data[-3] ^= 0xFF
    (d / "synthetic.safetensors").write_bytes(bytes(data))
    for args in (["eval", d, "--runs", 1, "--epochs", 1, "-q"], ["decode", d, "--out", tmp_path / "dec"]):
        rc, out, err = cli(capsys, *args)
        assert rc == 1 and err.startswith("error: synthetic set ") and "synthetic.safetensors is damaged" in err, err
    assert not (tmp_path / "dec").exists()
    data = bytearray((d / artifact.CHECKPOINT_FILE).read_bytes())
    data[-1] ^= 0xFF
    (d / artifact.CHECKPOINT_FILE).write_bytes(bytes(data))
    rc, _, err = cli(capsys, "run", "--resume", "--out", d, "-q")
    assert rc == 1 and "last.safetensors is damaged" in err, err


def test_decode_into_a_link_to_an_empty_folder(capsys, finished, tmp_path):
    d = copy_run(finished, tmp_path / "run")
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    old = os.umask(0o022)
    try:
        rc, _, err = cli(capsys, "decode", d, "--out", tmp_path / "link")
    finally:
        os.umask(old)
    assert rc == 0, err
    assert (tmp_path / "link").is_symlink() and (tmp_path / "empty" / "labels.csv").is_file()
    assert (tmp_path / "empty").stat().st_mode & 0o777 == 0o755  # the umask, not mkdtemp's 0700
    (tmp_path / "file").write_text("x")
    rc, _, err = cli(capsys, "decode", d, "--out", tmp_path / "file")
    assert rc == 1 and "is a file, not a folder" in err


def test_a_second_writer_on_one_run_dir_is_refused(capsys, finished, tmp_path):
    d = copy_run(finished, tmp_path / "run")
    with rundir.session():
        rundir.claim(d, resume=True)  # another run holds it
        rc, _, err = cli(capsys, "run", "--resume", "--out", d, "-q")
    assert rc == 1 and f"run directory {d} is in use by process {os.getpid()}" in err, err


def test_ctrl_c_says_where_the_checkpoint_is(capsys, idx_root, tmp_path, monkeypatch):
    original = artifact.save_checkpoint

    def interrupted(run_dir, iteration, *args, **kwargs):
        original(run_dir, iteration, *args, **kwargs)
        if iteration == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(artifact, "save_checkpoint", interrupted)
    d = tmp_path / "run"
    rc, _, err = cli(capsys, "run", "--modality", "image", "--data-root", idx_root, "--out", d, *TINY)
    assert rc == 130
    assert err.strip().splitlines()[-1] == (f"error: interrupted; the last checkpoint is {d / artifact.CHECKPOINT_FILE} "
                                            f"(iteration 1): continue with ddif run --resume --out {d}")


_KILLABLE = """
import sys, time
from pathlib import Path
from ddif_core import artifact
from ddif_core.cli import main
original = artifact.save_checkpoint
def slow(run_dir, iteration, *args, **kwargs):
    original(run_dir, iteration, *args, **kwargs)
    if iteration == 1:
        Path(sys.argv[1]).write_text("1")
        time.sleep(120)
artifact.save_checkpoint = slow
sys.exit(main(sys.argv[2:]))
"""


def test_resume_after_sigkill_with_augmentation_is_bit_identical(capsys, finished, tmp_path):
    args = ["run", "--modality", "image", "--data-root", str(finished[0]), *map(str, TINY)]
    a = finished[1]
    b, marker = tmp_path / "b", tmp_path / "at-checkpoint"
    proc = subprocess.Popen([sys.executable, "-c", _KILLABLE, str(marker), *args, "--out", str(b)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the run never reached its checkpoint"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        proc.kill()
        proc.stderr.close()
    assert artifact.load_checkpoint(b)[1]["iteration"] == 1 and not (b / "synthetic.safetensors").exists()
    assert (b / rundir.LOCK_FILE).is_file()  # the killed run's lock is left, and is stale
    rc, _, err = cli(capsys, "run", "--resume", "--out", b, "-q")
    assert rc == 0, err
    ta, _ = artifact.read_safetensors(a / "synthetic.safetensors", "a")
    tb, _ = artifact.read_safetensors(b / "synthetic.safetensors", "b")
    assert ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)
    ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
    assert ma["accuracies"] == mb["accuracies"] and ma["loss_history"] == mb["loss_history"]

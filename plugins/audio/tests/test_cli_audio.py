"""The audio plugin through the real CLI: a tiny preset on test-written WAVs, decode as wav/png/npy, errors."""

import csv
import json
import shutil

import numpy as np
import pytest

from ddif_core.cli import main
from ddif_audio.png import read_png_size
from ddif_audio.wav import read_audio
from audio_trees import make_mini, mini_parent  # noqa: F401 (fixtures)

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (apt-get install espeak-ng); CI installs it")


def cli(capsys, *args):
    """rc, stdout and stderr, without the warnings other installed plugins may print."""
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    err = "".join(line for line in out.err.splitlines(keepends=True) if not line.startswith("warning: plugin"))
    return rc, out.out, err


@pytest.fixture
def env_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DDIF_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_tiny_run_names_the_dataset(capsys, tmp_path, mini_parent, env_cache):
    run = tmp_path / "run"
    rc, out, err = cli(capsys, "run", "--modality", "audio", "--preset", "tiny", "--data-root", mini_parent,
                       "--out", run, "--device", "cpu", "--json")
    assert rc == 0, err
    assert err.startswith("ddif: audio/mini-speech-commands ipc=1")
    metrics = json.loads(out)
    assert metrics["dataset"] == "mini-speech-commands" and metrics["modality"] == "audio"
    assert json.loads((run / "metrics.json").read_text())["dataset"] == "mini-speech-commands"
    assert metrics["num_decoded"] == 16 and metrics["budget_allowed"] == 8 * 256
    assert len(list((env_cache / "spectrograms").iterdir())) == 2  # train and test, cached


def test_corrupt_wav_is_one_sentence_no_run_dir_no_cache(capsys, tmp_path, mini_parent, env_cache):
    bad = mini_parent / "mini_speech_commands" / "go" / "00000003_nohash_0.wav"
    bad.write_bytes(b"not a wav file at all" * 10)
    rc, out, err = cli(capsys, "run", "--modality", "audio", "--preset", "tiny", "--data-root", mini_parent,
                       "--out", tmp_path / "r", "--device", "cpu", "-q")
    assert rc == 1 and "00000003_nohash_0.wav is not an audio file" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists() and not list(env_cache.rglob("*.npy"))


def test_unknown_word_is_a_config_error(capsys, tmp_path, mini_parent):
    rc, out, err = cli(capsys, "run", "--modality", "audio", "--preset", "tiny", "--data-root", mini_parent,
                       "--set", "modality.classes=['yes','nope']", "--out", tmp_path / "r", "-q")
    assert rc == 1 and "modality.classes" in err and "unknown word 'nope'" in err and not (tmp_path / "r").exists()


def test_only_audio_installed_lists_audio_and_names_ddif_image():
    from importlib import metadata

    from ddif_core.plugins import Registry, load_plugins

    ep = [e for e in metadata.entry_points(group="ddif") if e.name == "audio"]
    reg = Registry(load_plugins(entry_points=ep))
    assert reg.names("modalities") == ["audio"] and not reg.errors
    with pytest.raises(Exception, match="pip install ddif-image"):
        reg.entry("modalities", "image")


def test_generator_is_listed(capsys):
    rc, out, err = cli(capsys, "data", "list", "--json")
    assert rc == 0, err
    gens = {g["name"]: g for g in json.loads(out)}
    assert gens["speech-synth"]["modality"] == "audio"


@needs_espeak
def test_data_make_then_run_reads_it(capsys, tmp_path, env_cache):
    out_dir = tmp_path / "synth"
    rc, out, err = cli(capsys, "data", "make", "speech-synth", "--out", out_dir, "--per-class", 3, "--seed", 1)
    assert rc == 0, err
    assert (out_dir / "testing_list.txt").read_text().count("\n") == 8
    rc, out, err = cli(capsys, "run", "--modality", "audio", "--preset", "tiny", "--dataset", "speech-synth",
                       "--data-root", out_dir, "--out", tmp_path / "run", "--device", "cpu", "--json")
    assert rc == 0, err
    assert err.startswith("ddif: audio/speech-synth ")


@needs_espeak
def test_speech_synth_is_generated_into_the_cache_by_default(capsys, tmp_path, env_cache):
    rc, out, err = cli(capsys, "run", "--modality", "audio", "--preset", "tiny", "--set",
                       "modality.synth_per_class=3", "--out", tmp_path / "run", "--device", "cpu", "--json")
    assert rc == 0, err
    assert err.startswith("ddif: audio/speech-synth ") and json.loads(out)["dataset"] == "speech-synth"
    assert len(list((env_cache / "data").glob("speech-synth-*"))) == 1


@pytest.mark.parametrize("ipc,fields", [(10, 156), (20, 313)])
def test_budget_rows_of_table_8(capsys, ipc, fields):
    rc, out, err = cli(capsys, "budget", "--modality", "audio", "--dataset", "mini-speech-commands", "--ipc", ipc,
                       "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["params_per_field"] == 261 and data["fields_per_class"] == fields
    assert data["layers"] == 3 and data["width"] == 10 and data["num_classes"] == 8


def test_previews_and_decode_formats(capsys, tmp_path, mini_parent, env_cache):
    run = tmp_path / "run"
    rc, out, err = cli(capsys, "run", "--modality", "audio", "--preset", "tiny", "--data-root", mini_parent,
                       "--out", run, "--device", "cpu", "-q", "--json")
    assert rc == 0, err
    assert read_png_size(run / "preview.png") == (2 * 66 + 2, 8 * 66 + 2)  # 2 fields x 8 words, 16 rows at 64 px
    wavs = sorted(p.name for p in (run / "previews").iterdir())
    assert wavs[:2] == ["0_yes.wav", "1_no.wav"] and len(wavs) == 8
    clip, rate = read_audio(run / "previews" / "0_yes.wav")
    assert rate == 16000 and clip.shape == (2 * 16000 + 4000,)

    rc, out, err = cli(capsys, "decode", run, "--out", tmp_path / "wav")
    assert rc == 0, err
    rows = list(csv.reader((tmp_path / "wav" / "labels.csv").open()))
    assert rows[1] == ["0_yes/00000.wav", "0", "yes"] and len(rows) == 17
    assert read_audio(tmp_path / "wav" / "7_down" / "00001.wav")[0].shape == (16000,)
    assert (tmp_path / "wav" / "preview.png").is_file()

    rc, out, err = cli(capsys, "decode", run, "--out", tmp_path / "png", "--format", "png", "--resolution", 32)
    assert rc == 0, err
    assert read_png_size(tmp_path / "png" / "0_yes" / "00000.png") == (32, 32)
    assert read_png_size(tmp_path / "png" / "compare.png") == (4 * 66 + 2, 8 * 66 + 2)  # 2 fields x (16, 32)
    rc, out, err = cli(capsys, "decode", run, "--out", tmp_path / "npy", "--format", "npy")
    assert rc == 0, err
    arrays = sorted((tmp_path / "npy").rglob("*.npy"))
    assert len(arrays) == 16 and np.load(arrays[0]).shape == (1, 16, 16)
    rc, out, err = cli(capsys, "decode", run, "--out", tmp_path / "mp3", "--format", "mp3")
    assert rc == 1 and "wav" in err and not (tmp_path / "mp3").exists()

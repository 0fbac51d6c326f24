"""speech-synth: deterministic plans and files, the Speech Commands layout, the message without espeak-ng."""

import shutil

import numpy as np
import pytest

from ddif_core import DataError
from ddif_audio import synth
from ddif_audio.layouts import IDC_WORDS, split_files

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (apt-get install espeak-ng); CI installs it")


def test_plan_is_a_function_of_the_seed():
    a, b, c = synth.plan(IDC_WORDS, 5, 3, (10, 40)), synth.plan(IDC_WORDS, 5, 3, (10, 40)), synth.plan(IDC_WORDS, 5, 4, (10, 40))
    assert a == b and a != c and len(a) == 40
    assert len({u.speaker for u in a}) == 5 and all(10 <= u.snr_db <= 40 for u in a)
    assert [u.word for u in a[:6]] == ["yes"] * 5 + ["no"]


def test_speakers_not_files_are_split():
    role = synth.split_speakers([f"{i:08x}" for i in range(20)], seed=0)
    assert sorted(role.values()).count("test") == 2 and sorted(role.values()).count("validation") == 2
    assert synth.split_speakers(["a", "b"], 0) in ({"a": "test", "b": "train"}, {"a": "train", "b": "test"})


@pytest.mark.parametrize("kind,slope", [("white", 0.0), ("pink", -1.0), ("brown", -2.0)])
def test_coloured_noise_has_its_spectral_slope(kind, slope):
    noise = synth.coloured_noise(kind, 1 << 14, np.random.default_rng(0))
    assert noise.dtype == np.float32 and np.sqrt(np.mean(noise.astype(np.float64) ** 2)) == pytest.approx(1, rel=1e-4)
    power = np.abs(np.fft.rfft(noise)) ** 2
    f = np.arange(power.shape[0])
    bands = [power[(f >= lo) & (f < 2 * lo)].mean() for lo in (64, 128, 256, 512, 1024)]
    fitted = np.polyfit(np.log2([64, 128, 256, 512, 1024]), np.log2(bands), 1)[0]
    assert abs(fitted - slope) < 0.3


def test_without_espeak_one_sentence_names_the_install(monkeypatch, tmp_path):
    monkeypatch.setattr(synth.shutil, "which", lambda name: None)
    with pytest.raises(DataError, match=r"apt-get install espeak-ng") as err:
        synth.synthesise(tmp_path, 2, 0)
    assert "\n" not in str(err.value) and not any(tmp_path.iterdir())


@needs_espeak
def test_files_are_byte_identical_for_a_seed_and_readable(tmp_path):
    outs = []
    for name, seed, workers in (("a", 7, 2), ("b", 7, 1), ("c", 8, 2)):
        out = tmp_path / name
        out.mkdir()
        seen = []
        synth.synthesise(out, 2, seed, words=("yes", "no", "up"), workers=workers,
                         progress=lambda done, total: seen.append((done, total)))
        assert seen[-1] == (6, 6)
        outs.append({p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    differ = sorted(k for k in outs[0].keys() | outs[1].keys() if outs[0].get(k) != outs[1].get(k))
    assert not differ, f"files that differ between workers=2 and workers=1 with one seed: {differ}"
    assert outs[0] != outs[2]
    names = set(outs[0])
    assert {"testing_list.txt", "validation_list.txt", "README.md", "_background_noise_/pink_noise.wav"} <= names
    assert sum(n.startswith("yes/") and n.endswith("_nohash_0.wav") for n in names) == 2
    test, labels = split_files(tmp_path / "a", ("yes", "no", "up"), "test", "lists")
    assert len(test) == 3 and labels == [0, 1, 2]  # one of two speakers is the test speaker, for every word
    from ddif_audio.wav import read_audio

    clip, rate = read_audio(tmp_path / "a" / test[0].relative_to(tmp_path / "a"))
    assert rate == 16000 and clip.shape == (16000,) and 0.05 < np.abs(clip).max() <= 0.96

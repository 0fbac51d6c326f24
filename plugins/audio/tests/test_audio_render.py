"""Renders for people: PNG grids (frequency upwards), per-class WAVs, exports in instance order."""

import zlib

import numpy as np
import pytest
import torch

from ddif_audio import render
from ddif_audio.png import colourise, read_png_size, write_png
from ddif_audio.spectrogram import frequency_of_row, log_spectrogram
from ddif_audio.wav import read_audio
from audio_trees import tone


def _png_pixels(path):
    """Decode our own PNGs (filter 0, one IDAT) to check pixels."""
    raw = path.read_bytes()
    w, h = read_png_size(path)
    colour = raw[25]
    idat = raw[raw.index(b"IDAT") + 4: raw.index(b"IEND") - 8]
    channels = 3 if colour == 2 else 1
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * channels)
    assert not rows[:, 0].any()
    return rows[:, 1:].reshape(h, w, channels)


def test_png_writer_round_trip(tmp_path):
    pixels = np.arange(12 * 7 * 3, dtype=np.uint8).reshape(12, 7, 3)
    write_png(tmp_path / "a.png", pixels)
    assert read_png_size(tmp_path / "a.png") == (7, 12) and np.array_equal(_png_pixels(tmp_path / "a.png"), pixels)
    write_png(tmp_path / "g.png", pixels[..., 0])
    assert np.array_equal(_png_pixels(tmp_path / "g.png")[..., 0], pixels[..., 0])
    with pytest.raises(ValueError):
        write_png(tmp_path / "f.png", pixels.astype(np.float32))


def test_colour_map_is_dark_to_bright():
    c = colourise(np.linspace(0, 1, 9)[None]).astype(int)[0]
    assert c.shape == (9, 3) and c.sum(axis=1).tolist() == sorted(c.sum(axis=1).tolist())


def _tones(freqs, size=16):
    return log_spectrogram(torch.from_numpy(np.stack([tone(f) for f in freqs])), size)


def test_preview_one_row_per_class_frequency_upwards(tmp_path):
    x = _tones([500, 6000, 500, 500, 6000], 16)
    y = torch.tensor([0, 1, 0, 0, 1])
    render.write_preview(x, y, 3, tmp_path / "preview.png")
    tile = 64 + 2  # 16 rows shown at 64 px
    assert read_png_size(tmp_path / "preview.png") == (3 * tile + 2, 3 * tile + 2)  # 3 per row max, 3 classes
    px = _png_pixels(tmp_path / "preview.png").astype(int).sum(axis=2)
    low_tile, high_tile = px[2:66, 2:66], px[2 + tile:66 + tile, 2:66]
    assert low_tile[:, 20:40].mean(axis=1).argmax() > 48  # 500 Hz: bright near the bottom
    assert high_tile[:, 20:40].mean(axis=1).argmax() < 32  # 6 kHz: bright near the top
    assert (px[2 * tile + 2:, :] == 3 * 255).all()  # class 2 has nothing: a white row


def test_compare_grid_places_shapes_side_by_side(tmp_path):
    y = torch.tensor([0, 1])
    xs = [_tones([1000, 3000], 16), _tones([1000, 3000], 32)]
    render.write_compare(xs, y, 2, tmp_path / "c.png")
    assert read_png_size(tmp_path / "c.png") == (2 * 66 + 2, 2 * 66 + 2)


def test_class_wavs_concatenate_instances(tmp_path):
    x = _tones([1000, 1000, 2000], 32)
    names = render.write_class_wavs(x, torch.tensor([0, 0, 2]), ["yes", "no", "go"], tmp_path, gap=0.25)
    assert [p.as_posix() for p in names] == ["0_yes.wav", "2_go.wav"]
    clip, rate = read_audio(tmp_path / "0_yes.wav")
    assert rate == 16000 and clip.shape == (16000 * 2 + 4000,)
    assert np.abs(clip[16000 + 500:16000 + 3500]).max() == 0  # the silent gap


def test_export_in_instance_order_wav_and_png(tmp_path):
    x = _tones([1000, 3000, 2000], 16)
    y = torch.tensor([1, 0, 1])
    wavs = render.export_instances(x, y, ["yes", "no"], tmp_path / "w", "wav")
    assert [p.as_posix() for p in wavs] == ["1_no/00000.wav", "0_yes/00000.wav", "1_no/00001.wav"]
    clip, _ = read_audio(tmp_path / "w" / wavs[1])
    assert abs(float(np.argmax(np.abs(np.fft.rfft(clip)))) - 3000) <= 16000 / 255 * 4  # 16 rows: 4 bins each
    pngs = render.export_instances(x, y, ["yes", "no"], tmp_path / "p", "png")
    px = _png_pixels(tmp_path / "p" / pngs[0])[..., 0]
    assert px.shape == (16, 16)
    row = 15 - int(px[:, 5:10].astype(int).mean(axis=1).argmax())
    assert abs(frequency_of_row(row, 16) - 1000) < 600

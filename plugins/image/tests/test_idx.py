"""Tests of the IDX reader and writer (ddif_image.idx)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from ddif_image.idx import IDXError, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def _sample(dtype: type, shape: tuple[int, ...] = (3, 4, 5)) -> np.ndarray:
    rng = np.random.default_rng(0)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip(tmp_path: Path, dtype: type, compress: bool) -> None:
    arr = _sample(dtype)
    path = tmp_path / "data.idx"
    write_idx(path, arr, gzip=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)  # native byte order
    assert back.dtype.isnative
    assert back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)
    assert back.flags.writeable


def test_written_bytes_follow_the_format(tmp_path: Path) -> None:
    arr = np.array([[1, -2], [300, 4]], dtype=np.int16)
    path = tmp_path / "x"
    write_idx(path, arr)
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, 0x0B, 2])
    assert struct.unpack(">II", raw[4:12]) == (2, 2)
    assert struct.unpack(">4h", raw[12:]) == (1, -2, 300, 4)


def test_reads_hand_made_mnist_style_files(tmp_path: Path) -> None:
    images = bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 2, 3) + bytes(range(12))
    labels = bytes([0, 0, 8, 1]) + struct.pack(">I", 2) + bytes([7, 9])
    (tmp_path / "img").write_bytes(images)
    (tmp_path / "lab").write_bytes(labels)
    x = read_idx(tmp_path / "img")
    assert x.shape == (2, 2, 3) and x.dtype == np.uint8
    assert x[1, 1, 2] == 11
    np.testing.assert_array_equal(read_idx(tmp_path / "lab"), [7, 9])


@pytest.mark.parametrize("dtype", DTYPES)
def test_type_codes(tmp_path: Path, dtype: type) -> None:
    path = tmp_path / "t"
    write_idx(path, np.zeros(2, dtype=dtype))
    assert path.read_bytes()[2] == CODES[dtype]


def test_gzip_detected_by_content_not_name(tmp_path: Path) -> None:
    arr = np.arange(6, dtype=np.uint8).reshape(2, 3)
    plain_named_gz = tmp_path / "plain.gz"
    write_idx(plain_named_gz, arr, gzip=False)
    gz_without_suffix = tmp_path / "train-images-idx3-ubyte"
    write_idx(gz_without_suffix, arr, gzip=True)
    np.testing.assert_array_equal(read_idx(plain_named_gz), arr)
    np.testing.assert_array_equal(read_idx(gz_without_suffix), arr)


def test_big_endian_and_byte_swapped_inputs(tmp_path: Path) -> None:
    arr = np.array([1.5, -2.25, 1e10], dtype=">f8")
    write_idx(tmp_path / "f", arr)
    back = read_idx(tmp_path / "f")
    assert back.dtype == np.float64 and back.dtype.isnative
    np.testing.assert_array_equal(back, arr.astype(np.float64))


def test_zero_length_and_scalar(tmp_path: Path) -> None:
    write_idx(tmp_path / "empty", np.zeros((0, 28, 28), dtype=np.uint8))
    assert read_idx(tmp_path / "empty").shape == (0, 28, 28)
    write_idx(tmp_path / "scalar", np.array(5, dtype=np.int32))
    back = read_idx(tmp_path / "scalar")
    assert back.shape == () and int(back) == 5


def test_truncated_file_names_expected_and_found(tmp_path: Path) -> None:
    path = tmp_path / "short-images"
    raw = bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 4, 4) + bytes(20)
    path.write_bytes(raw)
    with pytest.raises(IDXError) as info:
        read_idx(path)
    msg = str(info.value)
    assert str(path) in msg and "32" in msg and "20" in msg and "truncated" in msg
    assert "\n" not in msg


def test_truncated_gzip_payload(tmp_path: Path) -> None:
    path = tmp_path / "short.gz"
    raw = bytes([0, 0, 0x0C, 1]) + struct.pack(">I", 5) + bytes(12)  # needs 20 bytes
    path.write_bytes(gzip.compress(raw))
    with pytest.raises(IDXError, match=r"expected 20 data bytes but found 12"):
        read_idx(path)


def test_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "h"
    path.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">I", 2))
    with pytest.raises(IDXError, match="header"):
        read_idx(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(IDXError, match="4-byte"):
        read_idx(path)


def test_trailing_garbage(tmp_path: Path) -> None:
    path = tmp_path / "t"
    path.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 3) + bytes(5))
    with pytest.raises(IDXError, match="2 trailing bytes") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_bad_magic(tmp_path: Path) -> None:
    path = tmp_path / "notidx.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(16))
    with pytest.raises(IDXError, match="magic") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_unknown_type_code(tmp_path: Path) -> None:
    path = tmp_path / "code"
    path.write_bytes(bytes([0, 0, 0x0A, 1]) + struct.pack(">I", 1) + bytes(1))
    with pytest.raises(IDXError, match="0x0A"):
        read_idx(path)


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "broken.gz"
    good = gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 1000) + bytes(1000))
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(IDXError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)
    path.write_bytes(b"\x1f\x8b" + b"garbage-garbage-garbage")
    with pytest.raises(IDXError, match="gzip"):
        read_idx(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(IDXError, match="nope"):
        read_idx(missing)
    with pytest.raises(IDXError, match="cannot read"):
        read_idx(tmp_path)
    assert issubclass(IDXError, ValueError)


def test_never_uses_pickle() -> None:
    import ddif_image.idx as module

    assert "pickle" not in Path(module.__file__).read_text().replace("No pickle", "")


def test_write_rejects_unsupported_dtype(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="uint16"):
        write_idx(tmp_path / "u16", np.zeros(3, dtype=np.uint16))
    with pytest.raises(ValueError):
        write_idx(tmp_path / "b", np.zeros(3, dtype=bool))

"""The core disk cache: memory-mapped arrays built once, atomically, keyed by files and options."""

import time

import numpy as np
import pytest

from ddif_core.cache import cached_arrays, default_cache_dir, generate_into_cache, source_key
from ddif_core.config import StrictModel


def _build(calls):
    def build(writer):
        calls.append(1)
        writer.array("x", (3, 2), np.uint8)[:] = np.arange(6).reshape(3, 2)
        writer.array("empty", (0, 2), np.float16)
    return build


def test_cached_arrays_build_once_and_read_memory_maps(tmp_path):
    calls = []
    a = cached_arrays("kind", "k1", _build(calls), cache_dir=tmp_path)
    b = cached_arrays("kind", "k1", _build(calls), cache_dir=tmp_path)
    assert calls == [1] and sorted(a) == ["empty", "x"]
    assert isinstance(b["x"], np.memmap) and not b["x"].flags.writeable and b["x"].tolist() == [[0, 1], [2, 3], [4, 5]]
    assert b["empty"].shape == (0, 2) and b["empty"].dtype == np.float16
    assert sorted(p.name for p in (tmp_path / "kind").iterdir()) == ["k1"]  # no temporary folder left


def test_failing_build_leaves_nothing_and_disabled_cache_keeps_nothing(tmp_path):
    def broken(writer):
        writer.array("x", (4,), np.float32)[:] = 1
        raise RuntimeError("bad file")

    with pytest.raises(RuntimeError, match="bad file"):
        cached_arrays("kind", "k2", broken, cache_dir=tmp_path)
    assert not any((tmp_path / "kind").iterdir())
    calls = []
    arrays = cached_arrays("kind", "k3", _build(calls), cache_dir=tmp_path, enabled=False)
    assert arrays["x"][2, 1] == 5 and not (tmp_path / "kind" / "k3").exists()
    assert not any((tmp_path / "tmp").iterdir())  # removed at once; the maps keep the data


def test_source_key_follows_files_and_options(tmp_path, monkeypatch):
    f = tmp_path / "a.bin"
    f.write_bytes(b"12")
    k = source_key([f], {"size": 32})
    assert k == source_key([f], {"size": 32}) and k != source_key([f], {"size": 64})
    time.sleep(0.01)
    f.write_bytes(b"123")
    assert source_key([f], {"size": 32}) != k
    monkeypatch.setenv("DDIF_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"


class _Opts(StrictModel):
    seed: int = 0


class _Gen:
    name, modality, Options, made = "toy-gen", "toy", _Opts, []

    def make(self, out_dir, options, progress=None):
        _Gen.made.append(options.seed)
        (out_dir / "data.txt").write_text(str(options.seed))


def test_generate_into_cache_runs_once_per_options(tmp_path):
    a = generate_into_cache(_Gen, {"seed": 1}, cache_dir=tmp_path)
    assert generate_into_cache(_Gen, _Opts(seed=1), cache_dir=tmp_path) == a
    b = generate_into_cache(_Gen, {"seed": 2}, cache_dir=tmp_path)
    assert _Gen.made == [1, 2] and a != b and (b / "data.txt").read_text() == "2"
    assert a.parent == tmp_path / "data" and a.name.startswith("toy-gen-")


def test_a_new_generator_version_is_generated_anew(tmp_path):
    class _GenV2(_Gen):
        version = 2

    _Gen.made.clear()
    a = generate_into_cache(_Gen, {"seed": 5}, cache_dir=tmp_path)
    b = generate_into_cache(_GenV2, {"seed": 5}, cache_dir=tmp_path)
    assert a != b and _Gen.made == [5, 5] and a.name.startswith("toy-gen-") and b.name.startswith("toy-gen-")

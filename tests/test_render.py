"""The render hook: the engine's previews, ``ddif decode --format`` and the core's npy export."""

import csv
import types

import numpy as np
import pytest
import torch

from ddif_core import testing
from ddif_core.cli import main
from ddif_core.engine import run
from ddif_core.errors import ConfigError, PluginError
from ddif_core.hookspecs import hookimpl
from ddif_core.plugins import Registry, load_plugins
from ddif_core.render import write_decoded, write_previews
from ddif_core.runs import decode_run

from test_engine import config


class Silent(testing.ToyModality):
    """A modality that renders nothing at all (the base class's render)."""

    name = "silent"
    export_formats = ()

    def render(self, x, y, out_dir, purpose, fmt=None):
        return super(testing.ToyModality, self).render(x, y, out_dir, purpose, fmt)


class Liar(testing.ToyModality):
    name = "liar"

    def render(self, x, y, out_dir, purpose, fmt=None):
        return ["../outside.png"] if purpose == "preview" else []


def _plugins():
    mod = types.ModuleType("silent_plugin")
    mod.register_modalities = hookimpl(lambda register: (register(Silent), register(Liar)))
    return load_plugins(entry_points=[], extra=[(testing, "ddif-testing"), (mod, "ddif-silent")])


def _registry():
    return Registry(_plugins())


@pytest.fixture(scope="module")
def silent_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("silent")
    reg = _registry()
    return run(config(tmp, modality="silent"), quiet=True, registry=reg).run_dir, reg


def test_a_modality_that_renders_nothing_gets_npy_exports(silent_run, tmp_path):
    run_dir, reg = silent_run
    assert not list(run_dir.glob("preview*")) and not list(run_dir.glob(".*"))  # no picture, no leftovers
    out = decode_run(run_dir, tmp_path / "dec", registry=reg)
    assert out["format"] == "npy" and out["files"] == 3
    with open(tmp_path / "dec" / "labels.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["path", "label", "class_name"] and [r[1:] for r in rows[1:]] == [
        ["0", "left"], ["1", "centre"], ["2", "right"]]
    arrays = [np.load(tmp_path / "dec" / r[0], allow_pickle=False) for r in rows[1:]]
    assert rows[1][0] == "000_left/00000.npy"
    assert all(a.shape == (1, 8, 8) and a.dtype == np.float32 for a in arrays)
    assert sorted(p.name for p in (tmp_path / "dec").iterdir()) == ["000_left", "001_centre", "002_right", "labels.csv"]


def test_decode_format_choices(silent_run, tmp_path):
    run_dir, reg = silent_run
    with pytest.raises(ConfigError, match=r"--format png is not an export format of modality 'silent'; use one of npy"):
        decode_run(run_dir, tmp_path / "x", registry=reg, fmt="png")
    assert not (tmp_path / "x").exists()
    out = decode_run(run_dir, tmp_path / "big", resolution=12, registry=reg, fmt="npy")
    assert out["shape"] == [1, 12, 12]
    assert np.load(tmp_path / "big" / "002_right" / "00000.npy").shape == (1, 12, 12)


def test_toy_exports_its_format_and_npy_on_request(tmp_path):
    mod = testing.ToyModality()
    x, y = torch.randn(4, 1, 8, 8), torch.tensor([0, 1, 2, 2])
    files, fmt = write_decoded(mod, x, y, tmp_path / "txt", None)
    assert fmt == "txt" and [f.as_posix() for f in files] == ["0/0000.txt", "1/0001.txt", "2/0002.txt", "2/0003.txt"]
    assert (tmp_path / "txt" / "preview.pgm").read_text().startswith("P2\n16 24\n")  # 3 class rows, up to 2 instances of 8 px
    files, fmt = write_decoded(mod, x, y, tmp_path / "npy", "npy", compare=[x, x])
    assert fmt == "npy" and np.array_equal(np.load(tmp_path / "npy" / files[3]), x[3].numpy())
    assert (tmp_path / "npy" / "compare.pgm").is_file() and not (tmp_path / "npy" / "preview.pgm").exists()


def test_previews_go_to_the_run_dir_and_previews_folder(tmp_path):
    mod = testing.ToyModality()
    written = write_previews(mod, torch.randn(3, 1, 8, 8), torch.tensor([0, 2, 2]), tmp_path)
    assert [p.as_posix() for p in written] == ["preview.pgm", "previews/0_left.pgm", "previews/2_right.pgm"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.pgm", "previews"]


def test_render_returning_a_path_it_did_not_write_is_an_error(tmp_path):
    mod = Liar()
    with pytest.raises(PluginError, match=r"modality 'liar' render\('preview'\) returned '../outside.png'"):
        write_previews(mod, torch.randn(3, 1, 8, 8), torch.tensor([0, 1, 2]), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cli_decode_format(silent_run, tmp_path, capsys, monkeypatch):
    from ddif_core import plugins

    run_dir, _ = silent_run
    ps = _plugins()
    monkeypatch.setattr(plugins, "_default_plugins", lambda: ps)
    plugins.get_registry.cache_clear()
    rc = main(["decode", str(run_dir), "--out", str(tmp_path / "o"), "--format", "npy"])
    out = capsys.readouterr()
    assert rc == 0 and out.out.strip() == f"wrote 3 npy files of shape 1x8x8 and labels.csv to {tmp_path / 'o'}"
    rc = main(["decode", str(run_dir), "--out", str(tmp_path / "p"), "--format", "wav"])
    err = capsys.readouterr().err.strip()
    plugins.get_registry.cache_clear()
    assert rc == 1 and err == "error: --format wav is not an export format of modality 'silent'; use one of npy"

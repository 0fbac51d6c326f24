"""``ddif data list`` / ``ddif data make`` with the toy generator of ddif_core.testing."""

import json

import pytest

from ddif_core import plugins, testing
from ddif_core.cli import main
from ddif_core.generators import DataGenerator, make_dataset


@pytest.fixture
def toy_installed(monkeypatch):
    """The CLI's registry holds the built-ins plus ddif_core.testing (toy modality and toy-blobs generator)."""
    ps = plugins.load_plugins(entry_points=[], extra=[(testing, "ddif-testing")])
    monkeypatch.setattr(plugins, "_default_plugins", lambda: ps)
    plugins.get_registry.cache_clear()
    yield
    plugins.get_registry.cache_clear()


def cli(capsys, *args):
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_data_list(capsys, toy_installed):
    rc, out, _ = cli(capsys, "data", "list", "--json")
    data = json.loads(out)
    assert rc == 0 and [g["name"] for g in data] == ["toy-blobs"]
    assert data[0]["modality"] == "toy" and data[0]["distribution"] == "ddif-testing"
    assert data[0]["options"]["per_class"]["default"] == 4 and "seed" in data[0]["options"]
    rc, out, _ = cli(capsys, "data", "list")
    assert rc == 0 and out.startswith("toy-blobs") and "--set per_class=" in out
    rc, out, _ = cli(capsys, "plugins", "--json")
    assert [g["name"] for g in json.loads(out)["generators"]] == ["toy-blobs"]


def test_data_make_is_deterministic_and_complete(capsys, toy_installed, tmp_path):
    rc, out, err = cli(capsys, "data", "make", "toy-blobs", "--out", str(tmp_path / "a"), "--seed", "3",
                       "--per-class", "2", "--set", "size=5", "-q")
    assert rc == 0, err
    assert "to " + str(tmp_path / "a") in out
    files = sorted(p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*.pgm"))
    assert len(files) == 12 and files[0] == "test/centre/000.pgm"
    assert (tmp_path / "a" / files[0]).read_text().startswith("P2\n5 5\n255\n")
    (tmp_path / "b").mkdir()  # an empty --out is fine
    assert cli(capsys, "data", "make", "toy-blobs", "--out", str(tmp_path / "b"), "--seed", "3",
               "--per-class", "2", "--set", "size=5", "-q")[0] == 0
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no temporary folder left


def test_data_make_errors_are_one_sentence(capsys, toy_installed, tmp_path):
    cases = [
        (("data", "make", "toy-blobs", "--out", str(tmp_path / "x"), "--set", "colour=red"),
         "error: generator 'toy-blobs' has no option 'colour' (options: seed, per_class, size)"),
        (("data", "make", "toy-blobs", "--out", str(tmp_path / "x"), "--per-class", "0"),
         "error: invalid value 0 for option 'per_class' of generator 'toy-blobs': input should be greater than or "
         "equal to 1"),
        (("data", "make", "toy-blobs", "--out", str(tmp_path / "x"), "--set", "seed"),
         "error: --set expects key=value with an option of generator 'toy-blobs', got 'seed'"),
        (("data", "make", "nope", "--out", str(tmp_path / "x")),
         "error: unknown generator 'nope' (available: toy-blobs)"),
    ]
    for args, expected in cases:
        rc, _, err = cli(capsys, *args)
        assert rc == 1 and err.strip() == expected
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    rc, _, err = cli(capsys, "data", "make", "toy-blobs", "--out", str(tmp_path / "full"))
    assert rc == 1 and err.strip() == (f"error: --out {tmp_path / 'full'} already exists and is not empty; "
                                       f"choose a new folder")
    assert not (tmp_path / "x").exists() and (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_per_class_needs_a_per_class_option(tmp_path, capsys, monkeypatch):
    class Plain(DataGenerator):
        name, modality = "plain", "toy"

        def make(self, out_dir, options, progress=None):
            (out_dir / "f.txt").write_text(str(options.seed))

    reg = plugins.Registry(plugins.load_plugins(entry_points=[]))
    reg.items["generators"]["plain"] = plugins.Entry("generators", "plain", Plain, "ddif-x", "1")
    monkeypatch.setattr(plugins, "get_registry", lambda: reg)
    rc, _, err = cli(capsys, "data", "make", "plain", "--out", str(tmp_path / "p"), "--per-class", "3")
    assert rc == 1 and err.strip() == "error: generator 'plain' has no per_class option, so --per-class does not apply to it"
    assert cli(capsys, "data", "make", "plain", "--out", str(tmp_path / "p"), "--seed", "7", "-q")[0] == 0
    assert (tmp_path / "p" / "f.txt").read_text() == "7"


def test_a_failing_generator_leaves_nothing(tmp_path):
    class Broken(DataGenerator):
        name, modality = "broken", "toy"

        def make(self, out_dir, options, progress=None):
            (out_dir / "half.txt").write_text("half")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        make_dataset(Broken, Broken.Options(), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_plugin_cannot_replace_the_data_command(capsys, monkeypatch):
    import click

    from ddif_core import cli as cli_module
    from ddif_core.hookspecs import hookimpl

    def register_commands(cli):
        @cli.group("data")
        def mine() -> None:
            """A plugin's own data group."""

    plugin = type(testing)("grabby")
    plugin.register_commands = hookimpl(register_commands)
    ps = plugins.load_plugins(entry_points=[], extra=[(plugin, "ddif-grabby")])
    monkeypatch.setattr(plugins, "_default_plugins", lambda: ps)
    original = cli_module.cli.commands["data"]
    cli_module._add_plugin_commands()
    assert cli_module.cli.commands["data"] is original and isinstance(original, click.Group)
    assert any("ddif-grabby tried to replace the existing command(s) data" in e.message for e in ps.errors)

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from ddif_core import testing
from ddif_core.errors import PluginError
from ddif_core.hookspecs import hookimpl
from ddif_core.plugins import Registry, load_plugins


class FakeDist:
    def __init__(self, name: str) -> None:
        self.name, self.version = name, "9.9"


class FakeEntryPoint:
    def __init__(self, name: str, module: types.ModuleType | Exception, dist: str) -> None:
        self.name, self.dist, self._module = name, FakeDist(dist), module

    def load(self):
        if isinstance(self._module, Exception):
            raise self._module
        return self._module


def plugin(name: str, **hooks) -> types.ModuleType:
    mod = types.ModuleType(name)
    for hook_name, fn in hooks.items():
        setattr(mod, hook_name, hookimpl(fn))
    return mod


def test_builtins_and_toy_registered(registry):
    assert registry.names("matchers") == ["dc", "dm", "tm"]
    assert registry.names("parameterizations") == ["ddif", "vanilla"]
    assert "mlp" in registry.names("networks")
    assert registry.entry("modalities", "toy").distribution == "ddif-testing"
    data = registry.as_json()
    assert set(data) == {"modalities", "matchers", "networks", "parameterizations", "generators", "errors", "warnings"}
    assert data["matchers"][1]["name"] == "dm" and data["matchers"][1]["distribution"] == "ddif-core"


def test_unknown_name_lists_available_and_provider():
    reg = Registry(load_plugins(entry_points=[]))
    with pytest.raises(PluginError, match=r"unknown modality 'image' \(available: none installed\); install it with: pip install ddif-image"):
        reg.get("modalities", "image")
    with pytest.raises(PluginError, match=r"unknown matcher 'xx' \(available: dc, dm, tm\)"):
        reg.get("matchers", "xx")


def test_broken_plugin_is_recorded_not_raised():
    eps = [FakeEntryPoint("video", ImportError("no module named av"), "ddif-video")]
    reg = Registry(load_plugins(entry_points=eps))
    assert reg.names("matchers") == ["dc", "dm", "tm"]
    assert len(reg.errors) == 1 and "ddif-video" in reg.errors[0].message and "av" in reg.errors[0].message
    with pytest.raises(PluginError, match="ddif-video is installed but failed to load"):
        reg.get("modalities", "video")


def test_misspelt_hook_fails_loudly():
    bad = plugin("badhooks", register_modalitys=lambda register: None)
    reg = Registry(load_plugins(entry_points=[FakeEntryPoint("bad", bad, "ddif-bad")]))
    assert len(reg.errors) == 1
    msg = reg.errors[0].message
    assert "unknown hook" in msg and "register_modalitys" in msg and "register_modalities" in msg


def test_hook_that_raises_is_recorded():
    def boom(register):
        raise RuntimeError("kaput")

    reg = Registry(load_plugins(entry_points=[FakeEntryPoint("b", plugin("b", register_matchers=boom), "ddif-b")]))
    assert any("kaput" in e.message and "ddif-b" in e.message for e in reg.errors)
    assert reg.names("matchers") == ["dc", "dm", "tm"]


def test_duplicate_name_names_both_distributions():
    def again(register):
        register(testing.ToyModality)

    eps = [FakeEntryPoint("other", plugin("other", register_modalities=again), "ddif-other")]
    reg = Registry(load_plugins(entry_points=eps, extra=[(testing, "ddif-testing")]))
    with pytest.raises(PluginError, match="'toy' is registered by both ddif-other and ddif-testing"):
        reg.get("modalities", "toy")
    assert any("both" in e.message for e in reg.errors)


def test_item_without_valid_name_is_an_error():
    from ddif_core.matchers.dm import DistributionMatching

    class Nameless(DistributionMatching):
        name = "Bad Name"

    reg = Registry(load_plugins(entry_points=[FakeEntryPoint("n", plugin("n", register_matchers=lambda register: register(Nameless)), "ddif-n")]))
    assert any("lowercase 'name'" in e.message for e in reg.errors)


def test_installed_broken_plugin_shows_in_ddif_plugins(tmp_path: Path):
    """A real distribution on sys.path whose module fails to import: `ddif plugins --json` still works."""
    site = tmp_path / "site"
    dist = site / "ddif_broken-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ddif-broken\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[ddif]\nbroken = ddif_broken_plugin\n")
    (site / "ddif_broken_plugin.py").write_text("raise ImportError('needs libfoo')\n")
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "ddif_core.cli", "plugins", "--json"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert any(e["distribution"] == "ddif-broken" and "needs libfoo" in e["message"] for e in data["errors"])
    assert [m["name"] for m in data["matchers"]] == ["dc", "dm", "tm"]
    other = subprocess.run([sys.executable, "-m", "ddif_core.cli", "--help"], capture_output=True, text=True,
                           env=env, timeout=120)
    assert other.returncode == 0 and "Commands:" in other.stdout
    assert "warning: plugin 'broken' from ddif-broken failed to import" in other.stderr


def test_register_checks_what_it_receives_and_names_the_distribution():
    from ddif_core import DataGenerator, NetworkDef

    class NotAModality:
        name = "fake"

    class Gen(DataGenerator):
        name, modality = "gen", "toy"

        def make(self, out_dir, options, progress=None):
            pass

    def modalities(register):
        register(NotAModality)
        register(testing.ToyModality)  # the plugin's other items still register

    hooks = {
        "register_modalities": modalities,
        "register_networks": lambda register: register(lambda shape, classes, options: None),
        "register_matchers": lambda register: register(testing.ToyModality),
        "register_parameterizations": lambda register: register(NetworkDef("x", print)),
        "register_generators": lambda register: register(Gen()),
    }
    reg = Registry(load_plugins(entry_points=[FakeEntryPoint("w", plugin("w", **hooks), "ddif-wrong")]))
    messages = sorted(e.message for e in reg.errors)
    assert len(messages) == 5 and all(m.startswith("register_") and " of ddif-wrong registered " in m for m in messages)
    assert any("class NotAModality, but it takes a subclass of ddif_core.Modality" in m for m in messages)
    assert any("register_networks of ddif-wrong registered function" in m and "takes a ddif_core.NetworkDef(...)" in m
               for m in messages)
    assert any("class ToyModality, but it takes a subclass of ddif_core.Matcher" in m for m in messages)
    assert any("takes a subclass of ddif_core.Parameterization" in m for m in messages)
    assert any("registered Gen" in m and "takes a subclass of ddif_core.DataGenerator" in m for m in messages)
    assert reg.names("modalities") == ["toy"] and reg.names("generators") == []


def test_second_registration_of_a_name_by_one_distribution_is_an_error():
    def twice(register):
        register(testing.ToyModality)
        register(testing.ToyModality)

    reg = Registry(load_plugins(entry_points=[FakeEntryPoint("t", plugin("t", register_modalities=twice), "ddif-t")]))
    with pytest.raises(PluginError, match="modality 'toy' is registered twice by ddif-t; a name can be registered once"):
        reg.get("modalities", "toy")


def test_entry_point_naming_a_missing_module_says_what_the_value_must_be():
    from importlib.metadata import EntryPoint

    ep = EntryPoint(name="mine", value="ddif_mine_does_not_exist.plugin", group="ddif")
    ps = load_plugins(entry_points=[ep])
    assert len(ps.errors) == 1
    msg = ps.errors[0].message
    assert "names the module 'ddif_mine_does_not_exist.plugin', which does not exist" in msg
    assert "such as ddif_mine.plugin" in msg


def test_a_hook_module_importing_numpy_at_load_time_is_warned_about(tmp_path: Path):
    site = tmp_path / "site"
    dist = site / "ddif_heavy-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ddif-heavy\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[ddif]\nheavy = ddif_heavy_plugin\n")
    (site / "ddif_heavy_plugin.py").write_text("import numpy  # heavy, at load time\n")
    proc = subprocess.run([sys.executable, "-m", "ddif_core.cli", "plugins", "--json"], capture_output=True, text=True,
                          env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    warnings = json.loads(proc.stdout)["warnings"]
    assert len(warnings) == 1, warnings  # the first-party hook modules import nothing heavy
    assert "ddif_heavy_plugin of ddif-heavy imports numpy" in warnings[0]

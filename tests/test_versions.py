"""One version for every first-party distribution, and each plugin pins ddif-core to it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ddif_core.version import __version__

ROOT = Path(__file__).resolve().parents[1]


def test_every_first_party_pyproject_has_the_core_version_and_pins_it():
    files = [ROOT / "pyproject.toml", *sorted(ROOT.glob("plugins/*/pyproject.toml")),
             ROOT / "docs" / "plugins" / "tutorial" / "ddif-signal" / "pyproject.toml"]
    assert len(files) >= 3
    for path in files:
        project = tomllib.loads(path.read_text())["project"]
        assert project["version"] == __version__, f"{path} has version {project['version']}, ddif-core {__version__}"
        if project["name"] != "ddif-core":
            pins = [d for d in project["dependencies"] if d.replace(" ", "").startswith("ddif-core")]
            assert pins == [f"ddif-core=={__version__}"], f"{path} should depend on ddif-core=={__version__}: {pins}"

"""``ddif plugin new``: the written plugin installs, passes its own tests, is listed and runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ddif_core.cli import main

BIN = Path(sys.executable).parent


def _run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_new_plugin_installs_passes_its_tests_and_runs(tmp_path):
    assert main(["plugin", "new", "scaffoldtest", "--dims", "2", "--out", str(tmp_path / "plug")]) == 0
    env = {**os.environ, "DDIF_CACHE_DIR": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check", "-e",
           str(tmp_path / "plug")]
    installed = _run(*pip, cwd=tmp_path, env=env)
    assert installed.returncode == 0, installed.stderr[-2000:]
    try:
        tests = _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "plug" / "tests"),
                     cwd=tmp_path, env=env)
        assert tests.returncode == 0, tests.stdout[-3000:]
        listed = json.loads(_run(str(BIN / "ddif"), "plugins", "--json", cwd=tmp_path, env=env).stdout)
        entry = next(m for m in listed["modalities"] if m["name"] == "scaffoldtest")
        assert entry["distribution"] == "ddif-scaffoldtest" and not listed["errors"]
        assert any(g["name"] == "scaffoldtest-blobs" for g in listed["generators"])
        run = _run(str(BIN / "ddif"), "run", "--modality", "scaffoldtest", "--preset", "tiny", "--set",
                   "distill.iterations=1", "--out", str(tmp_path / "run"), "--quiet", "--json", cwd=tmp_path, env=env)
        assert run.returncode == 0, run.stderr[-2000:]
        assert json.loads(run.stdout)["num_decoded"] == 9  # 3 classes x 3 fields of 37 parameters in 144 values
    finally:
        _run(sys.executable, "-m", "pip", "uninstall", "-y", "--quiet", "ddif-scaffoldtest", cwd=tmp_path, env=env)


@pytest.mark.parametrize("args, message", [
    (["Not-An-Identifier"], "must be a lowercase Python identifier"),
    (["class"], "must be a lowercase Python identifier"),
    (["core"], "already installed"),
    (["fresh", "--dims", "4"], "--dims"),
])
def test_refusals(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["plugin", "new", *args]) != 0
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing written


def test_non_empty_out_is_refused(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["plugin", "new", "fresh", "--out", str(tmp_path)]) == 1
    assert "is not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]

"""Every first-party distribution builds a wheel that holds its own package only and declares its plugin."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: (source folder, distribution, the one top-level package, entry point in group "ddif" or None)
DISTRIBUTIONS = [
    (ROOT, "ddif_core", "ddif_core", None),
    (ROOT / "plugins" / "image", "ddif_image", "ddif_image", "image = ddif_image.plugin"),
    (ROOT / "plugins" / "video", "ddif_video", "ddif_video", "video = ddif_video.plugin"),
    (ROOT / "plugins" / "audio", "ddif_audio", "ddif_audio", "audio = ddif_audio.plugin"),
    (ROOT / "plugins" / "voxel", "ddif_voxel", "ddif_voxel", "voxel = ddif_voxel.plugin"),
    (ROOT / "docs" / "plugins" / "tutorial" / "ddif-signal", "ddif_signal", "ddif_signal",
     "signal = ddif_signal.plugin"),
]


def _copy_source(src: Path, dest: Path, package: str) -> Path:
    """The files a build reads (pyproject, README, the package), so building writes nothing into the checkout."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (src / name).is_file():
            shutil.copy2(src / name, dest / name)
    shutil.copytree(src / package, dest / package, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return dest


@pytest.mark.parametrize("src, dist, package, entry_point", DISTRIBUTIONS, ids=[d[1] for d in DISTRIBUTIONS])
def test_wheel_holds_only_its_package(tmp_path, src, dist, package, entry_point):
    source = _copy_source(src, tmp_path / "src", package)
    out = tmp_path / "wheels"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                           "--disable-pip-version-check", "-w", str(out), str(source)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheels = list(out.glob(f"{dist}-*.whl"))
    assert len(wheels) == 1, sorted(p.name for p in out.iterdir())
    names = zipfile.ZipFile(wheels[0]).namelist()
    top = {n.split("/")[0] for n in names}
    info = next(t for t in top if t.endswith(".dist-info"))
    assert top == {package, info}, f"{wheels[0].name} holds {sorted(top)}"
    assert f"{package}/__init__.py" in names
    assert not [n for n in names if "/tests/" in n or n.endswith(".pyc")], "tests or bytecode shipped"
    entry_points = zipfile.ZipFile(wheels[0]).read(f"{info}/entry_points.txt").decode() if (
        f"{info}/entry_points.txt" in names) else ""
    if entry_point is None:
        assert "[ddif]" not in entry_points and "ddif = ddif_core.cli:main" in entry_points
    else:
        assert f"[ddif]\n{entry_point}" in entry_points

"""``make isolation``: every first-party plugin works in an environment holding only ddif-core and itself.

For each of ddif-image, ddif-audio, ddif-video, ddif-voxel and the tutorial's ddif-signal, one virtual
environment (reused: install, check, uninstall) that sees the third-party packages of the project's venv
(through a folder of links that leaves out every ``ddif*`` distribution, so no plugin leaks in) and has
ddif-core plus that plugin installed from the working tree:

- ``ddif plugins --json`` lists exactly the plugin's modalities and no load error;
- a one-iteration ``ddif run`` of the modality on data written here (or generated offline by the plugin);
- ``ddif run --modality <another>`` answers with the ``pip install ddif-<another>`` hint.

Run from the repository root with the project's venv python: ``.venv/bin/python tools/check_isolation.py``.
Nothing is downloaded (no build isolation: setuptools comes from the project's venv).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--set", "distill.iterations=1", "--set", "distill.checkpoint_every=1", "--set", "eval.runs=1",
        "--set", "eval.epochs=1", "--quiet", "--json"]


def write_idx(root: Path) -> None:
    """A tiny MNIST in its four IDX files (10 classes, 3 train / 1 test image each)."""
    rng = np.random.default_rng(0)
    for split, n in (("train", 30), ("t10k", 10)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        (root / f"{split}-images-idx3-ubyte").write_bytes(
            bytes([0, 0, 8, 3]) + np.array([n, 28, 28], ">u4").tobytes() + images.tobytes())
        (root / f"{split}-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1]) + np.array([n], ">u4").tobytes()
                                                          + labels.tobytes())


def write_wavs(root: Path) -> None:
    """Mini Speech Commands layout: <root>/<word>/*.wav, 16 kHz 16-bit tones, 9 files per word."""
    words = ("yes", "no", "go", "stop", "left", "right", "up", "down")
    t = np.arange(16000) / 16000
    for w, word in enumerate(words):
        (root / word).mkdir(parents=True)
        for i in range(9):
            tone = 0.3 * np.sin(2 * np.pi * (300 + 150 * w + 10 * i) * t)
            with wave.open(str(root / word / f"{i:08x}_nohash_0.wav"), "wb") as f:
                f.setnchannels(1)
                f.setsampwidth(2)
                f.setframerate(16000)
                f.writeframes((tone * 32767).astype("<i2").tobytes())


#: plugin folder -> (modality, extra run arguments, data writer or None for the plugin's offline default)
PLUGINS = {
    "plugins/image": ("image", ["--dataset", "mnist", "--set", "param.warmup_steps=10", "--set",
                                "matcher.batch_real=2"], write_idx),
    "plugins/audio": ("audio", ["--preset", "tiny", "--dataset", "mini-speech-commands"], write_wavs),
    "plugins/video": ("video", ["--preset", "tiny"], None),
    "plugins/voxel": ("voxel", ["--preset", "tiny"], None),
    "docs/plugins/tutorial/ddif-signal": ("signal", ["--preset", "tiny"], None),
}


def deps_folder(work: Path) -> Path:
    """Links to everything in the project's venv site-packages except ddif distributions and editable hooks."""
    site = Path(sysconfig.get_paths()["purelib"])
    deps = work / "deps"
    deps.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("ddif", "__editable__", "zz_shared")) or name.endswith(".pth"):
            continue
        (deps / entry.name).symlink_to(entry)
    return deps


def sh(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), env=env, cwd=cwd, capture_output=True, text=True, timeout=900)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="ddif-isolation-"))
    deps = deps_folder(work)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "ddif_isolation_deps.pth").write_text(f"{deps}\n")
    env = {**os.environ, "DDIF_CACHE_DIR": str(work / "cache"), "OMP_NUM_THREADS": "1", "PYTHONNOUSERSITE": "1"}
    pip = [str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
           "--disable-pip-version-check"]
    failures: list[str] = []
    done = sh(*pip, "-e", str(ROOT), env=env, cwd=work)
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        return 1
    others = {m for m, _, _ in PLUGINS.values()}
    for folder, (modality, run_args, writer) in PLUGINS.items():
        dist = f"ddif-{modality}"
        step = sh(*pip, "-e", str(ROOT / folder), env=env, cwd=work)
        if step.returncode:
            failures.append(f"{dist}: pip install failed: {step.stderr.strip()[-500:]}")
            continue
        try:
            listed = json.loads(sh(str(venv / "bin" / "ddif"), "plugins", "--json", env=env, cwd=work).stdout)
            names = [m["name"] for m in listed["modalities"]]
            if names != [modality] or listed["errors"]:
                failures.append(f"{dist}: ddif plugins lists {names} with errors {listed['errors']}")
            extra: list[str] = []
            if writer is not None:
                data = work / f"data-{modality}"
                data.mkdir()
                writer(data)
                extra = ["--data-root", str(data)]
            ran = sh(str(venv / "bin" / "ddif"), "run", "--modality", modality, *run_args, *extra,
                     "--out", str(work / f"run-{modality}"), *FAST, env=env, cwd=work)
            if ran.returncode:
                failures.append(f"{dist}: ddif run failed: {ran.stderr.strip()[-800:]}")
            else:
                acc = json.loads(ran.stdout)["accuracy_mean"]
                print(f"{dist}: alone with ddif-core: lists [{modality}], one-iteration run ok (accuracy {acc:.1f} %)")
            other = sorted(others - {modality} - {"signal"})[0]
            hint = sh(str(venv / "bin" / "ddif"), "run", "--modality", other, "--out", str(work / "x"),
                      env=env, cwd=work)
            if hint.returncode == 0 or f"pip install ddif-{other}" not in hint.stderr:
                failures.append(f"{dist}: --modality {other} did not answer with the install hint: {hint.stderr}")
        finally:
            sh(str(py), "-m", "pip", "uninstall", "--yes", "--quiet", dist, env=env, cwd=work)
    for f in failures:
        print(f"FAILED {f}", file=sys.stderr)
    print(f"isolation: {len(PLUGINS) - len({f.split(':')[0] for f in failures})} passed, "
          f"{len({f.split(':')[0] for f in failures})} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

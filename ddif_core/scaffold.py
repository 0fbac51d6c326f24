"""``ddif plugin new NAME``: write a ready-to-install modality plugin that passes its own tests.

The plugin reads ``<root>/{train,test}/<class>/*.npy`` instances of shape (1, N_1..N_n) (a layout the
author replaces with the real one), ships a generator that writes that layout, a network under a
plugin-prefixed name, a ``tiny`` preset and tests calling the core's contract checks. It imports only
``ddif_core``'s public names. This module imports no torch (it only writes text files).
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from ddif_core.errors import ConfigError
from ddif_core.version import __version__
from ddif_core.outdir import new_output_dir, require_new_dir

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Side of the generated instances per dimensionality (tiny: the tests and the tiny preset run in seconds).
SIDES = {1: 64, 2: 12, 3: 8}


def check_name(name: str, installed: set[str]) -> None:
    """A plugin name must be a lowercase identifier that no installed modality or distribution uses."""
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise ConfigError(
            f"plugin name {name!r} must be a lowercase Python identifier (letters, digits, '_'; starting with a "
            f"letter), e.g. 'ecg'; it becomes the modality name and the names ddif-<name> and ddif_<name>"
        )
    if name in installed:
        raise ConfigError(f"a modality or distribution named {name!r} is already installed; choose another name")


def render_plugin(name: str, out: Path, dims: int) -> list[Path]:
    """Write the plugin ``ddif-<name>`` into ``out`` (a new or empty folder); returns the files written.

    The files appear all at once: they are written to a temporary folder beside ``out`` and renamed.
    """
    if dims not in SIDES:
        raise ConfigError(f"--dims must be 1, 2 or 3, got {dims}")
    out = require_new_dir(Path(out))
    camel = "".join(part.capitalize() for part in name.split("_"))
    side = SIDES[dims]
    shape = ", ".join(["1", *([str(side)] * dims)])
    values = {"name": name, "Camel": camel, "dims": str(dims), "shape": shape, "side": str(side),
              "version": __version__}
    files = {_fill(path, values).replace("PKG", f"ddif_{name}"): _fill(text, values) for path, text in TEMPLATES.items()}
    with new_output_dir(out) as tmp:
        for rel, text in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_text(text, encoding="utf-8")
    return sorted(out / rel for rel in files)


def _fill(text: str, values: dict[str, str]) -> str:
    """Replace ``{{key}}`` markers (the templates are Python and TOML, full of single braces)."""
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


TEMPLATES: dict[str, str] = {
    "pyproject.toml": '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "ddif-{{name}}"
version = "0.1.0"
description = "{{Camel}} modality for ddif (written by ddif plugin new)"
requires-python = ">=3.11"
dependencies = ["ddif-core>={{version}}", "torch>=2.4", "numpy>=1.24"]

# The entry point: group "ddif", name = the plugin, value = the hook module (imports nothing heavy).
[project.entry-points.ddif]
{{name}} = "ddif_{{name}}.plugin"

[tool.setuptools.packages.find]
include = ["ddif_{{name}}*"]
''',
    "README.md": '''# ddif-{{name}}

A ddif modality plugin written by `ddif plugin new {{name}} --dims {{dims}}`.

```bash
pip install -e .
ddif plugins                                         # {{name}} (modality), {{name}}-blobs (generator)
python -m pytest tests                               # the contract checks of ddif-core
ddif run --modality {{name}} --preset tiny --out runs/{{name}}-tiny
```

Replace the layout in `ddif_{{name}}/reader.py` (`<root>/{train,test}/<class>/*.npy`, each (1, N_1..N_n)) with your
real on-disk format, and the generator in `ddif_{{name}}/generator.py` with one that writes it. See ddif's
`docs/plugins/` for the hooks, the contracts and a tutorial.
''',
    "PKG/__init__.py": '''"""ddif-{{name}}: a ddif modality plugin."""
''',
    "PKG/plugin.py": '''"""Hook module of ddif-{{name}} (entry point ``{{name}}`` in group ``ddif``); imports nothing heavy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ddif_core import hookimpl


@hookimpl
def register_modalities(register: Callable[[type], None]) -> None:
    from ddif_{{name}}.modality import {{Camel}}Modality

    register({{Camel}}Modality)


@hookimpl
def register_generators(register: Callable[[type], None]) -> None:
    from ddif_{{name}}.generator import {{Camel}}Blobs

    register({{Camel}}Blobs)


@hookimpl
def register_networks(register: Callable[[Any], None]) -> None:
    from ddif_{{name}}.networks import NETWORK

    register(NETWORK)
''',
    "PKG/reader.py": '''"""The on-disk layout: ``<root>/{train,test}/<class>/*.npy``, one instance (1, N_1..N_n) per file.

Classes are the sorted sub-folders of ``train/``. Replace this module with your real format; every
problem is a ``DataError`` naming the file, so the CLI prints one sentence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ddif_core import DataError


def classes(root: Path) -> list[str]:
    """The class folder names under ``root/train`` (sorted)."""
    train = Path(root) / "train"
    names = sorted(p.name for p in train.iterdir() if p.is_dir()) if train.is_dir() else []
    if not names:
        raise DataError(f"{train} has no class folders (expected <root>/train/<class>/*.npy)")
    return names


def read_split(root: Path, split: str, class_names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """All instances of ``split``: x (N, 1, N_1..N_n) float32 and y (N,) int64."""
    xs, ys = [], []
    for label, name in enumerate(class_names):
        folder = Path(root) / split / name
        if not folder.is_dir():
            raise DataError(f"{folder} is missing (every class of train/ needs a folder in {split}/)")
        for path in sorted(folder.glob("*.npy")):
            try:
                x = np.load(path, allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise DataError(f"{path} is not a readable .npy file ({exc})") from None
            if x.ndim != {{dims}} + 1 or x.shape[0] != 1 or not np.isfinite(x).all():
                raise DataError(f"{path} holds an array of shape {x.shape}; expected finite ({{shape}})-like values")
            xs.append(x.astype(np.float32))
            ys.append(label)
    if not xs:
        raise DataError(f"{Path(root) / split} holds no .npy files")
    shapes = {x.shape for x in xs}
    if len(shapes) > 1:
        raise DataError(f"{Path(root) / split} mixes instance shapes {sorted(shapes)}; all must be equal")
    return np.stack(xs), np.asarray(ys, dtype=np.int64)
''',
    "PKG/generator.py": '''"""``ddif data make {{name}}-blobs``: one Gaussian bump per instance, its place given by the class."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import Field

from ddif_core import DataGenerator, GeneratorOptions

CLASSES = ("low", "middle", "high")


class BlobsOptions(GeneratorOptions):
    per_class: int = Field(12, ge=1, le=100_000, description="Training instances per class (the test split has half).")
    side: int = Field({{side}}, ge=4, le=512, description="Points per axis.")


class {{Camel}}Blobs(DataGenerator):
    """Noisy bumps whose position along the first axis is the class."""

    name = "{{name}}-blobs"
    modality = "{{name}}"
    description = "Gaussian bumps placed by class (3 classes), .npy files in the layout ddif-{{name}} reads."
    Options = BlobsOptions

    def make(self, out_dir: Path, options: GeneratorOptions,
             progress: Callable[[int, int], None] | None = None) -> None:
        o: BlobsOptions = options  # type: ignore[assignment]
        rng = np.random.default_rng(o.seed)
        axes = np.meshgrid(*([np.linspace(-1, 1, o.side)] * {{dims}}), indexing="ij")
        for split, n in (("train", o.per_class), ("test", max(1, o.per_class // 2))):
            for label, name in enumerate(CLASSES):
                folder = Path(out_dir) / split / name
                folder.mkdir(parents=True, exist_ok=True)
                for i in range(n):
                    centre = rng.normal(0.0, 0.15, {{dims}})
                    centre[0] += (label - 1) * 0.6
                    dist = sum((a - c) ** 2 for a, c in zip(axes, centre))
                    x = np.exp(-dist / 0.1) + 0.05 * rng.standard_normal(dist.shape)
                    np.save(folder / f"{i:05d}.npy", x[None].astype(np.float32))
        if progress is not None:
            progress(1, 1)
''',
    "PKG/networks.py": '''"""The plugin's network: the core's n-D ConvNet, narrow (a plugin-prefixed name avoids clashes)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ddif_core import ConvNet, NetworkDef, StrictModel


class NetOptions(StrictModel):
    width: int = Field(32, ge=1, le=1024, description="Filters of every convolution.")


def build(sample_shape: tuple[int, ...], num_classes: int, options: Any) -> ConvNet:
    width = getattr(options, "width", 32)
    return ConvNet(sample_shape[0], num_classes, tuple(sample_shape[1:]), width=width, depth=2)


NETWORK = NetworkDef("{{name}}-convnet", build, ("{{name}}",), "Two-block ConvNet for ddif-{{name}}", NetOptions)
''',
    "PKG/presets.py": '''"""Named presets (``ddif run --modality {{name}} --preset tiny``)."""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {
        "run": {"ipc": 1, "loss": "dm"},
        "param": {"ddif": {"warmup_steps": 50}},
        "matcher": {"dm": {"batch_real": 8}},
        "distill": {"iterations": 1, "checkpoint_every": 1},
        "eval": {"runs": 1, "epochs": 2},
    },
}
''',
    "PKG/modality.py": '''"""The {{name}} modality: instances (1, N_1..N_n) read by ``reader.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, Field

from ddif_core import DatasetInfo, LabelledData, Modality, StrictModel, generate_into_cache
from ddif_{{name}}.generator import CLASSES, {{Camel}}Blobs
from ddif_{{name}}.presets import PRESETS
from ddif_{{name}}.reader import classes, read_split


class {{Camel}}Options(StrictModel):
    per_class: int = Field(12, ge=2, le=100_000, description="generated: training instances per class.")


class {{Camel}}Modality(Modality):
    """{{dims}}-D instances from ``<root>/{train,test}/<class>/*.npy`` (default: generated blobs)."""

    name = "{{name}}"
    description = "{{Camel}}: .npy instances in <root>/{train,test}/<class>/ (written by ddif plugin new)."
    Options = {{Camel}}Options
    default_dataset = "generated"
    default_network = "{{name}}-convnet"

    def __init__(self, options: BaseModel | None = None, dataset: str | None = None,
                 data_root: Path | None = None) -> None:
        super().__init__(options, dataset, data_root)
        if self.dataset == "folder":
            root = self._root()
            names = classes(root)
            x, _ = read_split(root, "train", names)
            self.info = DatasetInfo("folder", tuple(x.shape[1:]), tuple(names), f"npy folder {root}", {1: (2, 4)})

    @classmethod
    def datasets(cls) -> dict[str, DatasetInfo]:
        return {
            "generated": DatasetInfo("generated", ({{shape}}), CLASSES, "generated blobs", {1: (2, 4)}),
            "folder": DatasetInfo("folder", ({{shape}}), (), "<root>/{train,test}/<class>/*.npy", {1: (2, 4)}),
        }

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        return PRESETS

    def _root(self) -> Path:
        if self.data_root is not None:
            return self.data_root
        o: {{Camel}}Options = self.options  # type: ignore[assignment]
        return generate_into_cache({{Camel}}Blobs, {"per_class": o.per_class})

    def load(self, split: str) -> LabelledData:
        x, y = read_split(self._root(), split, self.class_names)
        return LabelledData(torch.from_numpy(x), torch.from_numpy(y), self.class_names)
''',
    "tests/test_{{name}}.py": '''"""ddif-{{name}} against the core's contract checks, on files its generator writes."""

from __future__ import annotations

import json

import pytest

from ddif_core import DataError
from ddif_core.cli import main
from ddif_core.testing import check_modality
from ddif_{{name}}.generator import BlobsOptions, {{Camel}}Blobs
from ddif_{{name}}.modality import {{Camel}}Modality


@pytest.fixture
def data(tmp_path):
    {{Camel}}Blobs().make(tmp_path / "data", BlobsOptions(per_class=4))
    return tmp_path / "data"


def test_modality_passes_the_contract(data):
    check_modality({{Camel}}Modality, dataset="folder", data_root=data)


def test_generator_is_byte_identical_for_a_seed(tmp_path):
    for name in ("a", "b"):
        {{Camel}}Blobs().make(tmp_path / name, BlobsOptions(per_class=2, seed=5))
    a = sorted(p.read_bytes() for p in (tmp_path / "a").rglob("*.npy"))
    b = sorted(p.read_bytes() for p in (tmp_path / "b").rglob("*.npy"))
    assert a == b and len(a) == 9


def test_a_broken_file_is_one_sentence(data):
    bad = next((data / "train").rglob("*.npy"))
    bad.write_bytes(b"not numpy")
    with pytest.raises(DataError, match=str(bad)):
        {{Camel}}Modality(dataset="folder", data_root=data)


def test_tiny_run(data, tmp_path, capsys):
    rc = main(["run", "--modality", "{{name}}", "--dataset", "folder", "--data-root", str(data), "--preset", "tiny",
               "--out", str(tmp_path / "run"), "--quiet", "--json"])
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["num_decoded"] >= 3
''',
}

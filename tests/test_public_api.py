"""The public surface of ``ddif_core``: every name of the #13 contract imports from the package itself,
and the image plugin imports nothing else from ddif_core."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import ddif_core

#: The names the contract promises plugins (docs/plugins.md).
CONTRACT = (
    "Modality DatasetInfo Dataset LabelledData ArrayDataset Matcher MatcherContext MatcherOptions Parameterization "
    "NetworkDef StrictModel NoOptions DataError ConfigError hookimpl DataGenerator GeneratorOptions "
    "default_cache_dir cached_arrays source_key generate_into_cache ConvNet coordinate_grid FieldBank RunConfig "
    "build_config run SyntheticSet"
).split()

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", CONTRACT)
def test_contract_name_imports_from_package(name):
    assert name in ddif_core.__all__
    module, attr = ddif_core._LAZY[name]
    obj = getattr(ddif_core, name)
    assert obj is getattr(importlib.import_module(module), attr)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        ddif_core.nothing_here  # noqa: B018


def test_import_ddif_core_imports_no_torch():
    code = "import sys, ddif_core; ddif_core.hookimpl; ddif_core.StrictModel; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _core_imports(path: Path) -> list[str]:
    """Modules under ddif_core that ``path`` imports (``from ddif_core.x import ...`` / ``import ddif_core.x``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ddif_core"):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("ddif_core")]
    return found


@pytest.mark.parametrize("package", ["plugins/image/ddif_image", "plugins/audio/ddif_audio", "plugins/video/ddif_video",
                                     "plugins/voxel/ddif_voxel", "docs/plugins/tutorial/ddif-signal/ddif_signal"])
def test_first_party_plugins_use_only_the_public_surface(package):
    folder = ROOT / package
    assert folder.is_dir(), folder
    offenders = {p.name: m for p in sorted(folder.glob("*.py")) for m in _core_imports(p) if m != "ddif_core"}
    assert offenders == {}, f"{folder.name} imports ddif_core internals: {offenders}"

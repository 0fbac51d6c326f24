"""docs/plugins/interfaces.md is generated from the docstrings and must match them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "gen_plugin_reference.py"


def test_interfaces_page_matches_the_docstrings():
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_check_fails_on_a_stale_page(tmp_path, monkeypatch):
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import gen_plugin_reference as gen
    finally:
        sys.path.remove(str(SCRIPT.parent))
    monkeypatch.setattr(gen, "DOC", tmp_path / "interfaces.md")
    (tmp_path / "interfaces.md").write_text("# stale\n")
    assert gen.main(["--check"]) == 1
    assert gen.main([]) == 0 and gen.main(["--check"]) == 0
    assert "#### `render(self, x: Any, y: torch.Tensor, out_dir: Path, purpose: str" in (tmp_path / "interfaces.md").read_text()

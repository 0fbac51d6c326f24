import json
import subprocess
import sys

import pytest

from ddif_core.cli import main


def test_help_imports_no_torch():
    code = (
        "import sys\n"
        "from ddif_core.cli import main\n"
        "rc = main(['--help'])\n"
        "assert rc == 0, rc\n"
        "heavy = [m for m in ('torch', 'numpy', 'torchvision') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "ddif run" in proc.stdout


def run_cli(capsys, *args):
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_unknown_option_is_one_sentence(capsys):
    rc, out, err = run_cli(capsys, "run", "--modality", "toy", "--epochz", "3")
    line = err.strip()
    assert rc == 2 and line.startswith("error: no such option") and "--epochz" in line
    assert line.endswith("(see 'ddif run --help')") and len(line.splitlines()) == 1


def test_unknown_set_key(capsys):
    rc, _, err = run_cli(capsys, "budget", "--modality", "image", "--set", "eval.epoch=3")
    assert rc == 1 and err.startswith("error: unknown setting 'eval.epoch'; valid settings in [eval] are: runs")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_ipc_zero_and_negative(capsys):
    for value in ("0", "-2"):
        rc, _, err = run_cli(capsys, "budget", "--modality", "image", "--ipc", value)
        assert rc == 1 and f"invalid value {value} for 'run.ipc'" in err


def test_eval_of_a_folder_that_is_not_a_run(capsys, tmp_path):
    rc, _, err = run_cli(capsys, "eval", str(tmp_path))
    assert rc == 1 and err.strip() == f"error: {tmp_path} is not a ddif run directory: it has no config.json"
    rc, _, err = run_cli(capsys, "decode", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert rc == 1 and "does not exist" in err


def test_debug_shows_traceback(tmp_path):
    from ddif_core.errors import DdifError

    with pytest.raises(DdifError):
        main(["--debug", "eval", str(tmp_path)])


def test_plugins_json_shape(capsys):
    rc, out, _ = run_cli(capsys, "plugins", "--json")
    data = json.loads(out)
    assert rc == 0 and set(data) == {"modalities", "matchers", "networks", "parameterizations", "generators", "errors", "warnings"}
    dm = next(m for m in data["matchers"] if m["name"] == "dm")
    assert dm["distribution"] == "ddif-core" and [m["name"] for m in data["matchers"]] == ["dc", "dm", "tm"]


def test_core_alone_names_the_missing_plugin(capsys, monkeypatch):
    """As after `pip install ddif-core` with no plugin: `ddif plugins` works, `ddif run` names ddif-image."""
    from ddif_core import plugins

    monkeypatch.setattr(plugins.metadata, "entry_points", lambda group: [])
    plugins._default_plugins.cache_clear()
    plugins.get_registry.cache_clear()
    try:
        rc, out, err = run_cli(capsys, "plugins", "--json")
        assert rc == 0 and json.loads(out)["modalities"] == []
        rc, _, err = run_cli(capsys, "run", "--modality", "image", "--loss", "dm")
        assert rc == 1
        assert err.strip() == "error: unknown modality 'image' (available: none installed); install it with: pip install ddif-image"
    finally:
        plugins._default_plugins.cache_clear()
        plugins.get_registry.cache_clear()

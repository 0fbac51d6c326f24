"""The ``ddif`` command line: a thin shell over the Python API.

``ddif --help`` imports no torch: heavy modules are imported inside the commands. Errors the user
can fix are printed as one sentence (``error: ...``) with a non-zero exit code; the traceback
appears only with ``--debug``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ddif_core.errors import DdifError, RunInterrupted, out_of_memory_message, system_error_message
from ddif_core.version import __version__

EXIT_USAGE = 2
EXIT_ERROR = 1


def _emit(data: Any, as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        for line in lines:
            click.echo(line)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ddif")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
def cli(debug: bool) -> None:
    """Dataset distillation into neural fields (DDiF, ICLR 2025).

    \b
    ddif plugins                      what is installed
    ddif budget --modality image --dataset cifar10 --ipc 1
    ddif run --modality image --preset demo
    ddif eval RUN_DIR --resolution 56
    ddif decode RUN_DIR --out decoded/
    """


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def plugins_cmd(as_json: bool) -> None:
    """List installed modalities, matchers, networks, parameterizations and plugin load errors."""
    from ddif_core.plugins import KINDS, get_registry

    reg = get_registry()
    data = reg.as_json()
    lines = []
    for kind in KINDS:
        lines.append(f"{kind}:")
        for item in data[kind]:
            lines.append(f"  {item['name']:<12} {item['distribution']} {item['version']}  {item['description']}")
        if not data[kind]:
            lines.append("  (none)")
    if data["errors"]:
        lines.append("errors:")
        lines += [f"  {e['distribution']}: {e['message']}" for e in data["errors"]]
    if data["warnings"]:
        lines.append("warnings:")
        lines += [f"  {w}" for w in data["warnings"]]
    _emit(data, as_json, lines)


def _presets_lookup(modality: str) -> dict[str, Any]:
    from ddif_core.plugins import get_registry

    return get_registry().get("modalities", modality).presets()


def _build_config(flags: dict[str, Any], config_file: Path | None, sets: tuple[str, ...]) -> Any:
    from ddif_core.config import build_config

    return build_config(flags, config_file, sets, _presets_lookup)


def _budget_options(f: Any) -> Any:
    for opt in reversed(
        [
            click.option("--modality", "-m", help="Modality, e.g. image."),
            click.option("--dataset", "-d", help="Dataset of the modality."),
            click.option("--ipc", type=int, help="Instances per class of storage budget (>= 1)."),
            click.option("--param", help="Parameterization: ddif or vanilla."),
            click.option("--data-root", type=click.Path(path_type=Path), help="Folder holding the dataset files."),
            click.option("--preset", help="Named preset of the modality (see 'ddif presets')."),
            click.option("--config", "config_file", type=click.Path(path_type=Path), help="TOML file of settings."),
            click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a setting (repeatable)."),
        ]
    ):
        f = opt(f)
    return f


@cli.command("budget")
@_budget_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def budget_cmd(modality: str | None, dataset: str | None, ipc: int | None, param: str | None,
               data_root: Path | None, preset: str | None, config_file: Path | None, sets: tuple[str, ...],
               as_json: bool) -> None:
    """Show the storage budget: parameters per field, fields per class, total budget."""
    from ddif_core.engine import plan_budget, resolve_parts

    flags = {"modality": modality, "dataset": dataset, "ipc": ipc, "param": param, "preset": preset,
             "data_root": str(data_root) if data_root else None}
    config = _build_config(flags, config_file, sets)
    parts = resolve_parts(config)
    _, report = plan_budget(parts, config.run.ipc)
    data = {**report.as_dict(), "modality": config.run.modality, "dataset": parts.modality.dataset}
    lines = [
        f"{data['modality']}/{data['dataset']} ipc={report.ipc} param={report.parameterization}: "
        f"sample {'x'.join(map(str, report.sample_shape))}, {report.num_classes} classes",
        f"  params per item   {report.params_per_field}"
        + (f"  (layers={report.layers}, width={report.width})" if report.layers else ""),
        f"  items per class   {report.fields_per_class}  (x{data['decoded_per_class_vs_ipc']} vs ipc)",
        f"  total items       {report.total_fields}",
        f"  budget            {report.budget_used} used of {report.total_budget}",
    ]
    _emit(data, as_json, lines)


@cli.command("presets")
@click.option("--modality", "-m", help="Only this modality.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def presets_cmd(modality: str | None, as_json: bool) -> None:
    """List the named presets of the installed modalities."""
    from ddif_core.plugins import get_registry

    reg = get_registry()
    names = [modality] if modality else reg.names("modalities")
    data = {m: reg.get("modalities", m).presets() for m in names}
    lines = []
    for m, table in data.items():
        for name, values in table.items():
            desc = values.get("run", {}).get("description", "") if isinstance(values.get("run"), dict) else ""
            flat = ", ".join(f"{s}.{k}={v}" for s, kv in values.items() for k, v in kv.items())
            lines.append(f"{m}/{name}: {flat}{desc}")
    _emit(data, as_json, lines or ["(no presets)"])


@cli.command("run")
@_budget_options
@click.option("--loss", "-l", help="Distillation loss (matcher), e.g. dm.")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Run directory (default runs/<time>-<modality>-<loss>).")
@click.option("--seed", type=int, help="Random seed (default 0).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), help="Where to compute (default auto).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def run_cmd(modality: str | None, dataset: str | None, ipc: int | None, param: str | None, data_root: Path | None,
            preset: str | None, config_file: Path | None, sets: tuple[str, ...], loss: str | None,
            out: Path | None, seed: int | None, device: str | None, resume: bool, quiet: bool, as_json: bool) -> None:
    """Distil a dataset (warm-up + matching), evaluate fresh networks on it, save the artifact."""
    from ddif_core.engine import resume_config, run

    flags = {
        "modality": modality, "dataset": dataset, "ipc": ipc, "param": param, "preset": preset, "loss": loss,
        "data_root": str(data_root) if data_root else None, "out": str(out) if out else None, "seed": seed,
        "device": device,
    }
    if resume and out is None:
        raise DdifError("--resume needs --out RUN_DIR, the run directory to continue")
    if resume and modality is None and config_file is None and not sets:
        config = resume_config(out, device)
    else:
        config = _build_config(flags, config_file, sets)
    result = run(config, resume=resume, quiet=quiet)
    m = result.metrics
    _emit(
        {**m, "run_dir": str(result.run_dir)},
        as_json,
        [
            f"run dir      {result.run_dir}",
            f"decoded      {m['num_decoded']} instances ({m['items_per_class']} per class), "
            f"budget {m['budget_used']}/{m['budget_allowed']} parameters",
            f"accuracy     {m['accuracy_mean']:.2f} +- {m['accuracy_std']:.2f} % "
            f"({m['runs']} x {m['net']}, {m['epochs']} epochs, final epoch)",
        ],
    )


@cli.command("eval")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--net", help="Evaluation network (any registered name).")
@click.option("--resolution", metavar="R|AxBxC",
              help="Decode at another resolution: one size for every axis (56) or one per axis (16x112x112).")
@click.option("--runs", type=int, help="Networks to train (default: as saved).")
@click.option("--epochs", type=int, help="Epochs per network (default: as saved).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), help="Where to compute.")
@click.option("--data-root", type=click.Path(path_type=Path), help="Dataset folder (default: as saved).")
@click.option("--set", "sets", multiple=True, metavar="eval.KEY=VALUE",
              help="Override an evaluation setting, e.g. eval.upsample=bicubic (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def eval_cmd(run_dir: Path, net: str | None, resolution: str | None, runs: int | None, epochs: int | None,
             device: str | None, data_root: Path | None, sets: tuple[str, ...], quiet: bool, as_json: bool) -> None:
    """Re-evaluate a saved synthetic set (other network, other resolution, more runs).

    With --resolution, DDiF fields are decoded on the new grid, vanilla sets are resized
    (eval.upsample), the test set is resized, and the accuracy at the original resolution, the
    difference and the drop ratio (ACC_org - ACC_R) / ACC_org are reported (the paper's Table 13).
    """
    from ddif_core.runs import evaluate_run

    if runs is not None and runs < 1:
        raise DdifError(f"--runs must be at least 1, got {runs}")
    if epochs is not None and epochs < 1:
        raise DdifError(f"--epochs must be at least 1, got {epochs}")
    from ddif_core.shapes import parse_resolution

    res = evaluate_run(run_dir, net, None if resolution is None else parse_resolution(resolution), runs, epochs, device, str(data_root) if data_root else None, quiet,
                       sets=sets)
    lines = [
        f"accuracy     {res['accuracy_mean']:.2f} +- {res['accuracy_std']:.2f} % ({res['runs']} x {res['net']}, "
        f"{res['epochs']} epochs, resolution {'x'.join(map(str, res['resolution']))}"
        + (f", {res['upsample'] or 'default'} resampling" if "upsample" in res and res["resolution"] != res["original_resolution"]
           else "") + ")"
    ]
    if "accuracy_original" in res:
        ratio = res["accuracy_drop_ratio"]
        lines.append(
            f"original     {res['accuracy_original']:.2f} % at {'x'.join(map(str, res['original_resolution']))} "
            f"(from {res['accuracy_original_source']}; Diff = ACC_org - ACC_test {res['accuracy_difference']:+.2f}, "
            f"drop ratio {'n/a' if ratio is None else format(ratio, '.3f')})"
        )
    _emit(res, as_json, lines)


@cli.command("decode")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True, help="New folder for the files.")
@click.option("--resolution", metavar="R|AxBxC",
              help="Decode at another resolution: one size for every axis (56) or one per axis (16x112x112).")
@click.option("--format", "fmt", metavar="NAME",
              help="Export format of the modality (default its first, e.g. png for images); npy always works.")
def decode_cmd(run_dir: Path, out: Path, resolution: str | None, fmt: str | None) -> None:
    """Write the decoded instances as files (one per instance) plus labels.csv and a preview."""
    from ddif_core.runs import decode_run
    from ddif_core.shapes import parse_resolution

    res = decode_run(run_dir, out, None if resolution is None else parse_resolution(resolution), fmt=fmt)
    click.echo(f"wrote {res['files']} {res['format']} files of shape {'x'.join(map(str, res['shape']))} and "
               f"labels.csv to {res['out']}")


@cli.group("data")
def data_group() -> None:
    """Make small datasets in a modality's real on-disk layout (generators of the installed plugins)."""


@data_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def data_list_cmd(as_json: bool) -> None:
    """List the installed data generators and their options."""
    from ddif_core.generators import describe_generator
    from ddif_core.plugins import get_registry

    reg = get_registry()
    data = []
    for name in reg.names("generators"):
        entry = reg.entry("generators", name)
        data.append({**describe_generator(entry.obj), "distribution": entry.distribution, "version": entry.version})
    lines = []
    for g in data:
        lines.append(f"{g['name']:<16} {g['modality']:<10} {g['distribution']}  {g['description']}")
        lines += [f"    --set {k}=  (default {v['default']!r}) {v['description']}" for k, v in g["options"].items()]
    _emit(data, as_json, lines or ["(no data generators installed)"])


@data_group.command("make")
@click.argument("name")
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True, help="New (or empty) folder.")
@click.option("--seed", type=int, help="Seed (the output is byte-identical for a seed; default 0).")
@click.option("--per-class", type=int, help="Instances per class (generators with a per_class option).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="A generator option (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def data_make_cmd(name: str, out: Path, seed: int | None, per_class: int | None, sets: tuple[str, ...],
                  quiet: bool) -> None:
    """Run data generator NAME into --out (written to a temporary folder, renamed when complete)."""
    from ddif_core.config import parse_value
    from ddif_core.generators import generator_options, make_dataset
    from ddif_core.plugins import get_registry

    gen = get_registry().get("generators", name)
    values: dict[str, Any] = {}
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise DdifError(f"--set expects key=value with an option of generator '{name}', got {item!r}")
        values[key.strip()] = parse_value(raw)
    if seed is not None:
        values["seed"] = seed
    if per_class is not None:
        if "per_class" not in gen.Options.model_fields:
            raise DdifError(f"generator '{name}' has no per_class option, so --per-class does not apply to it")
        values["per_class"] = per_class
    options = generator_options(gen, values)
    bars: list[Any] = []  # opened at the first progress report, after --out was checked

    def progress(done: int, total: int) -> None:
        if not bars:
            from tqdm import tqdm

            bars.append(tqdm(desc=f"data {name}", total=total, disable=quiet, file=sys.stderr, mininterval=1.0))
        bars[0].total = total
        bars[0].n = done
        bars[0].refresh()

    try:
        folder = make_dataset(gen, options, out, progress)
    finally:
        for bar in bars:
            bar.close()
    click.echo(f"wrote {gen.modality} dataset '{name}' ({', '.join(f'{k}={v}' for k, v in options.model_dump().items())}) "
               f"to {folder}")


@cli.group("plugin")
def plugin_group() -> None:
    """Write new plugins (see docs/plugins/)."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="New folder for the plugin (default ./ddif-NAME).")
@click.option("--dims", type=click.IntRange(1, 3), default=2, show_default=True,
              help="Spatial axes of an instance (1 signals, 2 images, 3 volumes).")
def plugin_new_cmd(name: str, out: Path | None, dims: int) -> None:
    """Write a ready-to-install modality plugin ddif-NAME that passes its own tests."""
    from importlib import metadata

    from ddif_core.plugins import get_registry
    from ddif_core.scaffold import check_name, render_plugin

    installed = set(get_registry().names("modalities"))
    installed |= {d.metadata["Name"].removeprefix("ddif-").replace("-", "_") for d in metadata.distributions()
                  if (d.metadata["Name"] or "").startswith("ddif-")}
    check_name(name, installed)
    target = out or Path(f"ddif-{name}")
    files = render_plugin(name, target, dims)
    click.echo(f"wrote ddif-{name} ({len(files)} files) to {target}; next: pip install -e {target} && "
               f"python -m pytest {target / 'tests'}")


def _add_plugin_commands() -> None:
    """Let plugins add subcommands (``register_commands``); a failing plugin is reported, not fatal."""
    from ddif_core.plugins import LoadError, default_plugin_set

    ps = default_plugin_set()
    for impl in ps.manager.hook.register_commands.get_hookimpls():
        before = dict(cli.commands)
        dist = ps.distribution_of(impl.plugin_name)[0]
        try:
            impl.function(cli=cli)
        except Exception as exc:
            ps.errors.append(LoadError(impl.plugin_name, dist, f"register_commands of {dist} failed: {exc}"))
        replaced = sorted(n for n, cmd in before.items() if cli.commands.get(n) is not cmd)
        if replaced:  # a command that exists is never replaced (two plugins' 'data' groups would hide one)
            cli.commands.update({n: before[n] for n in replaced})
            ps.errors.append(LoadError(impl.plugin_name, dist, f"register_commands of {dist} tried to replace the "
                                       f"existing command(s) {', '.join(replaced)}; they were kept"))


def _warn_broken_plugins(args: list[str]) -> None:
    """Plugins that failed to load are named on stderr by every command but ``ddif plugins``."""
    from ddif_core.plugins import default_plugin_set

    if "plugins" in args[:1]:
        return
    for err in default_plugin_set().errors:
        click.echo(f"warning: {err.message} (see 'ddif plugins')", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ddif`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args = [a for a in args if a != "--debug"]
    try:
        _add_plugin_commands()
        _warn_broken_plugins(args)
        cli.main(args=args, prog_name="ddif", standalone_mode=False)
        return 0
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.Abort as exc:
        cause = exc.__cause__
        click.echo(f"error: {cause if isinstance(cause, RunInterrupted) else 'aborted'}", err=True)
        return 130
    except click.ClickException as exc:
        if debug:
            raise
        msg = exc.format_message()
        ctx = getattr(exc, "ctx", None)
        hint = f" (see 'ddif {ctx.info_name} --help')" if ctx is not None and ctx.info_name != "ddif" else ""
        hint = hint.replace("ddif ddif", "ddif")
        click.echo(f"error: {msg[0].lower() + msg[1:]}{hint}", err=True)
        return EXIT_USAGE
    except DdifError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        return EXIT_ERROR
    except RunInterrupted as exc:
        click.echo(f"error: {exc}", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("error: interrupted; a run can be continued with --resume --out RUN_DIR", err=True)
        return 130
    except (OSError, MemoryError) as exc:  # the machine said no: a full disk, a permission, no memory
        if debug:
            raise
        click.echo(f"error: {system_error_message(exc)}", err=True)
        return EXIT_ERROR
    except Exception as exc:  # a bug: say so in one line, keep the traceback for --debug
        if debug:
            raise
        oom = out_of_memory_message(exc)
        if oom:
            click.echo(f"error: {oom}", err=True)
            return EXIT_ERROR
        click.echo(f"error: internal error {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", err=True)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())

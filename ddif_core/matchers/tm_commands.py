"""``ddif experts``: the command of the trajectory-matching matcher, added through ``register_commands``.

This module imports only click at module level, so ``ddif --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from ddif_core.errors import DdifError


def make_experts(config: object, cache_dir: Path, epochs: int | None = None, quiet: bool = False,
                 registry: object = None) -> list[Path]:
    """Train (or find cached) the expert trajectories of the TM matcher of ``config``; returns their files."""
    from ddif_core.matchers.tm import TrajectoryMatching
    from ddif_core.session import open_session

    session = open_session(config, registry, quiet, splits=("train",))  # type: ignore[arg-type]
    matcher = session.parts.matcher
    if not isinstance(matcher, TrajectoryMatching):
        raise DdifError(f"ddif experts trains trajectories for --loss tm, not '{type(matcher).name}'")
    return list(matcher.build_experts(session.matcher_context(Path(cache_dir)), epochs))


@click.command("experts")
@click.option("--modality", "-m", required=True, help="Modality, e.g. image.")
@click.option("--dataset", "-d", help="Dataset of the modality.")
@click.option("--num-experts", type=int, help="Trajectories to train (default: matcher.num_experts).")
@click.option("--epochs", type=int, help="Epochs per trajectory (default: max_start_epoch + expert_epochs).")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("runs/.cache"), show_default=True,
              help="Cache folder (ddif run uses <parent of --out>/.cache).")
@click.option("--data-root", type=click.Path(path_type=Path), help="Folder holding the dataset files.")
@click.option("--seed", type=int, help="Seed of the experts (default 0; part of the cache key).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), help="Where to compute.")
@click.option("--preset", help="Named preset of the modality.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="TOML file of settings.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a setting (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def experts_command(modality: str, dataset: str | None, num_experts: int | None, epochs: int | None, out: Path,
                    data_root: Path | None, seed: int | None, device: str | None, preset: str | None,
                    config_file: Path | None, sets: tuple[str, ...], quiet: bool) -> None:
    """Train expert trajectories for trajectory matching (cached; resumable; ddif run --loss tm reuses them)."""
    from ddif_core.cli import _build_config

    if num_experts is not None and num_experts < 1:
        raise DdifError(f"--num-experts must be at least 1, got {num_experts}")
    if epochs is not None and epochs < 1:
        raise DdifError(f"--epochs must be at least 1, got {epochs}")
    extra = (f"matcher.num_experts={num_experts}",) if num_experts else ()
    flags = {"modality": modality, "dataset": dataset, "loss": "tm", "preset": preset, "seed": seed,
             "device": device, "data_root": str(data_root) if data_root else None}
    config = _build_config(flags, config_file, (*sets, *extra))
    files = make_experts(config, out, epochs, quiet)
    click.echo(f"{len(files)} expert trajectories in {files[0].parent if files else out}")

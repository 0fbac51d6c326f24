"""Regenerate the settings tables of docs/cli.md from the options models (run after changing options).

    python docs/gen_cli_reference.py
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from ddif_core.config import DistillSection, EvalSection, RunSection
from ddif_core.matchers.dc import DCOptions
from ddif_core.matchers.dm import DMOptions
from ddif_core.matchers.tm import TMOptions
from ddif_core.parameterization import DDiFOptions, VanillaOptions
from ddif_image.modality import ImageOptions

DOC = Path(__file__).resolve().parent / "cli.md"
MARK = "## Settings"


def table(title: str, model: type[BaseModel], note: str = "") -> str:
    lines = [f"### `[{title}]`{note}", "", "| key | default | meaning |", "|---|---|---|"]
    for name, f in model.model_fields.items():
        default = "(required)" if f.is_required() else repr(f.default if f.default_factory is None else f.default_factory())
        lines.append(f"| `{name}` | `{default}` | {f.description or ''} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    head = DOC.read_text().split(MARK)[0]
    parts = [
        table("run", RunSection, " — also the flags of `ddif run`"),
        table("distill", DistillSection),
        table("eval", EvalSection),
        table("matcher", DMOptions, " with `--loss dm`"),
        table("matcher", DCOptions, " with `--loss dc`"),
        table("matcher", TMOptions, " with `--loss tm`"),
        table("param", DDiFOptions, " with `--param ddif`"),
        table("param", VanillaOptions, " with `--param vanilla`"),
        table("modality", ImageOptions, " with `--modality image`"),
    ]
    DOC.write_text(head + MARK + "\n\n" + "\n".join(parts))


if __name__ == "__main__":
    main()

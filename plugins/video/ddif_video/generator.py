"""``ddif data make moving-shapes``: the offline video dataset as real ``.avi`` files in the UCF101 layout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from ddif_core import DataGenerator, GeneratorOptions
from ddif_video.shapes import MOTIONS, write_dataset


class MovingShapesOptions(GeneratorOptions):
    classes: int = Field(10, ge=2, le=len(MOTIONS), description=f"Motion classes, the first N of {', '.join(MOTIONS)}.")
    per_class: int = Field(25, ge=2, le=1000, description="Clips per class (groups g01-g25 as UCF101, 7 held out per split).")
    width: int = Field(320, ge=16, le=1920, description="Frame width in pixels (UCF101: 320).")
    height: int = Field(240, ge=16, le=1080, description="Frame height in pixels (UCF101: 240).")
    length: int = Field(64, ge=8, le=1000, description="Mean frames per clip at 25 fps (each clip +-25%).")


class MovingShapes(DataGenerator):
    """Clips of one random striped shape on a textured background; the class is the motion only."""

    name = "moving-shapes"
    modality = "video"
    description = ("Procedural clips whose classes differ by motion (direction, rotation sense, growing, bouncing, "
                   "blinking, speed), MPEG-4 .avi in the UCF101 layout with split lists by group.")
    Options: ClassVar[type[GeneratorOptions]] = MovingShapesOptions
    #: 2: fainter background texture and larger shapes (version 1 could not be learnt from 25 clips per class).
    version: ClassVar[int] = 2

    def make(self, out_dir: Path, options: GeneratorOptions,
             progress: Callable[[int, int], None] | None = None) -> None:
        o: MovingShapesOptions = options  # type: ignore[assignment]
        write_dataset(out_dir, o.classes, o.per_class, o.seed, o.width, o.height, o.length, progress)

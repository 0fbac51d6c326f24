"""Hook module of ddif-video (entry point ``video`` in group ``ddif``); imports nothing heavy."""

from __future__ import annotations

from typing import Any, Callable

from ddif_core import hookimpl


@hookimpl
def register_modalities(register: Callable[[type], None]) -> None:
    from ddif_video.modality import VideoModality

    register(VideoModality)


@hookimpl
def register_networks(register: Callable[[Any], None]) -> None:
    from ddif_core import NetworkDef

    from ddif_video.networks import ConvNet3DOptions, build_convnet3d

    register(NetworkDef(
        name="convnet3d", build=build_convnet3d, modalities=("video",), Options=ConvNet3DOptions,
        description="ConvNet3D of Wang et al. 2024: 3 Conv3d (3,7,7) blocks 64-128-128, max-pool, no norm; "
                    "2048-d embedding at 16x112x112, max over time.",
    ))



@hookimpl
def register_generators(register: Callable[[type], None]) -> None:
    from ddif_video.generator import MovingShapes

    register(MovingShapes)

"""Hook module of ddif-voxel (entry point ``voxel`` in group ``ddif``); imports nothing heavy."""

from __future__ import annotations

from typing import Any, Callable

from ddif_core import hookimpl


@hookimpl
def register_modalities(register: Callable[[type], None]) -> None:
    from ddif_voxel.modality import VoxelModality

    register(VoxelModality)


@hookimpl
def register_networks(register: Callable[[Any], None]) -> None:
    from ddif_core import NetworkDef
    from ddif_voxel.networks import Conv3DNetOptions, build_conv3dnet

    register(NetworkDef(
        name="conv3dnet", build=build_conv3dnet, modalities=("voxel",), Options=Conv3DNetOptions,
        description="Conv3DNet: the core ConvNet at 3-D (3 blocks at 32^3, width 128 as the authors; net.width=64 "
                    "as the paper's text), instance norm, avg-pool, 8,192 features.",
    ))


@hookimpl
def register_generators(register: Callable[[type], None]) -> None:
    from ddif_voxel.generator import PrimitivesGenerator

    register(PrimitivesGenerator)

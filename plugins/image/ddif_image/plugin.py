"""Hook module of ddif-image (entry point ``image`` in group ``ddif``); imports nothing heavy."""

from __future__ import annotations

from typing import Any, Callable

from ddif_core.hookspecs import hookimpl


@hookimpl
def register_modalities(register: Callable[[type], None]) -> None:
    from ddif_image.modality import ImageModality

    register(ImageModality)


@hookimpl
def register_networks(register: Callable[[Any], None]) -> None:
    from ddif_core.networks import NetworkDef

    register(
        NetworkDef(
            name="convnet",
            build=_build_convnet,
            modalities=("image",),
            description="ConvNetD3-D7 (depth from the resolution), 128 filters, instance norm, avg-pool.",
        )
    )


def _build_convnet(sample_shape: tuple[int, ...], num_classes: int) -> Any:
    from ddif_image.convnet import ConvNet

    return ConvNet(sample_shape[0], num_classes, (sample_shape[1], sample_shape[2]))

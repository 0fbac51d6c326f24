"""Hook module of ddif-image (entry point ``image`` in group ``ddif``); imports nothing heavy."""

from __future__ import annotations

from typing import Any, Callable

from ddif_core import hookimpl


@hookimpl
def register_modalities(register: Callable[[type], None]) -> None:
    from ddif_image.modality import ImageModality

    register(ImageModality)


#: name -> (class in ddif_image.networks, description); ``convnet`` is the core's (any modality).
_NETWORKS: dict[str, tuple[str, str]] = {
    "alexnet": ("AlexNet", "AlexNet of the distillation literature: 5 convs (128-192-256-192-192), max-pool, no norm."),
    "vgg11": ("VGG11", "VGG-11 with instance norm, global average pooling."),
    "resnet18": ("ResNet18", "ResNet-18 with instance norm (3x3 stem up to 64 px, ImageNet stem above)."),
    "vit": ("ViT", "Small ViT: ~8x8 patch grid, width 256, 6 blocks, 8 heads, class token."),
}


@hookimpl
def register_networks(register: Callable[[Any], None]) -> None:
    from ddif_core import NetworkDef

    for name, (cls_name, description) in _NETWORKS.items():
        register(NetworkDef(name=name, build=_builder(cls_name), modalities=("image",), description=description))


def _builder(cls_name: str) -> Callable[[tuple[int, ...], int, Any], Any]:
    def build(sample_shape: tuple[int, ...], num_classes: int, options: Any = None) -> Any:
        from ddif_image import networks

        cls = getattr(networks, cls_name)
        return cls(sample_shape[0], num_classes, (sample_shape[1], sample_shape[2]))

    build.__name__ = f"build_{cls_name.lower()}"
    return build

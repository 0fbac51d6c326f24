from __future__ import annotations

import pytest
import torch

from ddif_core import ConfigError
from ddif_core.plugins import Registry, load_plugins
from ddif_voxel import plugin
from ddif_voxel.networks import Conv3DNetOptions, build_conv3dnet


def test_conv3dnet_is_the_papers_network_at_32() -> None:
    net = build_conv3dnet((1, 32, 32, 32), 10, Conv3DNetOptions())
    assert net.depth == 3 and net.feature_shape == (128, 4, 4, 4) and net.feature_dim == 8192  # 32 -> 36 -> 18 -> 9 -> 4
    assert build_conv3dnet((1, 32, 32, 32), 10, Conv3DNetOptions(width=64)).feature_dim == 4096
    small = build_conv3dnet((1, 16, 16, 16), 10, Conv3DNetOptions(width=8))
    assert small.depth == 2 and small.feature_shape == (8, 5, 5, 5)  # 16 -> 20 -> 10 -> 5
    x = torch.randn(3, 1, 16, 16, 16)
    assert small(x).shape == (3, 10) and small.embed(x).shape == (3, 1000)
    with pytest.raises(ConfigError, match=r"conv3dnet takes \(channels, D, H, W\) grids"):
        build_conv3dnet((1, 28, 28), 10, Conv3DNetOptions())


def test_hooks_register_the_modality_network_and_generator() -> None:
    reg = Registry(load_plugins(entry_points=[], extra=[(plugin, "ddif-voxel")]))
    assert "voxel" in reg.names("modalities")
    assert "primitives" in reg.names("generators")
    net = reg.get("networks", "conv3dnet")
    assert net.modalities == ("voxel",) and net.Options is Conv3DNetOptions

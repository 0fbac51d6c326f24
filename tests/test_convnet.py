"""Tests of the core ConvNet (ddif_core.convnet) for 1-D, 2-D and 3-D input, and its registration."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ddif_core import ConvNet
from ddif_core.convnet import convnet_depth_for


@pytest.mark.parametrize(
    ("size", "depth"),
    [(28, 3), (32, 3), (64, 4), (128, 5), (256, 6), (512, 7), (16, 2), (8, 1), (4, 1), (2, 1), (1, 1), (100, 5), (48, 4)],
)
def test_depth_table(size: int, depth: int) -> None:
    assert convnet_depth_for(size) == depth


def test_depth_rejects_non_positive() -> None:
    with pytest.raises(ValueError):
        convnet_depth_for(0)


def test_mnist_shapes() -> None:
    torch.manual_seed(0)
    net = ConvNet(1, 10, (28, 28))
    assert net.depth == 3 and net.feature_dim == 2048 and net.feature_shape == (128, 4, 4)
    assert net.features[0].padding == (3, 3)
    x = torch.randn(2, 1, 28, 28)
    feats = net.embed(x)
    assert feats.shape == (2, 2048)
    logits = net(x)
    assert logits.shape == (2, 10)
    assert torch.allclose(logits, net.classifier(feats), atol=1e-6)


def test_cifar_shapes() -> None:
    net = ConvNet(3, 100, (32, 32), width=16)
    assert net.depth == 3 and net.features[0].padding == (1, 1)
    x = torch.randn(3, 3, 32, 32)
    assert net.embed(x).shape == (3, 16 * 4 * 4)
    assert net(x).shape == (3, 100)


def test_depth_four_at_64px() -> None:
    net = ConvNet(3, 10, (64, 64), width=8)
    assert net.depth == 4
    assert sum(isinstance(m, nn.Conv2d) for m in net.modules()) == 4
    assert net(torch.randn(2, 3, 64, 64)).shape == (2, 10)
    assert net.embed(torch.randn(1, 3, 64, 64)).shape == (1, 8 * 4 * 4)


def test_non_square_and_explicit_depth() -> None:
    net = ConvNet(2, 5, (12, 20), depth=2, width=4)
    assert net.feature_shape == (4, 3, 5)
    assert net.embed(torch.randn(2, 2, 12, 20)).shape == (2, 60)
    with pytest.raises(ValueError, match="too deep"):
        ConvNet(1, 2, (8, 8), depth=4, width=4)


def test_structure_of_a_block() -> None:
    net = ConvNet(1, 10, (28, 28), width=8)
    kinds = [type(m) for m in net.features[:4]]
    assert kinds == [nn.Conv2d, nn.GroupNorm, nn.ReLU, nn.AvgPool2d]
    gn = net.features[1]
    assert gn.num_groups == 8 and gn.num_channels == 8 and gn.affine
    assert net.features[0].kernel_size == (3, 3) and net.features[0].out_channels == 8
    assert isinstance(net.classifier, nn.Linear) and net.classifier.in_features == 8 * 16


@pytest.mark.parametrize(("norm", "kind"), [("instance", nn.GroupNorm), ("batch", nn.BatchNorm2d), ("none", nn.Identity)])
def test_norms(norm: str, kind: type) -> None:
    net = ConvNet(3, 4, (16, 16), width=4, norm=norm)
    assert isinstance(net.features[1], kind)
    out = net(torch.randn(2, 3, 16, 16))
    assert out.shape == (2, 4) and torch.isfinite(out).all()


def test_pooling_options() -> None:
    net = ConvNet(3, 2, (16, 16), depth=2, width=4, pool="max")
    assert net.feature_shape == (4, 4, 4) and isinstance(net.features[3], nn.MaxPool2d)
    net = ConvNet(3, 2, (6, 6), depth=2, width=4, pool="none")
    assert net.feature_shape == (4, 6, 6)
    assert net(torch.randn(1, 3, 6, 6)).shape == (1, 2)


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="norm"):
        ConvNet(1, 2, (16, 16), norm="layer")
    with pytest.raises(ValueError, match="pool"):
        ConvNet(1, 2, (16, 16), pool="sum")
    with pytest.raises(ValueError, match="1-D, 2-D or 3-D"):
        ConvNet(1, 2, (4, 4, 4, 4))


def test_gradients_reach_input_and_parameters() -> None:
    net = ConvNet(3, 10, (32, 32), width=8)
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    net(x).logsumexp(dim=1).sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    assert all(p.grad is not None for p in net.parameters())


def test_one_channel_input_gets_padding_three_in_every_dimensionality() -> None:
    audio = ConvNet(1, 35, (64, 64))  # 64 -> 70 -> 35 -> 17 -> 8 -> 4
    assert audio.depth == 4 and audio.feature_shape == (128, 4, 4) and audio.feature_dim == 2048
    voxel = ConvNet(1, 10, (32, 32, 32), width=8)  # 32 -> 36 -> 18 -> 9 -> 4
    assert voxel.depth == 3 and voxel.feature_shape == (8, 4, 4, 4) and voxel.features[0].padding == (3, 3, 3)
    assert ConvNet(2, 10, (32, 32, 32), width=8).features[0].padding == (1, 1, 1)


def test_one_dimensional_input() -> None:
    net = ConvNet(1, 5, (100,), width=4)  # shortest side 100 -> depth 5; 100 -> 104 -> 52 -> 26 -> 13 -> 6 -> 3
    assert net.depth == 5 and net.feature_shape == (4, 3)
    assert isinstance(net.features[0], nn.Conv1d) and isinstance(net.features[3], nn.AvgPool1d)
    assert net(torch.randn(2, 1, 100)).shape == (2, 5)
    assert isinstance(ConvNet(2, 5, (32,), width=4, norm="batch").features[1], nn.BatchNorm1d)


def test_three_dimensional_depth_comes_from_the_shortest_side() -> None:
    net = ConvNet(3, 4, (8, 32, 32), width=4, norm="batch", pool="max")  # shortest side 8 -> depth 1
    assert net.depth == 1 and isinstance(net.features[1], nn.BatchNorm3d) and isinstance(net.features[3], nn.MaxPool3d)
    assert net.feature_shape == (4, 4, 16, 16)
    x = torch.randn(2, 3, 8, 32, 32, requires_grad=True)
    net(x).sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_registered_once_by_the_core_with_options(registry) -> None:
    from ddif_core.errors import ConfigError
    from ddif_core.config import validate_options

    entry = registry.entry("networks", "convnet")
    assert entry.distribution == "ddif-core" and entry.obj.modalities == ()
    opts = validate_options(entry.obj.Options, {"width": 8, "depth": 2, "norm": "none", "pool": "max"}, "net")
    net = entry.obj.build((1, 16), 3, opts)
    assert net.feature_shape == (8, 5) and net(torch.randn(2, 1, 16)).shape == (2, 3)
    with pytest.raises(ConfigError, match="net.norm"):
        validate_options(entry.obj.Options, {"norm": "layer"}, "net")

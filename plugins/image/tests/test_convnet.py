"""Tests of the ConvNet (ddif_image.convnet)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ddif_image.convnet import ConvNet, convnet_depth_for


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
    assert ConvNet(1, 2, (16, 16), depth=2, width=4, pooling="max").feature_shape == (4, 4, 4)
    net = ConvNet(1, 2, (6, 6), depth=2, width=4, pooling="none")
    assert net.feature_shape == (4, 6, 6)
    assert net(torch.randn(1, 1, 6, 6)).shape == (1, 2)


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="norm"):
        ConvNet(1, 2, (16, 16), norm="layer")
    with pytest.raises(ValueError, match="pooling"):
        ConvNet(1, 2, (16, 16), pooling="sum")


def test_gradients_reach_input_and_parameters() -> None:
    net = ConvNet(3, 10, (32, 32), width=8)
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    net(x).logsumexp(dim=1).sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    assert all(p.grad is not None for p in net.parameters())

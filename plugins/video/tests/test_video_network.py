"""ConvNet3D of Wang et al. 2024: shapes at 16x112x112 (2,048-d embedding) and at the CPU test size."""

import torch

from ddif_video.convnet3d import ConvNet3D
from ddif_video.networks import ConvNet3DOptions, build_convnet3d
from video_files import one_thread  # noqa: F401 (fixtures)


def test_paper_size_embedding_is_2048():
    net = build_convnet3d((3, 16, 112, 112), 50, ConvNet3DOptions())
    assert net.feature_shape == (128, 4, 2, 2) and net.feature_dim == 2048
    x = torch.randn(1, 3, 16, 112, 112)
    with torch.no_grad():
        assert net.embed(x).shape == (1, 2048)
        assert net(x).shape == (1, 50)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv3d)]
    assert [c.out_channels for c in convs] == [64, 128, 128, 50]
    assert all(c.kernel_size == (3, 7, 7) and c.stride == (1, 2, 2) for c in convs[:3])
    assert not any(isinstance(m, (torch.nn.GroupNorm, torch.nn.BatchNorm3d, torch.nn.InstanceNorm3d))
                   for m in net.modules())


def test_small_clips_and_gradients():
    net = ConvNet3D(3, 4, (8, 32, 32))
    x = torch.randn(2, 3, 8, 32, 32, requires_grad=True)
    out = net(x)
    assert out.shape == (2, 4) and net.embed(x).shape == (2, net.feature_dim)
    out.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_dropout_only_in_training():
    net = ConvNet3D(3, 4, (4, 16, 16)).eval()
    x = torch.randn(2, 3, 4, 16, 16)
    assert torch.equal(net(x), net(x))


def test_width_option_scales_the_blocks():
    net = build_convnet3d((3, 8, 32, 32), 10, ConvNet3DOptions(width=16))
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv3d)]
    assert [c.out_channels for c in convs] == [16, 32, 32, 10]
    assert net.feature_dim == 32 * net.feature_shape[1] * net.feature_shape[2] * net.feature_shape[3]
    assert net(torch.randn(2, 3, 8, 32, 32)).shape == (2, 10)

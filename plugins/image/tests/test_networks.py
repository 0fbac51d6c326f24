"""Every registered image network runs forward at the resolutions of the paper and works under torch.func."""

import pytest
import torch
from torch.func import functional_call, grad, vmap

from ddif_core.plugins import get_registry

NETS = ["convnet", "alexnet", "vgg11", "resnet18", "vit"]


def build(name, shape, classes=10):
    torch.manual_seed(0)
    net_def = get_registry().get("networks", name)
    return net_def.build(shape, classes, net_def.Options())


@pytest.mark.parametrize("name", NETS)
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (3, 128, 128), (3, 256, 256)])
def test_forward_and_embed(name, shape):
    net = build(name, shape, 7)
    x = torch.randn(2 if shape[1] <= 128 else 1, *shape)
    logits, feats = net(x), net.embed(x)
    assert logits.shape == (x.shape[0], 7) and feats.dim() == 2 and feats.shape[0] == x.shape[0]
    assert torch.isfinite(logits).all()
    assert net.classifier.in_features == feats.shape[1]


def test_all_are_registered_for_images():
    reg = get_registry()
    for name in NETS[1:]:
        assert reg.entry("networks", name).distribution == "ddif-image"
        assert "image" in reg.get("networks", name).modalities
    assert reg.entry("networks", "convnet").distribution == "ddif-core"  # the core's, for every modality


@pytest.mark.parametrize("name", NETS)
def test_per_sample_gradients_with_torch_func(name):
    """Gradient matching vmaps gradients over classes and trajectory matching calls the network
    functionally: both need networks without buffers or in-place tricks on their inputs."""
    net = build(name, (1, 28, 28), 3)
    params = {k: v.detach() for k, v in net.named_parameters()}
    assert not list(net.buffers())

    def loss(p, x, y):
        return torch.nn.functional.cross_entropy(functional_call(net, p, (x[None],)), y[None])

    x, y = torch.randn(2, 1, 28, 28), torch.tensor([0, 2])
    grads = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
    single = grad(loss)(params, x[1], y[1])
    assert all(grads[k].shape == (2, *params[k].shape) for k in params)
    for key in params:  # float32 convolutions of a batch and of one sample differ in rounding only
        scale = max(float(single[key].abs().max()), 1e-3)
        assert float((grads[key][1] - single[key]).abs().max()) <= 1e-2 * scale, key


@pytest.mark.parametrize("name", ["alexnet", "vgg11", "resnet18", "vit"])
def test_train_step_reduces_loss(name):
    net = build(name, (3, 32, 32), 2)
    x = torch.randn(8, 3, 32, 32)
    y = torch.tensor([0, 1] * 4)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    first = None
    for _ in range(8):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first

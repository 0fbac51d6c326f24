"""Networks: the [net] section, NetworkDef.modalities, the evaluation schedule and DC with dropout."""

import types

import pytest
import torch
from torch import nn

from ddif_core import NetworkDef, StrictModel, testing
from ddif_core.config import EvalSection
from ddif_core.engine import resolve_parts, run
from ddif_core.errors import ConfigError
from ddif_core.evaluate import train_network
from ddif_core.experts import ExpertSpec
from ddif_core.hookspecs import hookimpl
from ddif_core.plugins import Registry, load_plugins

from test_engine import config


class DropNet(nn.Module):
    """An MLP with dropout: DC's vmapped per-class gradients need randomness="different"."""

    def __init__(self, sample_shape, num_classes, p):
        super().__init__()
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(int(torch.tensor(sample_shape).prod()), 16), nn.ReLU(),
                                      nn.Dropout(p))
        self.classifier = nn.Linear(16, num_classes)

    def embed(self, x):
        return self.features(x)

    def forward(self, x):
        return self.classifier(self.embed(x))


class DropOptions(StrictModel):
    p: float = 0.5


def _plugin():
    mod = types.ModuleType("dropnet_plugin")

    def register_networks(register):
        register(NetworkDef("dropnet", lambda shape, classes, o: DropNet(shape, classes, o.p), (), "dropout MLP",
                            DropOptions))
        register(NetworkDef("imgonly", lambda shape, classes, o: DropNet(shape, classes, 0.0), ("image",)))

    mod.register_networks = hookimpl(register_networks)
    return mod


@pytest.fixture
def reg():
    return Registry(load_plugins(entry_points=[], extra=[(testing, "ddif-testing"), (_plugin(), "ddif-drop")]))


def test_net_section_is_validated_against_each_network_and_passed_to_build(tmp_path, reg):
    parts = resolve_parts(config(tmp_path, "eval.net=dropnet", "matcher.net=dropnet", "net.p=0.25"), reg)
    assert parts.net_options["dropnet"].p == 0.25
    net = parts.network("dropnet", parts.modality.sample_shape, torch.device("cpu"))
    assert net.features[3].p == 0.25
    with pytest.raises(ConfigError, match=r"unknown setting 'net.p'; \[net\] takes no settings here"):
        resolve_parts(config(tmp_path, "eval.net=dropnet", "net.p=0.25"), reg)  # DM matches with the toy's mlp
    with pytest.raises(ConfigError, match=r"invalid value 'wide' for 'net.width'"):
        resolve_parts(config(tmp_path, "eval.net=convnet", "net.width='wide'"), reg)


def test_network_for_another_modality_is_refused(tmp_path, reg):
    with pytest.raises(ConfigError, match=r"network 'imgonly' is for image data, not modality 'toy'"):
        resolve_parts(config(tmp_path, "eval.net=imgonly"), reg)


def test_net_options_are_part_of_the_expert_key():
    spec = ExpertSpec("toy", "blobs", {}, "convnet", (1, 8, 8), 10, 2, 0.01, 8, True, 0)
    wider = ExpertSpec("toy", "blobs", {}, "convnet", (1, 8, 8), 10, 2, 0.01, 8, True, 0, {"width": 64})
    assert spec.key() != wider.key()


def test_dc_with_a_dropout_network(tmp_path, reg):
    cfg = config(tmp_path, "matcher.net=dropnet", "matcher.batch_real=4", "distill.iterations=2",
                 "eval.runs=1", "eval.epochs=1", loss="dc")
    result = run(cfg, quiet=True, registry=reg)
    assert result.metrics["iterations"] == 2 and torch.isfinite(torch.tensor(result.metrics["final_loss"]))


def test_eval_schedule_milestones_and_gamma():
    opts = EvalSection(epochs=10, lr=0.1, lr_milestones=[0.8, 0.3], lr_gamma=0.5, augment=False, runs=1)
    assert opts.lr_milestones == [0.3, 0.8] and opts.milestone_epochs() == [3, 8]
    assert EvalSection(epochs=7).milestone_epochs() == [3]  # the literature's x0.1 at half of the epochs
    with pytest.raises(ValueError, match=r"fractions of the epochs in \(0, 1\]"):
        EvalSection(lr_milestones=[1.5])
    net = nn.Linear(2, 2)
    lrs = []
    train_network(net, torch.randn(4, 2), torch.tensor([0, 1, 0, 1]), opts, testing.ToyModality(),
                  torch.Generator().manual_seed(0), on_epoch=lambda e: lrs.append(None))
    # the scheduler ran: rebuild it the same way to read the learning rate after every epoch
    opt = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, opts.milestone_epochs(), opts.lr_gamma)
    seen = []
    for _ in range(10):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx([0.1] * 3 + [0.05] * 5 + [0.025] * 2) and len(lrs) == 10

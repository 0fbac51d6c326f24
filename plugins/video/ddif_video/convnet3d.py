"""ConvNet3D of the video distillation literature (Wang et al. 2024, MiniUCF).

Three blocks of ``Conv3d(kernel (3, 7, 7), stride (1, 2, 2), padding (1, 3, 3)) -> ReLU -> max-pool``
with 64, 128 and 128 filters (``width`` w gives w, 2w, 2w) and no normalisation; the first block pools
space only (1, 2, 2), the others time and space (2, 2, 2). On a (3, 16, 112, 112) clip the last feature map is
128 x 4 x 2 x 2, whose flattening is the 2,048-d embedding distribution matching compares. The
classifier averages that map over space, applies dropout 0.5 and a 1x1x1 convolution to class
scores per time step, and takes the maximum over time.

Smaller clips (CPU presets, tests) work too: a pool whose axis has shrunk to one step is skipped on
that axis, so the embedding is ``2w x T' x H' x W'`` of whatever remains (w the width, 64 by default).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

#: Filters of the three blocks relative to the first block's width (64, 128, 128 at the default width 64).
CHANNEL_FACTORS = (1, 2, 2)
POOLS = ((1, 2, 2), (2, 2, 2), (2, 2, 2))


def _conv_out(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


class ConvNet3D(nn.Module):
    """``(B, C, T, H, W) -> (B, num_classes)``; ``embed`` gives the flattened last feature map."""

    def __init__(self, in_channels: int, num_classes: int, clip: tuple[int, int, int], dropout: float = 0.5,
                 width: int = 64) -> None:
        super().__init__()
        t, h, w = (int(v) for v in clip)
        if in_channels < 1 or num_classes < 1 or width < 1 or min(t, h, w) < 1:
            raise ValueError(
                f"ConvNet3D needs positive channels, classes, width and clip size, got in_channels={in_channels}, "
                f"num_classes={num_classes}, width={width}, clip={clip}"
            )
        layers: list[nn.Module] = []
        cin = in_channels
        for cout, pool in zip((width * f for f in CHANNEL_FACTORS), POOLS):
            layers += [nn.Conv3d(cin, cout, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3)), nn.ReLU()]
            h, w = _conv_out(h, 7, 2, 3), _conv_out(w, 7, 2, 3)
            kernel = tuple(k if size >= k else 1 for k, size in zip(pool, (t, h, w)))
            if kernel != (1, 1, 1):
                layers.append(nn.MaxPool3d(kernel))
            t, h, w = t // kernel[0], h // kernel[1], w // kernel[2]
            cin = cout
        self.features = nn.Sequential(*layers)
        self.feature_shape = (cin, t, h, w)
        self.feature_dim = cin * t * h * w
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Conv3d(cin, num_classes, kernel_size=1)

    def embed(self, x: Tensor) -> Tensor:
        """``(B, C, T, H, W) -> (B, 128 * T' * H' * W')`` (2,048 at 16x112x112)."""
        return torch.flatten(self.features(x), 1)

    def forward(self, x: Tensor) -> Tensor:
        f = self.features(x)  # (B, 128, T', H', W')
        f = f.mean(dim=(3, 4), keepdim=True)  # average over space
        scores = self.classifier(self.dropout(f))  # (B, classes, T', 1, 1)
        return scores.flatten(2).amax(dim=2)  # maximum over time

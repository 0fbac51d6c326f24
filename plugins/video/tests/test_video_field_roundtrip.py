"""A field fitted to a clip reproduces it frame by frame, channels in place (the warm-up's layout).

The reference code of the paper scrambles frames and channels when it lays a clip out for the
fit; here the clip (m, T, H, W) is flattened row-major over (t, y, x) as the coordinate grid is,
and decoded back with the same reshape.
"""

import torch

from ddif_core import FieldBank
from video_files import one_thread  # noqa: F401 (fixtures)


def test_fitted_field_reproduces_each_frame_and_channel():
    torch.manual_seed(0)
    t, s = 6, 12
    clip = torch.zeros(3, t, s, s)
    for f in range(t):  # a bar moving right, red; a blue ramp over time; green constant per row
        clip[0, f, :, 2 * f:2 * f + 2] = 1.0
        clip[2, f] = f / t
    clip[1] = torch.linspace(-0.5, 0.5, s).view(1, s, 1)
    bank = FieldBank(1, in_features=3, out_features=3, layers=3, width=32, w0=5.0, w0_first=5.0,
                     generator=torch.Generator().manual_seed(0))
    targets = clip.reshape(1, 3, -1).transpose(1, 2)  # (K, P, m): the warm-up's layout
    bank.fit((t, s, s), targets, steps=150, lr=1e-2)
    with torch.no_grad():
        out = bank.decode_grid((t, s, s)).reshape(1, 3, t, s, s)[0]
    err = (out - clip).pow(2).mean(dim=(2, 3))  # (3, T)
    assert float(err.max()) < 0.01, err
    # frame f of the decoded clip is closest to frame f of the real clip, and channel c to channel c
    frame_dist = (out[:, :, None] - clip[:, None]).pow(2).mean(dim=(0, 3, 4))  # (T, T)
    assert torch.equal(frame_dist.argmin(dim=1), torch.arange(t))
    chan_dist = (out[:, None] - clip[None]).pow(2).mean(dim=(2, 3, 4))  # (3, 3)
    assert torch.equal(chan_dist.argmin(dim=1), torch.arange(3))

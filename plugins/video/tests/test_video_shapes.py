"""Moving shapes: real .avi in the UCF101 layout, split lists by group, deterministic, motion-only classes."""

import hashlib

import numpy as np

from ddif_video.decode import read_clip
from ddif_video.shapes import MOTIONS, render_clip, held_out_groups, write_dataset
from ddif_video.ucf101 import find_layout, read_split
from video_files import one_thread  # noqa: F401 (fixtures)


def _digest(root):
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_written_in_the_ucf101_layout_and_read_back(tmp_path):
    root = tmp_path / "shapes"
    write_dataset(root, classes=3, per_class=4, seed=0, width=64, height=48, length=12)
    layout = find_layout(root)
    train, test = read_split(layout, "train", 1), read_split(layout, "test", 1)
    assert train.class_names == MOTIONS[:3]
    assert len(train.sources) + len(test.sources) == 12
    assert {p.name[-11:-4] for p in test.sources} == {"g01_c01"}  # 4 groups: group 1 held out in split 1
    assert b"\r\n" in (root / "ucfTrainTestlist" / "trainlist01.txt").read_bytes()
    clip = read_clip(train.sources[0], frames=4, step=2, size=16)
    assert clip.shape == (4, 16, 16, 3) and clip.std() > 5


def test_same_seed_same_bytes_other_seed_other_clips(tmp_path):
    kw = dict(classes=2, per_class=2, width=32, height=32, length=8)
    write_dataset(tmp_path / "a", seed=3, **kw)
    write_dataset(tmp_path / "b", seed=3, **kw)
    write_dataset(tmp_path / "c", seed=4, **kw)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_test_groups_follow_ucf101():
    assert [list(held_out_groups(s, 25)) for s in (1, 2, 3)] == [list(range(1, 8)), list(range(8, 15)), list(range(15, 22))]
    assert all(len(held_out_groups(s, g)) >= 1 for s in (1, 2, 3) for g in range(2, 26))


def test_classes_differ_by_motion_not_appearance():
    """The mean colour of a clip says nothing about its class; how it changes over time does."""
    means, motion = {}, {}
    for label in range(len(MOTIONS)):
        clips = [render_clip(label, np.random.default_rng([9, label, i]), 64, 48, 16).astype(float) for i in range(6)]
        means[label] = np.mean([c.mean() for c in clips])
        motion[label] = np.mean([np.abs(np.diff(c, axis=0)).mean() for c in clips])
    spread = np.std(list(means.values()))
    assert spread < 15, means  # appearance is drawn from one distribution in every class
    assert all(v > 0.2 for v in motion.values()), motion  # every class moves


def test_the_background_texture_is_faint():
    """With the shape hidden (Blink), what is left varies little across the frame: motion, not a textured
    background, must be the strongest signal (version 1's texture, 18 levels on average, let ConvNet3D memorise
    appearance and stay at chance on held-out clips)."""
    label = MOTIONS.index("Blink")
    stds = []
    for i in range(8):
        clip = render_clip(label, np.random.default_rng([9, label, i]), 64, 48, 16).astype(float)
        emptiest = clip[np.argmin([np.abs(f - np.median(f, axis=(0, 1))).mean() for f in clip])]
        stds.append(emptiest.std(axis=(0, 1)).mean())
    assert np.mean(stds) < 10, stds

"""The UCF101 layout (classInd, CRLF split lists, splits 1-3, root or parent), MiniUCF's CSV, bad lists."""

from pathlib import Path

import pytest

from ddif_core import DataError
from ddif_video.ucf101 import find_layout, parse_clip_name, read_class_index, read_csv_split, read_split

from video_files import CLASSES, make_frame_tree
from video_files import one_thread, ucf_root  # noqa: F401 (fixtures)


def test_split_lists_in_classind_order_from_root_parent_or_video_folder(ucf_root, tmp_path):
    for given in (ucf_root, ucf_root / "UCF-101"):
        layout = find_layout(given)
        train = read_split(layout, "train", 2)
        test = read_split(layout, "test", 2)
        assert train.class_names == CLASSES
        assert len(train.sources) == 9 and len(test.sources) == 3
        assert sorted(set(train.labels)) == [0, 1, 2]
        assert all(p.suffix == ".avi" and p.is_file() for p in train.sources)
        assert test.sources[1].name == "v_Basketball_g01_c01.avi" and test.labels[1] == 1
    parent = tmp_path / "datasets"
    parent.mkdir()
    ucf_root.rename(parent / "UCF101")
    assert find_layout(parent).lists == parent / "UCF101" / "ucfTrainTestlist"


def test_class_subset_relabels_in_the_given_order(ucf_root):
    clips = read_split(find_layout(ucf_root), "train", 1, ("YoYo", "ApplyEyeMakeup"))
    assert clips.class_names == ("YoYo", "ApplyEyeMakeup")
    assert sorted(set(clips.labels)) == [0, 1]
    assert all(("YoYo" in p.name) == (lab == 0) for p, lab in zip(clips.sources, clips.labels))
    with pytest.raises(DataError, match="modality.classes names Nope, missing from .*classInd.txt"):
        read_split(find_layout(ucf_root), "train", 1, ("Nope",))


def test_bad_lists_name_the_file_and_line(ucf_root):
    lists = ucf_root / "ucfTrainTestlist"
    train = lists / "trainlist01.txt"
    lines = train.read_bytes().split(b"\r\n")
    train.write_bytes(b"\r\n".join([lines[0], b"Fencing/v_Fencing_g02_c01.avi 2", *lines[1:]]))
    with pytest.raises(DataError, match=r"trainlist01.txt line 2 names class Fencing, missing from .*classInd.txt"):
        read_split(find_layout(ucf_root), "train", 1)
    train.write_bytes(b"\r\n".join([lines[0], b"YoYo/v_YoYo_g09_c01.avi 3", *lines[1:]]))
    with pytest.raises(DataError, match=r"trainlist01.txt line 2 lists YoYo/v_YoYo_g09_c01.avi, but neither"):
        read_split(find_layout(ucf_root), "train", 1)
    train.write_bytes(b"\r\n".join([lines[0], b"YoYo/v_YoYo_g02_c01.avi 1", *lines[1:]]))
    with pytest.raises(DataError, match=r"line 2 gives label 1 to YoYo/v_YoYo_g02_c01.avi; classInd.txt numbers YoYo 3"):
        read_split(find_layout(ucf_root), "train", 1)
    (lists / "classInd.txt").write_bytes(b"1 ApplyEyeMakeup\r\n3 Basketball\r\n")
    with pytest.raises(DataError, match=r"classInd.txt line 2 numbers class Basketball 3; expected 2"):
        read_class_index(lists / "classInd.txt")
    (lists / "classInd.txt").unlink()
    with pytest.raises(DataError, match="has no ucfTrainTestlist/classInd.txt"):
        find_layout(ucf_root)


def test_miniucf_csv_over_frame_folders(tmp_path):
    root = make_frame_tree(tmp_path / "frames")
    csv = root / "miniucf_split.csv"
    train = read_csv_split(csv, root, "train")
    test = read_csv_split(csv, root, "test")
    assert train.class_names == tuple(sorted(CLASSES))
    assert len(train.sources) == 6 and len(test.sources) == 3
    assert all(p.is_dir() for p in train.sources)
    csv.write_text(csv.read_text() + "v_Basketball_g09_c01,0,train\n")
    with pytest.raises(DataError, match=r"line 11 gives label 0 to class Basketball, which earlier lines give to ApplyEyeMakeup"):
        read_csv_split(csv, root, "train")
    csv.write_text("v_YoYo_g01_c01,2,validation\n")
    with pytest.raises(DataError, match=r"line 1 reads .*expected folder_name,label,train\|test"):
        read_csv_split(csv, root, "train")


def test_clip_names():
    assert parse_clip_name("v_HandStandPushups_g08_c03") == ("HandStandPushups", 8, 3)
    assert parse_clip_name("clip_01") is None

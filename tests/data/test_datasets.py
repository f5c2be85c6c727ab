"""Training dataset loaders on tiny fake layouts, plus the shared OTB-style sequences."""
import csv
import re
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from sasiam.data import datasets
from sasiam.data.datasets import (
    DatasetWarning,
    Track,
    load_dataset,
    load_got10k,
    load_lasot,
    load_otb_folder,
    load_vid,
    split_tracks,
    usable,
)
from sasiam.errors import InputSourceError

TINY = np.full((8, 8, 3), 127, np.uint8)


def write_frames(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        assert cv2.imwrite(str(folder / name), TINY)


@pytest.fixture
def no_image_reads(monkeypatch):
    """Loading must only list frame files, never decode them."""

    def refuse(*args, **kwargs):
        raise AssertionError("a dataset loader opened a frame file")

    monkeypatch.setattr(cv2, "imread", refuse)


def test_usable():
    boxes = np.array(
        [[0, 0, 10, 10], [0, 0, 2, 2], [0, 0, 1.9, 5], [0, 0, 5, 0], [np.nan] * 4, [1, np.inf, 3, 3], [-5, -5, 4, 4]]
    )
    assert usable(boxes).tolist() == [True, True, False, False, False, False, True]
    assert usable(boxes, min_size=5).tolist() == [True, False, False, False, False, False, False]


# ----------------------------------------------------------------------------- ImageNet VID


def vid_xml(objects: list[tuple[int, tuple[int, int, int, int], int]]) -> str:
    parts = ["<annotation><folder>x</folder><filename>f</filename><size><width>8</width><height>8</height></size>"]
    for trackid, (xmin, ymin, xmax, ymax), occluded in objects:
        parts.append(
            f"<object><trackid>{trackid}</trackid><name>n01503061</name><bndbox><xmax>{xmax}</xmax>"
            f"<xmin>{xmin}</xmin><ymax>{ymax}</ymax><ymin>{ymin}</ymin></bndbox>"
            f"<occluded>{occluded}</occluded><generated>0</generated></object>"
        )
    parts.append("</annotation>")
    return "".join(parts)


def make_vid(root: Path, videos: dict[str, list[list]]) -> None:
    for relative, frames in videos.items():
        annotation_dir = root / "Annotations" / "VID" / "train" / relative
        annotation_dir.mkdir(parents=True)
        write_frames(root / "Data" / "VID" / "train" / relative, [f"{i:06d}.JPEG" for i in range(len(frames))])
        for index, objects in enumerate(frames):
            (annotation_dir / f"{index:06d}.xml").write_text(vid_xml(objects))


VIDEO_A = "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000"
VIDEO_B = "ILSVRC2015_VID_train_0001/ILSVRC2015_train_00001000"


@pytest.fixture
def vid_root(tmp_path):
    root = tmp_path / "ILSVRC2015"
    make_vid(
        root,
        {
            # object 0 throughout (occluded in frame 1), object 1 leaves after frame 1
            VIDEO_A: [
                [(0, (10, 20, 50, 80), 0), (1, (100, 100, 130, 110), 0)],
                [(0, (12, 22, 52, 82), 1), (1, (101, 100, 131, 110), 0)],
                [(0, (14, 24, 54, 84), 0)],
                [(0, (16, 26, 56, 86), 0)],
            ],
            # object 0 has a degenerate box in frame 1; object 5 appears once only
            VIDEO_B: [
                [(0, (0, 0, 9, 9), 0)],
                [(0, (0, 0, 1, 9), 0), (5, (3, 3, 6, 6), 0)],
                [(0, (1, 1, 10, 10), 0)],
            ],
        },
    )
    return root


def test_vid_tracks(vid_root, no_image_reads):
    tracks = load_vid(vid_root)
    by_name = {t.name: t for t in tracks}
    assert sorted(by_name) == [
        "ILSVRC2015_train_00000000/obj0",
        "ILSVRC2015_train_00000000/obj1",
        "ILSVRC2015_train_00001000/obj0",
    ]  # obj5 has a single visible frame: skipped
    a0, a1 = by_name["ILSVRC2015_train_00000000/obj0"], by_name["ILSVRC2015_train_00000000/obj1"]
    assert a0.boxes.dtype == np.float64 and a0.boxes.shape == (4, 4)
    np.testing.assert_array_equal(a0.boxes[0], [10, 20, 40, 60])  # x=xmin, y=ymin, w=xmax-xmin, h=ymax-ymin
    np.testing.assert_array_equal(a0.boxes[3], [16, 26, 40, 60])
    assert a0.visible.tolist() == [True, True, True, True]  # occluded stays visible by default
    assert len(a1) == 4  # all frames of the video, not just those with the object
    assert a1.visible.tolist() == [True, True, False, False]
    np.testing.assert_array_equal(a1.boxes[1], [101, 100, 30, 10])
    assert np.isnan(a1.boxes[2:]).all()
    assert a1.frame_paths == a0.frame_paths
    expected = vid_root / "Data" / "VID" / "train" / VIDEO_A / "000002.JPEG"
    assert a0.frame_paths[2] == expected and expected.is_file()
    b0 = by_name["ILSVRC2015_train_00001000/obj0"]
    assert b0.visible.tolist() == [True, False, True]
    assert a0.sequence == "ILSVRC2015_train_00000000"


def test_vid_exclude_occluded_and_missing_jpeg(vid_root):
    (vid_root / "Data" / "VID" / "train" / VIDEO_B / "000002.JPEG").unlink()
    with pytest.warns(DatasetWarning, match="missing their JPEG"):
        tracks = load_vid(vid_root, exclude_occluded=True)
    by_name = {t.name: t for t in tracks}
    assert by_name["ILSVRC2015_train_00000000/obj0"].visible.tolist() == [True, False, True, True]
    # video B lost frame 2, leaving obj0 with one visible frame
    assert "ILSVRC2015_train_00001000/obj0" not in by_name


def test_vid_bad_xml_names_file(vid_root):
    bad = vid_root / "Annotations" / "VID" / "train" / VIDEO_A / "000001.xml"
    bad.write_text("<annotation><object>")
    with pytest.raises(InputSourceError, match="000001.xml"):
        load_vid(vid_root)


# ----------------------------------------------------------------------------- GOT-10k


def make_got_sequence(split_dir: Path, name: str, boxes, absence, cover) -> None:
    folder = split_dir / name
    write_frames(folder, [f"{i:08d}.jpg" for i in range(1, len(boxes) + 1)])
    (folder / "groundtruth.txt").write_text("".join(",".join(f"{v:.4f}" for v in b) + "\n" for b in boxes))
    (folder / "absence.label").write_text("".join(f"{v}\n" for v in absence))
    (folder / "cover.label").write_text("".join(f"{v}\n" for v in cover))


@pytest.fixture
def got_root(tmp_path):
    root = tmp_path / "GOT-10k"
    split_dir = root / "train"
    boxes = [[10, 10, 20, 30], [11, 10, 20, 30], [0, 0, 0, 0], [12.5, 10, 20, 30], [13, 10, 1, 30]]
    make_got_sequence(split_dir, "GOT-10k_Train_000001", boxes, [0, 0, 1, 0, 0], [8, 0, 0, 5, 8])
    make_got_sequence(split_dir, "GOT-10k_Train_000002", boxes[:3], [0, 1, 1], [8, 0, 0])  # one visible frame
    make_got_sequence(split_dir, "GOT-10k_Train_000003", boxes[:2], [0, 0], [3, 8])
    (split_dir / "list.txt").write_text("GOT-10k_Train_000001\nGOT-10k_Train_000002\nGOT-10k_Train_000003\n")
    return root


def test_got10k_tracks(got_root, no_image_reads):
    tracks = load_got10k(got_root)
    assert [t.name for t in tracks] == ["GOT-10k_Train_000001", "GOT-10k_Train_000003"]
    first = tracks[0]
    assert len(first) == 5 and first.boxes.shape == (5, 4)
    np.testing.assert_array_equal(first.boxes[3], [12.5, 10, 20, 30])
    # frame 2 covered (cover 0), frame 3 absent, frame 5 box too thin
    assert first.visible.tolist() == [True, False, False, True, False]
    assert first.frame_paths[0].name == "00000001.jpg"
    assert first.frame_paths[-1] == got_root / "train" / "GOT-10k_Train_000001" / "00000005.jpg"


def test_got10k_partial_download_and_mismatch(got_root):
    split_dir = got_root / "train"
    (split_dir / "list.txt").write_text("GOT-10k_Train_000001\nGOT-10k_Train_000003\nGOT-10k_Train_009999\n")
    (split_dir / "GOT-10k_Train_000001" / "cover.label").write_text("8\n0\n0\n5\n")  # one label short
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tracks = load_got10k(got_root)
    messages = [str(w.message) for w in caught if issubclass(w.category, DatasetWarning)]
    assert any("GOT-10k_Train_009999" in m for m in messages)
    assert any("GOT-10k_Train_000001" in m and "truncated" in m for m in messages)
    assert [len(t) for t in tracks] == [4, 2]


# ----------------------------------------------------------------------------- LaSOT


def make_lasot_sequence(root: Path, name: str, n: int, occlusion, out_of_view) -> None:
    folder = root / name.rsplit("-", 1)[0] / name
    write_frames(folder / "img", [f"{i:08d}.jpg" for i in range(1, n + 1)])
    (folder / "groundtruth.txt").write_text("".join(f"{5 + i},{6 + i},{30},{40}\n" for i in range(n)))
    (folder / "full_occlusion.txt").write_text(",".join(str(v) for v in occlusion))
    (folder / "out_of_view.txt").write_text(",".join(str(v) for v in out_of_view))
    (folder / "nlp.txt").write_text("an object\n")


@pytest.fixture
def lasot_root(tmp_path):
    root = tmp_path / "LaSOT"
    make_lasot_sequence(root, "airplane-1", 4, [0, 0, 1, 0], [0, 0, 0, 1])
    make_lasot_sequence(root, "airplane-12", 3, [0, 0, 0], [0, 0, 0])
    make_lasot_sequence(root, "cat-3", 3, [1, 1, 0], [0, 0, 0])  # one visible frame
    make_lasot_sequence(root, "cat-4", 2, [0, 0], [0, 0])
    return root


def test_lasot_tracks(lasot_root, no_image_reads):
    tracks = load_lasot(lasot_root, subset="all")
    assert [t.name for t in tracks] == ["airplane-1", "airplane-12", "cat-4"]
    airplane = tracks[0]
    assert airplane.visible.tolist() == [True, True, False, False]
    np.testing.assert_array_equal(airplane.boxes[1], [6, 7, 30, 40])
    assert airplane.frame_paths[0] == lasot_root / "airplane" / "airplane-1" / "img" / "00000001.jpg"


def test_lasot_selection(lasot_root):
    assert [t.name for t in load_lasot(lasot_root, categories=["cat"], subset="all")] == ["cat-4"]
    assert [t.name for t in load_lasot(lasot_root, names=["airplane-12", "cat-4"])] == ["airplane-12", "cat-4"]
    with pytest.warns(DatasetWarning, match="training_set.txt"):
        assert len(load_lasot(lasot_root)) == 3  # no split list: everything, with a warning
    (lasot_root / "training_set.txt").write_text("airplane-1\nairplane-12\n")
    (lasot_root / "testing_set.txt").write_text("cat-3\ncat-4\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetWarning)
        assert [t.name for t in load_lasot(lasot_root)] == ["airplane-1", "airplane-12"]
        assert [t.name for t in load_lasot(lasot_root, subset="test")] == ["cat-4"]


# ----------------------------------------------------------------------------- OTB layout, dispatch, splits


def test_otb_folder_nan_and_truncation(tmp_path, no_image_reads):
    root = tmp_path / "otb"
    write_frames(root / "Seq2" / "img", [f"{i:04d}.jpg" for i in range(1, 6)])
    (root / "Seq2" / "groundtruth_rect.txt").write_text("1,2,10,10\nNaN,NaN,NaN,NaN\n3,4,10,10\n5,6,10,10\n")
    write_frames(root / "Seq10" / "img", [f"{i:04d}.jpg" for i in range(1, 4)])
    (root / "Seq10" / "groundtruth_rect.txt").write_text("1\t2\t10\t10\n1\t2\t10\t10\n1\t2\t10\t10\n")
    (root / "notes").mkdir()  # not a sequence: ignored
    with pytest.warns(DatasetWarning, match=r"Seq2 \(frames=5, boxes=4\)"):
        tracks = load_otb_folder(root)
    assert [t.name for t in tracks] == ["Seq2", "Seq10"]
    assert len(tracks[0]) == 4 and tracks[0].visible.tolist() == [True, False, True, True]
    assert [t.name for t in load_otb_folder(root / "Seq10")] == ["Seq10"]  # a single sequence works too


@pytest.mark.parametrize("kind", ["otb", "vid", "got10k", "lasot"])
def test_missing_root(tmp_path, kind):
    missing = tmp_path / "nowhere" / kind
    with pytest.raises(InputSourceError, match=re.escape(str(missing))):
        load_dataset(kind, missing)


@pytest.mark.parametrize(
    "kind, missing",
    [
        ("otb", ""),
        ("vid", "Annotations/VID/train"),
        ("got10k", "train"),
        ("lasot", ""),
    ],
)
def test_wrong_layout_names_what_is_missing(tmp_path, kind, missing):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputSourceError, match=re.escape(str(tmp_path / "empty" / missing))):
        load_dataset(kind, tmp_path / "empty")


def test_got10k_missing_list_names_it(tmp_path):
    (tmp_path / "got" / "train").mkdir(parents=True)
    with pytest.raises(InputSourceError, match="list.txt"):
        load_got10k(tmp_path / "got")


def test_dispatch_and_split(got_root, vid_root):
    assert [t.name for t in load_dataset("got10k", got_root)] == [t.name for t in load_got10k(got_root)]
    assert len(load_dataset("GOT-10k", got_root, split="train")) == 2
    with pytest.raises(ValueError, match="unknown dataset kind"):
        load_dataset("coco", got_root)
    vid = load_vid(vid_root)
    kept = split_tracks(vid, ["ILSVRC2015_train_00000000"])
    assert [t.name for t in kept] == ["ILSVRC2015_train_00000000/obj0", "ILSVRC2015_train_00000000/obj1"]
    assert [t.name for t in split_tracks(vid, {"ILSVRC2015_train_00001000/obj0"})] == ["ILSVRC2015_train_00001000/obj0"]
    assert split_tracks(load_got10k(got_root), ["GOT-10k_Train_000003"])[0].name == "GOT-10k_Train_000003"
    assert isinstance(kept[0], Track)


# ----------------------------------------------------------------------------- real data


def test_shared_sequences(shared_sequences, no_image_reads):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetWarning)
        tracks = load_otb_folder(shared_sequences)
    with open(shared_sequences / "MANIFEST.tsv", newline="") as handle:
        manifest = {row["name"]: int(row["frames"]) for row in csv.DictReader(handle, delimiter="\t")}
    by_name = {t.name: t for t in tracks}
    assert len(tracks) == 22 and set(by_name) == set(manifest)
    for name, frames in manifest.items():
        track = by_name[name]
        assert len(track) == len(track.boxes) == len(track.visible) == frames, name
        assert track.frame_paths[-1].is_file()
    skiing = by_name["votlt_skiing_half"]
    assert np.count_nonzero(~skiing.visible) == 228
    assert np.isnan(skiing.boxes[~skiing.visible]).all()
    assert all(t.visible.all() for name, t in by_name.items() if name != "votlt_skiing_half")
    assert datasets.load_dataset("otb", shared_sequences)[0].name == tracks[0].name

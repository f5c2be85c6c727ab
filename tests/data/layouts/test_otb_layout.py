"""The OTB layout: which folders are sequences and which ground-truth file each reader takes."""
import csv

import numpy as np
import pytest

from layout_files import touch_frames, write_lines
from sasiam.data.layouts import otb
from sasiam.errors import InputSourceError


def test_the_shared_sequences_are_otb_layout(shared_sequences):
    with open(shared_sequences / "MANIFEST.tsv", newline="") as handle:
        manifest = {row["name"]: int(row["frames"]) for row in csv.DictReader(handle, delimiter="\t")}
    folders = otb.sequence_folders(shared_sequences)
    assert {f.name for f in folders} == set(manifest)
    raw = otb.read_sequence(shared_sequences / "Crossing")
    assert len(raw.frames) == len(raw.boxes) == manifest["Crossing"] and raw.frames[0].parent.name == "img"
    assert otb.read_attributes(shared_sequences / "Crossing") == ["SV", "DEF", "FM", "OPR", "BC"]
    assert otb.sequence_folders(shared_sequences / "Crossing") == [shared_sequences / "Crossing"]


def test_sequence_and_ground_truth_rules(tmp_path):
    # frames beside the ground truth: a sequence for the benchmarks and `sasiam track`, not for training
    touch_frames(tmp_path / "flat", range(1, 4))
    write_lines(tmp_path / "flat" / "groundtruth_rect.txt", ["1,2,3,4"] * 3)
    assert otb.frame_folder(tmp_path / "flat") == tmp_path / "flat" and not otb.is_sequence(tmp_path / "flat")
    # an empty groundtruth_rect.txt beside a full groundtruth.txt: the first that exists, or the first with content
    touch_frames(tmp_path / "Woman" / "img", range(1, 4), width=4)
    write_lines(tmp_path / "Woman" / "groundtruth_rect.txt", [])
    write_lines(tmp_path / "Woman" / "groundtruth.txt", ["1,2,3,4"] * 3)
    assert otb.groundtruth_file(tmp_path / "Woman") == tmp_path / "Woman" / "groundtruth_rect.txt"
    children = otb.child_folders(tmp_path)
    assert otb.target_files("Woman", children) == (tmp_path / "Woman", tmp_path / "Woman" / "groundtruth.txt")
    assert otb.target_files("Walking", children) is None
    (tmp_path / ".cache").mkdir()
    assert list(otb.subfolders(tmp_path)) == ["Woman", "flat"]
    assert otb.sequence_folders(tmp_path) == [tmp_path / "Woman"]


def test_two_targets_and_frame_ranges(tmp_path):
    assert len(otb.targets("otb2013")) == 51 and len(otb.targets("otb100")) == 100
    assert otb.split_target("Jogging-2") == ("Jogging", "2") and otb.split_target("Car-1") == ("Car-1", "")
    write_lines(tmp_path / "Jogging" / "groundtruth_rect.2.txt", ["1,2,3,4"])
    (tmp_path / "Jogging" / "attributes.txt").write_text("OCC, DEF\n")
    children = otb.child_folders(tmp_path)
    assert otb.target_files("Jogging-2", children) == (tmp_path / "Jogging",
                                                        tmp_path / "Jogging" / "groundtruth_rect.2.txt")
    assert otb.target_files("Jogging-1", children) is None
    assert otb.target_attributes("Jogging-2", tmp_path / "Jogging-2") == ["OCC", "DEF"]

    boxes = np.arange(354 * 4, dtype=float).reshape(-1, 4)
    frames = touch_frames(tmp_path / "Tiger1" / "img", range(1, 355), width=4)
    cut_frames, cut_boxes = otb.evaluated_range("Tiger1", frames, boxes, tmp_path)
    assert cut_frames[0].name == "0006.jpg" and len(cut_frames) == 349
    np.testing.assert_array_equal(cut_boxes, boxes[5:])
    assert otb.evaluated_range("Crossing", frames, boxes, tmp_path) == (frames, boxes)
    with pytest.raises(InputSourceError, match="Tiger1 is evaluated on frames 6-354"):
        otb.evaluated_range("Tiger1", frames, boxes[:100], tmp_path)

"""The polygon-to-box rules, each with its exact numbers for its caller, and the shared text formats."""
import numpy as np
import pytest

from conftest import shared_sequence
from sasiam.data.layouts.annotations import (area_preserving_box, bounding_box, read_boxes, read_flag_files,
                                             read_flags, read_values)
from sasiam.errors import InputSourceError
from sasiam.evaluation.vot import Polygon, read_trajectory, region_to_box

DIAMOND = [5.0, 0.0, 10.0, 5.0, 5.0, 10.0, 0.0, 5.0]  # a square of side sqrt(50) turned 45 degrees
UPRIGHT = [0.0, 0.0, 10.0, 0.0, 10.0, 5.0, 0.0, 5.0]


def test_the_two_rules_on_worked_examples():
    assert bounding_box(DIAMOND) == (0.0, 0.0, 10.0, 10.0)
    # area 50 of a 10 x 10 min/max box: sides scaled by sqrt(1/2), + 1, centred on (5, 5)
    side = 10 * np.sqrt(0.5) + 1
    np.testing.assert_allclose(area_preserving_box(DIAMOND), [5 - side / 2, 5 - side / 2, side, side])
    # an upright rectangle: the same box, grown by 1 px around the centre
    assert bounding_box(UPRIGHT) == (0.0, 0.0, 10.0, 5.0)
    np.testing.assert_array_equal(area_preserving_box(UPRIGHT), [-0.5, -0.5, 11.0, 6.0])
    np.testing.assert_array_equal(area_preserving_box([DIAMOND, UPRIGHT])[1], [-0.5, -0.5, 11.0, 6.0])
    assert np.isnan(area_preserving_box([1.0, 1.0] * 4)).all()  # degenerate: not scored


def test_bounding_box_is_how_the_shared_rect_files_were_made():
    for name in ("vot_bag", "vot_ball1"):
        folder = shared_sequence(name)
        np.testing.assert_allclose(read_boxes(folder / "groundtruth_original.txt"),
                                   read_boxes(folder / "groundtruth_rect.txt"), atol=1e-9)


def test_area_preserving_box_is_got10k_corner2rect():
    got10k_vot = pytest.importorskip("got10k.datasets.vot")
    path = shared_sequence("vot_bag") / "groundtruth_original.txt"
    corners = np.array(read_values(path))
    theirs = got10k_vot.VOT._corner2rect(None, corners)
    np.testing.assert_array_equal(area_preserving_box(corners), theirs)
    np.testing.assert_array_equal(read_boxes(path, area_preserving_box), theirs)  # row by row, same numbers


def test_region_to_box_is_the_bounding_box_of_the_float32_vertices():
    regions = read_trajectory(shared_sequence("vot_bag") / "groundtruth_original.txt")
    for region in regions[:20]:
        flat = [float(np.float32(v)) for point in region.points for v in point]
        assert region_to_box(region) == bounding_box(flat)
    assert region_to_box(Polygon(((0.1, 0.2), (3.0, 0.2), (3.0, 4.0)))) == bounding_box(
        [float(np.float32(v)) for v in (0.1, 0.2, 3.0, 0.2, 3.0, 4.0)])


def test_text_formats(tmp_path):
    boxes = tmp_path / "boxes.txt"
    boxes.write_text("1,2,3,4\n\n5\t6 7,8\nNaN,NaN,NaN,NaN\n" + ",".join(map(str, UPRIGHT)) + "\n")
    read = read_boxes(boxes)
    assert read.shape == (4, 4) and read.dtype == np.float64 and np.isnan(read[2]).all()
    np.testing.assert_array_equal(read[3], bounding_box(UPRIGHT))
    boxes.write_text("1,2,3,4\n1,2,3\n")
    with pytest.raises(InputSourceError, match=r"boxes.txt:2: expected 4 \(x,y,w,h\) or 8"):
        read_boxes(boxes)
    boxes.write_text("1,2,x,4\n")
    with pytest.raises(InputSourceError, match="boxes.txt:1: not a list of numbers"):
        read_values(boxes)

    (tmp_path / "a.label").write_text("0\n1\n1.0\n")
    (tmp_path / "b.txt").write_text("0,0,1,\n")
    assert read_flags(tmp_path / "a.label").tolist() == [0, 1, 1]
    assert read_flags(tmp_path / "b.txt").tolist() == [0, 0, 1]
    flags = read_flag_files(tmp_path, {"a": "a.label", "b": "b.txt", "c": "c.txt"})
    assert list(flags) == ["a", "b"] and flags["a"].dtype == np.int64
    (tmp_path / "a.label").write_text("0\nyes\n")
    with pytest.raises(InputSourceError, match="a.label: expected integer per-frame labels"):
        read_flags(tmp_path / "a.label")

"""UAV123 and TC128: sequences that are frame ranges of a folder."""
import numpy as np
import pytest

from layout_files import touch_frames, write_lines
from sasiam.data.layouts import tc128, uav123
from sasiam.errors import InputSourceError


def test_uav123_ranges_of_one_folder(tmp_path):
    reader = uav123.Reader(tmp_path)
    assert len(reader.names()) == 123 and reader.ranges["bird1_2"] == ("bird1", 775, 1477)
    assert reader.read("bird1_2") is None  # absent
    touch_frames(tmp_path / "data_seq" / "UAV123" / "bird1", range(770, 1480), width=6)
    write_lines(reader.annotation_file("bird1_2"), ["1,2,3,4"] * 702 + ["NaN,NaN,NaN,NaN"])
    raw = reader.read("bird1_2")
    assert raw.frames[0].name == "000775.jpg" and len(raw.frames) == len(raw.boxes) == 703
    assert np.isnan(raw.boxes[-1]).all()
    write_lines(reader.annotation_file("bird1_3"), ["1,2,3,4"])
    with pytest.raises(InputSourceError, match="bird1_3 needs frames 001573.jpg-002437.jpg"):
        reader.read("bird1_3")


def test_tc128_frame_range_file(tmp_path):
    touch_frames(tmp_path / "Ball_ce2" / "img", range(1, 13), width=4)
    write_lines(tmp_path / "Ball_ce2" / "Ball_ce2_gt.txt", ["1,2,3,4"] * 8)
    (tmp_path / "empty").mkdir()
    assert tc128.sequence_folders(tmp_path) == {"Ball_ce2": tmp_path / "Ball_ce2"}
    with pytest.raises(InputSourceError, match="no Ball_ce2_frames.txt"):
        tc128.read_sequence(tmp_path / "Ball_ce2", "Ball_ce2")
    write_lines(tmp_path / "Ball_ce2" / "Ball_ce2_frames.txt", ["3,10"])
    raw = tc128.read_sequence(tmp_path / "Ball_ce2", "Ball_ce2")
    assert [p.name for p in raw.frames] == [f"{n:04d}.jpg" for n in range(3, 11)] and len(raw.boxes) == 8

"""Outputs of a tracking run on a disk that is full from the start or fills up midway
(a real tmpfs, see tests/disk_faults.py): one clear OutputError, never a silent
half-written file, and a previous boxes file left as it was."""
import cv2
import numpy as np
import pytest

from conftest import shared_sequence
from disk_faults import fill, small_disk  # noqa: F401  (small_disk is a fixture)
from sasiam.errors import OutputError
from sasiam.tracking.runner import AnnotatedVideoWriter, write_boxes


@pytest.fixture(scope="module")
def frame(shared_sequences):
    return cv2.imread(str(sorted((shared_sequence("vot_ball1") / "img").iterdir())[0]))  # 1280 x 720


def test_boxes_file_on_a_full_disk_fails_and_keeps_the_previous_file(small_disk):
    path = small_disk / "boxes.txt"
    write_boxes(path, np.ones((3, 4)))
    before = path.read_text()
    fill(small_disk)
    with pytest.raises(OutputError, match=r"boxes.txt: cannot write the boxes file: No space left on device"):
        write_boxes(path, np.full((5000, 4), 2.0))
    assert path.read_text() == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["boxes.txt", "filler"]


def test_video_on_a_disk_already_full_fails_before_the_first_frame(small_disk):
    fill(small_disk)
    with pytest.raises(OutputError, match=r"out.avi: cannot write the annotated video: No space left on device"):
        AnnotatedVideoWriter(small_disk / "out.avi", 25)


def test_video_that_fills_the_disk_midway_is_reported_incomplete(small_disk, frame):
    fill(small_disk, leave=2 << 20)
    writer = AnnotatedVideoWriter(small_disk / "out.avi", 25)
    noise = np.random.default_rng(0).integers(0, 256, frame.shape, dtype=np.uint8)  # ~1 MB per MJPG frame
    for index in range(20):
        writer.write(noise if index % 2 else frame, (10, 10, 50, 50), f"frame {index + 1}")
    with pytest.raises(OutputError, match=r"the annotated video is incomplete \(\d+ of 20 frames stored; disk full"):
        writer.close()


def test_video_writer_keeps_the_frame_count(tmp_path, frame):
    writer = AnnotatedVideoWriter(tmp_path / "ok.avi", 25)
    for index in range(6):
        writer.write(frame, (10, 10, 50, 50))
    writer.repeat("frame 7: undecodable, box kept")
    writer.close()  # reads the file back: 7 frames
    capture = cv2.VideoCapture(str(tmp_path / "ok.avi"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 7

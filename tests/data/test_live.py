"""The live reader and its one-frame buffer on real frames through the real cv2.VideoCapture,
an MJPEG stream over local HTTP, and the GUI checks against this machine's OpenCV."""
import socket
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import shared_sequence
from live_streams import MJPEGServer, sequence_frames, write_video
from sasiam.data.live import (CaptureSource, FrameReader, IteratorSource, LatestFrameBuffer, LiveInput,
                              open_live_source, parse_live_input)
from sasiam.errors import InputSourceError, SASiamError
from sasiam.tracking import gui

FRAMES = 120


@pytest.fixture(scope="module")
def crossing_video(tmp_path_factory) -> Path:
    frames = sequence_frames(shared_sequence("Crossing"), FRAMES)
    return write_video(tmp_path_factory.mktemp("live") / "crossing.mp4", frames, fps=30)


def decoded_frames(video: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


def capture_source(video: Path) -> CaptureSource:
    capture = cv2.VideoCapture(str(video))
    assert capture.isOpened()
    return CaptureSource(capture, video.name)


def test_parse_live_input():
    assert parse_live_input("0") == LiveInput("camera", 0)
    assert parse_live_input("12").label == "camera 12" and parse_live_input("12").default_name == "camera12"
    url = parse_live_input("rtsp://user@cam.local:554/live/ch1.sdp?tcp")
    assert url == LiveInput("url", "rtsp://user@cam.local:554/live/ch1.sdp?tcp") and url.default_name == "ch1"
    assert parse_live_input("http://10.0.0.2:8080/").default_name == "10.0.0.2_8080"
    for path in ("clip.mp4", "./0", "../shared/sequences/Crossing", "file:///tmp/a.mp4"):
        assert parse_live_input(path) is None


def test_a_slow_consumer_gets_the_newest_frame_and_the_rest_are_counted_dropped(crossing_video):
    expected = decoded_frames(crossing_video)
    assert len(expected) == FRAMES
    buffer = LatestFrameBuffer(drop=True)
    reader = FrameReader(capture_source(crossing_video), buffer)
    reader.start()
    time.sleep(0.5)  # long enough to decode the whole file, were the first frame not held
    index, frame = buffer.take()
    assert index == 0 and np.array_equal(frame, expected[0])  # the first frame is held until taken
    reader.join(30)  # the consumer "tracks" while the whole file is read behind its back
    assert not reader.is_alive() and reader.error is None
    assert buffer.pending == 1 and buffer.stats.peak_pending == 1
    index, frame = buffer.take()
    assert index == FRAMES - 1 and np.array_equal(frame, expected[-1])
    assert buffer.take() is None  # finished and empty
    stats = buffer.stats
    assert (stats.read, stats.taken, stats.dropped) == (FRAMES, 2, FRAMES - 2)


def test_paced_reader_plays_a_file_at_its_rate_and_drops_what_a_slow_tracker_misses(crossing_video):
    fps = 60.0  # twice the file's rate: the same logic, half the test time
    buffer = LatestFrameBuffer(drop=True)
    reader = FrameReader(capture_source(crossing_video), buffer, pace_fps=fps)
    reader.start()
    taken = []
    start = None
    while (item := buffer.take()) is not None:
        now = time.perf_counter()
        start = start or now
        taken.append((item[0], now - start))
        time.sleep(0.15)  # a ~6 fps tracker
    elapsed = time.perf_counter() - start
    reader.stop()
    indices = [index for index, _ in taken]
    assert indices[0] == 0 and indices[-1] == FRAMES - 1 and indices == sorted(set(indices))
    for index, at in taken:
        assert index <= at * fps + 1, "a frame was released before its time"
    assert elapsed >= (FRAMES - 1) / fps
    stats = buffer.stats
    assert stats.read == FRAMES and stats.taken == len(taken)
    assert stats.dropped == FRAMES - len(taken) > FRAMES // 2
    assert stats.dropped == sum(b - a - 1 for a, b in zip(indices, indices[1:]))  # the gaps are the drops
    assert stats.peak_pending == 1


def test_without_dropping_every_frame_arrives_in_order(crossing_video):
    buffer = LatestFrameBuffer(drop=False)
    reader = FrameReader(capture_source(crossing_video), buffer)
    reader.start()
    indices = []
    while (item := buffer.take()) is not None:
        indices.append(item[0])
        time.sleep(0.002)
    reader.join(5)
    assert indices == list(range(FRAMES))
    assert (buffer.stats.read, buffer.stats.dropped) == (FRAMES, 0)


def test_stopping_early_ends_the_reader_and_counts_the_waiting_frame(crossing_video):
    buffer = LatestFrameBuffer(drop=True)
    reader = FrameReader(capture_source(crossing_video), buffer, pace_fps=30)
    reader.start()
    assert buffer.take()[0] == 0
    time.sleep(0.3)
    reader.stop()
    assert not reader.is_alive()
    stats = buffer.stats
    assert 1 < stats.read < FRAMES and stats.read == stats.taken + stats.dropped
    assert buffer.pending == 0


def test_iterator_source_replays_a_frame_folder(crossing_video):
    from sasiam.data.sequences import open_sequence

    sequence = open_sequence(shared_sequence("Crossing"))
    buffer = LatestFrameBuffer(drop=False)
    reader = FrameReader(IteratorSource(sequence.frames(), sequence.name, sequence.fps), buffer)
    reader.start()
    count = 0
    while buffer.take() is not None:
        count += 1
    assert count == len(sequence)


def test_a_skipped_frame_does_not_shift_the_frame_indices():
    frames = [np.full((4, 4, 3), value, np.uint8) for value in range(6)]
    frames[0] = frames[3] = None  # undecodable, as frames(skip_undecodable=True) yields them
    buffer = LatestFrameBuffer(drop=False)
    FrameReader(IteratorSource(iter(frames), "clip", 30.0), buffer).start()
    taken = []
    while (item := buffer.take()) is not None:
        taken.append(item)
    assert [index for index, _ in taken] == [1, 2, 4, 5]
    assert [int(frame[0, 0, 0]) for _, frame in taken] == [1, 2, 4, 5]


def test_fill_gaps_repeats_the_box_before_a_skipped_frame():
    from sasiam.tracking.live import fill_gaps

    boxes = np.array([[0, 0, 1, 1], [1, 0, 1, 1], [4, 0, 1, 1]], float)
    filled = fill_gaps(np.array([1, 2, 4]), boxes)
    assert filled[:, 0].tolist() == [0, 1, 1, 4]
    assert fill_gaps(np.array([], int), np.zeros((0, 4))).shape == (0, 4)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_missing_camera_and_dead_url_raise_one_clear_error():
    if Path("/dev/video7").exists():
        pytest.skip("this machine has a /dev/video7")
    with pytest.raises(InputSourceError, match=r"^camera 7: cannot open \(no such device\?\)$"):
        open_live_source(LiveInput("camera", 7))
    url = f"http://127.0.0.1:{free_port()}/stream.mjpg"
    with pytest.raises(InputSourceError, match="cannot open the stream"):
        open_live_source(LiveInput("url", url))


def test_mjpeg_over_http_is_read_by_opencvs_ffmpeg():
    assert "FFMPEG:                      YES" in cv2.getBuildInformation()
    jpegs = sequence_frames(shared_sequence("Crossing"), 20)
    with MJPEGServer(jpegs, fps=100) as server:
        source = open_live_source(parse_live_input(server.url))
        frames = []
        while (frame := source.read()) is not None:
            frames.append(frame)
        source.release()
    assert len(frames) == len(jpegs)
    for frame, path in zip(frames, jpegs):
        reference = cv2.imread(str(path))
        assert frame.shape == reference.shape
        # FFmpeg's and libjpeg-turbo's JPEG decoders differ by a few levels (chroma upsampling)
        assert np.abs(frame.astype(int) - reference.astype(int)).mean() < 2.0


# --- GUI checks: the real OpenCV here is headless -----------------------------------------------

GTK_BUILD = "  GUI:                           GTK3\n    GTK+:                        YES (ver 3.24.33)\n"
OLD_STYLE_BUILD = "  GUI: \n    QT:                          NO\n    GTK+ 2.x:                    YES (ver 2.24.32)\n\n  Media I/O:\n"
HEADLESS_BUILD = "  GUI:                           NONE\n    VTK support:                 NO\n    Built-in Unicode font:       YES\n"


def test_gui_detection_agrees_with_what_cv2_imshow_does():
    backend = gui.gui_backend()
    if backend is not None:
        pytest.skip(f"this OpenCV has a GUI ({backend})")
    with pytest.raises(cv2.error):
        cv2.imshow("sasiam-test", np.zeros((4, 4, 3), np.uint8))
    problem = gui.gui_problem("--show")
    assert "no GUI" in problem and "opencv-contrib-python" in problem and "\n" not in problem
    with pytest.raises(SASiamError, match="--select needs a window"):
        gui.require_gui("--select")


def test_gui_backend_parsing_and_display_check():
    assert gui.gui_backend(GTK_BUILD) == "GTK3"
    assert gui.gui_backend(OLD_STYLE_BUILD) == "GTK+ 2.x"
    assert gui.gui_backend(HEADLESS_BUILD) is None
    assert gui.display_available({}, "linux") is False
    assert gui.display_available({"DISPLAY": ":0"}, "linux") and gui.display_available({"WAYLAND_DISPLAY": "w-0"}, "linux")
    assert gui.display_available({}, "win32") and gui.display_available({}, "darwin")
    assert "no display" in gui.gui_problem("--show", GTK_BUILD, {}, "linux")
    assert gui.gui_problem("--show", GTK_BUILD, {"DISPLAY": ":1"}, "linux") is None
    assert "no GUI" in gui.gui_problem("--show", HEADLESS_BUILD, {"DISPLAY": ":1"}, "linux")

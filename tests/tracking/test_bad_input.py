"""The real default tracker on hard but valid input, and bad input refused with the
documented exception types. Frames are real (../shared/sequences); the synthetic
scenes paste a real face (Dudek) on a real street (Crossing) so the true box is known.

Sane box (what every output must be): finite, centre on the frame, size within the
scale clamps [0.2, 5] x the initial size (`geometry.is_sane_box`).
"""
import time
import warnings

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sasiam
from conftest import shared_sequence
from sasiam.config import TrackerConfig
from sasiam.errors import BoxClippedWarning, InvalidBoxError, InvalidFrameError
from sasiam.tracking.frames import as_bgr_uint8
from sasiam.tracking.geometry import iou, is_sane_box
from sasiam.tracking.runner import track_frames

CONFIG = TrackerConfig()


def sane(box, frame, initial_size):
    height, width = frame.shape[:2]
    return is_sane_box(box, width, height, initial_size, CONFIG.min_scale, CONFIG.max_scale)


@pytest.fixture(scope="module")
def tracker():
    return sasiam.SASiamTracker()


@pytest.fixture(scope="module")
def street(shared_sequences):
    frame = cv2.imread(str(shared_sequence("Crossing") / "img" / "0001.jpg"))
    return cv2.resize(frame, (480, 320), interpolation=cv2.INTER_LINEAR)


@pytest.fixture(scope="module")
def face(shared_sequences):
    root = shared_sequence("Dudek_first20")
    x, y, w, h = (int(round(v)) for v in np.loadtxt(root / "groundtruth_rect.txt", delimiter=",", max_rows=1))
    frame = cv2.imread(str(root / "img" / "0001.jpg"))
    return cv2.resize(frame[y:y + h, x:x + w], (60, 72), interpolation=cv2.INTER_AREA)


def scene(street, face, x, y, occluded=False):
    """The street with the face's top-left corner at (x, y) (parts outside the frame cut off)."""
    frame = street.copy()
    h, w = face.shape[:2]
    fx0, fy0 = max(0, -x), max(0, -y)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(frame.shape[1], x + w), min(frame.shape[0], y + h)
    if x1 > x0 and y1 > y0:
        frame[y0:y1, x0:x1] = face[fy0:fy0 + y1 - y0, fx0:fx0 + x1 - x0]
    if occluded:
        cv2.rectangle(frame, (x - 15, y - 15), (x + w + 15, y + h + 15), (128, 128, 128), -1)
    return frame


def run(tracker, frames, box):
    tracker.init(frames[0], box)
    return [tracker.box] + [tracker.update(frame) for frame in frames[1:]]


# -- target behaviour -----------------------------------------------------------------
def test_target_leaves_the_frame_and_comes_back(tracker, street, face):
    xs = [200, 260, 320, 380, 440, 500, 560, 560, 560, 500, 440, 380, 340, 340, 340]  # out at 500+
    frames = [scene(street, face, x, 120) for x in xs]
    boxes = run(tracker, frames, (200, 120, 60, 72))
    assert all(sane(box, frames[0], (60, 72)) for box in boxes)
    assert boxes[6][0] + boxes[6][2] / 2 <= 480  # while it is away the box waits on the frame


def test_full_occlusion(tracker, street, face):
    frames = [scene(street, face, 150 + 4 * i, 100, occluded=4 <= i < 10) for i in range(14)]
    boxes = run(tracker, frames, (150, 100, 60, 72))
    assert all(sane(box, frames[0], (60, 72)) for box in boxes)
    truth = (150 + 4 * 13, 100, 60, 72)
    assert iou(boxes[-1], truth) > 0.3, "the target, back where it was hidden, should be found again"


def test_very_fast_motion(tracker, street, face):
    xs = [40, 380, 40, 380, 200, 40, 380, 200]  # jumps of up to 340 px: far outside the search region
    frames = [scene(street, face, x, 100 + (i % 3) * 60) for i, x in enumerate(xs)]
    boxes = run(tracker, frames, (40, 100, 60, 72))
    assert all(sane(box, frames[0], (60, 72)) for box in boxes)


# -- boxes --------------------------------------------------------------------------
@pytest.mark.parametrize("box", [(0, 0, 0, 5), (10, 10, -3, 5), (np.nan, 0, 5, 5), (0, np.inf, 5, 5),
                                 (5000, 5000, 10, 10), (-80, -80, 20, 20), (0.1, 0.2, 0.3, 0.4), (1, 2, 3)])
def test_untrackable_boxes_raise_invalid_box_error(tracker, street, box):
    with pytest.raises(InvalidBoxError):
        tracker.init(street, box)


def test_box_partly_outside_is_clipped_with_a_warning(tracker, street):
    with pytest.warns(BoxClippedWarning, match="visible part"):
        tracker.init(street, (-30, 250, 100, 100))
    assert np.allclose(tracker.box, (0, 250, 70, 70))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a box a fraction of a pixel over the border is no news
        tracker.init(street, (-0.4, 10, 50, 50))


@pytest.mark.parametrize("box", [(-100, -100, 800, 600), (0, 0, 480, 320), (100, 100, 1, 1), (100, 150, 200, 2),
                                 (200, 20, 2, 200), (470, 310, 10, 10)])
def test_large_thin_tiny_and_corner_targets_stay_sane(tracker, street, face, box):
    frames = [scene(street, face, 150 + 10 * i, 120) for i in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoxClippedWarning)
        tracker.init(frames[0], box)
    initial = tracker.state.initial_size.copy()
    assert initial[0] <= 480 and initial[1] <= 320
    for frame in frames[1:]:
        assert sane(tracker.update(frame), frame, initial)


# -- frames -------------------------------------------------------------------------
def test_pixel_formats_convert_exactly(street):
    gray = cv2.cvtColor(street, cv2.COLOR_BGR2GRAY)
    assert np.array_equal(as_bgr_uint8(street.astype(np.uint16) * 257), street)
    assert np.array_equal(as_bgr_uint8(street / 255.0), street)
    assert np.array_equal(as_bgr_uint8((street / 255.0).astype(np.float32)), street)
    assert np.array_equal(as_bgr_uint8(cv2.cvtColor(street, cv2.COLOR_BGR2BGRA)), street)
    assert np.array_equal(as_bgr_uint8(gray[:, :, None]), cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    assert np.array_equal(as_bgr_uint8(street[:, :, ::-1])[:, :, ::-1], street)  # an RGB view (negative strides)
    assert as_bgr_uint8(street) is street  # the common case costs nothing


@pytest.mark.parametrize("frame, message", [
    (np.full((20, 20, 3), np.nan), "NaN"),
    (np.full((20, 20, 3), 200.0), r"\[0, 1\].*divide by 255"),
    (np.zeros((20, 20, 3), np.int64), "unsupported pixel type int64"),
    (np.zeros((20, 20, 2), np.uint8), "shape"),
    (np.zeros((0, 20, 3), np.uint8), "empty"),
    ([[0, 0], [0, 0]], "numpy array"),
])
def test_unusable_frames_raise_invalid_frame_error(frame, message):
    with pytest.raises(InvalidFrameError, match=message):
        as_bgr_uint8(frame)


def test_every_pixel_format_tracks_like_bgr(tracker, street, face):
    frames = [scene(street, face, 150 + 8 * i, 120) for i in range(3)]
    reference = run(tracker, frames, (150, 120, 60, 72))
    formats = {
        "uint16": lambda f: f.astype(np.uint16) * 257,
        "float32": lambda f: (f / 255.0).astype(np.float32),
        "bgra": lambda f: cv2.cvtColor(f, cv2.COLOR_BGR2BGRA),
        "gray": lambda f: cv2.cvtColor(f, cv2.COLOR_BGR2GRAY),
    }
    for name, convert in formats.items():
        boxes = run(tracker, [convert(f) for f in frames], (150, 120, 60, 72))
        assert all(sane(b, frames[0], (60, 72)) for b in boxes), name
        tolerance = 0.5 if name != "gray" else 8.0  # gray loses colour: close, not equal
        assert np.abs(np.array(boxes) - np.array(reference)).max() <= tolerance, name


def test_frame_size_change_mid_video(tracker, street, face):
    """Runner: a frame of another size is scaled for the tracker, its box given in its own pixels.
    API: boxes are pixels of the frame passed; a smaller frame keeps the centre on it."""
    frames = [scene(street, face, 150 + 8 * i, 120) for i in range(6)]
    reference = track_frames(tracker, frames, (150, 120, 60, 72), progress=False, warn=lambda m: None).boxes
    mixed = frames[:3] + [cv2.resize(f, (240, 160), interpolation=cv2.INTER_AREA) for f in frames[3:]]
    result = track_frames(tracker, mixed, (150, 120, 60, 72), progress=False, warn=lambda m: None)
    assert len(result.warnings) == 1 and "frame 4 is 240x160" in result.warnings[0]
    assert np.allclose(result.boxes[:3], reference[:3])
    assert np.abs(result.boxes[3:] * 2 - reference[3:]).max() < 6.0  # same track at half the scale
    tracker.init(frames[0], (400, 250, 60, 60))
    small = cv2.resize(frames[1], (240, 160))
    box = tracker.update(small)
    assert np.isfinite(box).all() and 0 <= box[0] + box[2] / 2 <= 240 and 0 <= box[1] + box[3] / 2 <= 160


def test_4k_and_8k_frames_cost_what_small_frames_cost(tracker, street, face):
    small = scene(street, face, 200, 120)
    timings = {}
    for name, (width, height) in {"small": (480, 320), "4k": (3840, 2160), "8k": (7680, 4320)}.items():
        frame = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
        sx, sy = width / 480, height / 320
        box = (200 * sx, 120 * sy, 60 * sx, 72 * sy)
        tracker.init(frame, box)
        start = time.perf_counter()
        result = tracker.update(frame)
        timings[name] = time.perf_counter() - start
        assert sane(result, frame, box[2:])
        assert abs(result[0] + result[2] / 2 - (230 * sx)) < 4 * sx  # still on the face
    assert timings["8k"] < 2 * timings["small"] + 0.5, timings


def test_an_update_does_not_copy_a_huge_frame(tracker, street, face):
    """An update's own allocations (crops, activations) move peak RSS by up to ~90 MiB
    from one call to the next (malloc arenas), so the frame is made big enough
    (11520 x 6480, 214 MiB) that a copy of it could not hide in that noise."""
    frame = cv2.resize(scene(street, face, 200, 120), (11520, 6480), interpolation=cv2.INTER_NEAREST)
    frame_mib = frame.nbytes / 2**20
    tracker.init(frame, (200 * 24, 120 * 20.25, 60 * 24, 72 * 20.25))
    if not reset_peak_rss():
        pytest.skip("cannot reset the peak RSS counter (/proc/self/clear_refs) on this system")
    extra = []
    for _ in range(2):
        before = rss_mb()
        reset_peak_rss()
        tracker.update(frame)
        extra.append(peak_rss_mb() - before)
    assert min(extra) < 0.6 * frame_mib, (extra, frame_mib)


def rss_mb(field="VmRSS"):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb():
    return rss_mb("VmHWM")


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as stream:
            stream.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


# -- property: whatever box on whatever frame size, every output is sane -------------------
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(width=st.integers(8, 1200), height=st.integers(8, 900),
       fx=st.floats(-0.5, 1.2), fy=st.floats(-0.5, 1.2), fw=st.floats(0.0, 1.5), fh=st.floats(0.0, 1.5),
       dx=st.integers(-40, 40), dy=st.integers(-40, 40))
def test_any_box_on_any_frame_size_gives_sane_boxes(tracker, street, width, height, fx, fy, fw, fh, dx, dy):
    frame = cv2.resize(street, (width, height), interpolation=cv2.INTER_AREA)
    box = (fx * width, fy * height, max(1.0, fw * width), max(1.0, fh * height))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BoxClippedWarning)
            tracker.init(frame, box)
    except InvalidBoxError:
        assert box[0] >= width or box[1] >= height or box[0] + box[2] <= 0 or box[1] + box[3] <= 0
        return
    initial = tracker.state.initial_size.copy()
    moved = np.roll(frame, (dy, dx), axis=(0, 1))
    for next_frame in (moved, frame):
        assert sane(tracker.update(next_frame), next_frame, initial)


def test_runner_holds_the_box_over_undecodable_frames(tracker, street, face):
    frames = [scene(street, face, 150 + 8 * i, 120) for i in range(5)]
    frames[1] = frames[3] = None
    notes = []
    result = track_frames(tracker, frames, (150, 120, 60, 72), progress=False, warn=notes.append)
    assert result.skipped_frames == [1, 3] and result.boxes.shape == (5, 4) and np.isfinite(result.boxes).all()
    assert np.array_equal(result.boxes[1], result.boxes[0]) and np.array_equal(result.boxes[3], result.boxes[2])
    assert np.isnan(result.scores[[1, 3]]).all() and np.isfinite(result.scores[[0, 2, 4]]).all()
    assert result.fps == pytest.approx(2 / result.times[[2, 4]].sum())  # skipped frames are not updates
    assert notes == result.warnings == ["skipped 2 undecodable frames, each keeps the previous box: 2, 4"]
    with pytest.raises(sasiam.InputSourceError, match="the first frame must decode"):
        track_frames(tracker, [None] + frames[2:], (150, 120, 60, 72), progress=False)

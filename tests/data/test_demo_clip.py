import time

import cv2
import numpy as np
import pytest

from sasiam.data.demo_clip import DemoClip, _paste, make_demo_clip, write_demo_clip

NUM_FRAMES = 120
SIZE = (480, 360)


@pytest.fixture(scope="module")
def clip() -> DemoClip:
    return make_demo_clip(NUM_FRAMES, SIZE, seed=0)


def test_frames_count_shape_dtype(clip):
    width, height = SIZE
    assert len(clip.frames) == NUM_FRAMES == len(clip)
    assert clip.size == SIZE
    for frame in clip.frames:
        assert frame.shape == (height, width, 3)
        assert frame.dtype == np.uint8
    assert clip.boxes.shape == (NUM_FRAMES, 4)
    assert clip.boxes.dtype == np.float64


def test_other_size_and_length():
    small = make_demo_clip(7, (320, 240), seed=5)
    assert len(small.frames) == 7 and small.frames[0].shape == (240, 320, 3)
    single = make_demo_clip(1)
    assert len(single.frames) == 1 and single.boxes.shape == (1, 4)
    with pytest.raises(ValueError):
        make_demo_clip(0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 17])
def test_boxes_inside_frame(seed):
    width, height = SIZE
    boxes = make_demo_clip(NUM_FRAMES, SIZE, seed=seed).boxes
    x, y, w, h = boxes.T
    assert np.all(w > 0) and np.all(h > 0)
    assert np.all(x >= 0) and np.all(y >= 0)
    assert np.all(x + w <= width) and np.all(y + h <= height)
    # Mild scale change: within +-20 % of the mean size.
    area = np.sqrt(w * h)
    assert area.max() / area.min() <= 1.2 / 0.8 + 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 17])
def test_object_moves_smoothly(seed):
    boxes = make_demo_clip(NUM_FRAMES, SIZE, seed=seed).boxes
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    assert np.linalg.norm(centres[-1] - centres[0]) > 20
    steps = np.linalg.norm(np.diff(centres, axis=0), axis=1)
    assert steps.max() < 15  # no jumps


def _outside_mask(boxes, shape, pad=2):
    mask = np.ones(shape[:2], bool)
    for x, y, w, h in boxes:
        x0, y0 = max(0, int(np.floor(x)) - pad), max(0, int(np.floor(y)) - pad)
        x1, y1 = int(np.ceil(x + w)) + pad, int(np.ceil(y + h)) + pad
        mask[y0:y1, x0:x1] = False
    return mask


def test_background_moves(clip):
    for i, j in [(0, 1), (0, NUM_FRAMES // 2), (NUM_FRAMES // 2, NUM_FRAMES - 1)]:
        mask = _outside_mask(clip.boxes[[i, j]], clip.frames[i].shape)
        assert mask.sum() > 0.3 * mask.size
        diff = np.abs(clip.frames[i].astype(np.int16) - clip.frames[j].astype(np.int16))
        assert diff[mask].mean() > 1.0, (i, j)


def test_object_is_textured(clip):
    # The centre of the box shows the cat's face (fur, eyes, nose), not a flat fill.
    for i in [0, NUM_FRAMES // 2, NUM_FRAMES - 1]:
        frame = clip.frames[i].astype(np.float64)
        x, y, w, h = clip.boxes[i]
        inner = frame[int(y + 0.3 * h):int(y + 0.7 * h), int(x + 0.3 * w):int(x + 0.7 * w)]
        assert inner.size > 0
        assert inner.std() > 10  # textured, not a flat colour


def test_paste_geometry_is_exact():
    # A uniform, fully opaque patch pasted at sub-pixel positions covers exactly its box:
    # same area, nothing outside the box's pixel hull, same centre (no half-pixel bias).
    patch = np.full((20, 30, 3), 255, np.float32)
    alpha = np.ones((20, 30), np.float32)
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(20):
        x, y, scale = rng.uniform(5, 40), rng.uniform(5, 40), rng.uniform(0.8, 1.6)
        frame = np.zeros((100, 120, 3), np.uint8)
        _paste(frame, patch, alpha, x, y, scale)
        covered = frame[:, :, 0].astype(np.float64) / 255
        assert covered.sum() == pytest.approx(scale * 30 * scale * 20, rel=0.02)
        ys, xs = np.nonzero(covered)
        assert xs.min() >= np.floor(x) and xs.max() < np.ceil(x + scale * 30)
        assert ys.min() >= np.floor(y) and ys.max() < np.ceil(y + scale * 20)
        rows, cols = np.indices(covered.shape) + 0.5  # pixel centres, continuous coordinates
        errors.append([(covered * cols).sum() / covered.sum() - (x + scale * 15),
                       (covered * rows).sum() / covered.sum() - (y + scale * 10)])
    errors = np.array(errors)
    assert np.abs(errors).max() < 0.2
    assert np.all(np.abs(errors.mean(axis=0)) < 0.03)


def test_deterministic(clip):
    again = make_demo_clip(NUM_FRAMES, SIZE, seed=0)
    np.testing.assert_array_equal(again.boxes, clip.boxes)
    for a, b in zip(again.frames, clip.frames):
        np.testing.assert_array_equal(a, b)
    other = make_demo_clip(NUM_FRAMES, SIZE, seed=1)
    assert not np.allclose(other.boxes, clip.boxes)


def test_fast():
    make_demo_clip(5)  # warm the image cache
    start = time.perf_counter()
    make_demo_clip(NUM_FRAMES, SIZE, seed=4)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("suffix", [".mp4", ".avi"])
def test_write_round_trip(tmp_path, clip, suffix):
    path = write_demo_clip(tmp_path / f"demo{suffix}", clip)
    assert path == tmp_path / f"demo{suffix}" and path.exists()

    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened()
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    assert len(frames) == NUM_FRAMES
    assert frames[0].shape == clip.frames[0].shape
    diff = np.abs(frames[0].astype(np.float64) - clip.frames[0].astype(np.float64))
    assert diff.mean() < 12

    lines = (tmp_path / "demo_groundtruth.txt").read_text().splitlines()
    assert len(lines) == NUM_FRAMES
    parsed = np.array([[float(v) for v in line.split(",")] for line in lines])
    np.testing.assert_allclose(parsed, clip.boxes, atol=1e-6)
    assert all(len(v.split(".")[1]) == 6 for v in lines[0].split(","))


def test_write_errors(tmp_path, clip):
    with pytest.raises(ValueError):
        write_demo_clip(tmp_path / "demo.gif", clip)
    with pytest.raises(RuntimeError):
        # A directory where the file should go: the writer cannot open it.
        (tmp_path / "blocked.mp4").mkdir()
        write_demo_clip(tmp_path / "blocked.mp4", clip)

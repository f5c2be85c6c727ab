"""Damaged and unusual frame sources, built from real frames (../shared/sequences):
undecodable, cut-short and empty image files, 16-bit/gray/BGRA images, videos cut
short or with a damaged frame, paths that are not there."""

import cv2
import numpy as np
import pytest

from conftest import cut_sequence
from sasiam.data.sequences import open_sequence, read_image
from sasiam.errors import InputSourceError

FRAMES = 8


@pytest.fixture()
def folder(tmp_path, shared_sequences):
    """The first FRAMES frames of Crossing (real JPEGs) in an OTB layout, ground truth included."""
    return cut_sequence("Crossing", tmp_path / "Crossing8", FRAMES, copy=True)


def damage(folder):
    """Frame 3: garbage bytes; frame 5: cut in half; frame 6: empty file."""
    img = folder / "img"
    (img / "0003.jpg").write_bytes(b"this is not a jpeg")
    data = (img / "0005.jpg").read_bytes()
    (img / "0005.jpg").write_bytes(data[: len(data) // 2])
    (img / "0006.jpg").write_bytes(b"")
    return {2: "cannot decode image", 4: "cut short", 5: "empty file"}


def test_undecodable_images_raise_by_default_naming_the_file(folder):
    damage(folder)
    frames = open_sequence(folder).frames()
    assert next(frames) is not None and next(frames) is not None
    with pytest.raises(InputSourceError, match="0003.jpg: cannot decode image"):
        next(frames)


def test_skip_mode_yields_none_in_place_and_records_why(folder):
    expected = damage(folder)
    stream = open_sequence(folder).frames(skip_undecodable=True)
    frames = list(stream)
    assert len(frames) == FRAMES  # frame numbers stay aligned with the ground truth
    assert [i for i, f in enumerate(frames) if f is None] == sorted(expected)
    assert [i for i, _ in stream.skipped] == sorted(expected)
    for index, reason in stream.skipped:
        assert expected[index] in reason and f"{index + 1:04d}.jpg" in reason
    good = [f for f in frames if f is not None]
    assert all(f.dtype == np.uint8 and f.shape == (240, 360, 3) for f in good)
    assert stream.end_report() is None


def test_a_jpeg_cut_short_is_refused_rather_than_half_grey(folder):
    path = folder / "img" / "0002.jpg"
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.8)])
    assert cv2.imread(str(path)) is not None  # OpenCV alone would decode it, grey where data is missing
    image, reason = read_image(path)
    assert image is None and "cut short" in reason


def test_png_cut_short_and_unusual_pixel_formats(folder, tmp_path):
    bgr = cv2.imread(str(folder / "img" / "0001.jpg"))
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    bgra = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
    deep = bgr.astype(np.uint16) * 257
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    cv2.imwrite(str(mixed / "1.png"), deep)
    cv2.imwrite(str(mixed / "2.png"), gray)
    cv2.imwrite(str(mixed / "3.png"), bgra)
    cv2.imwrite(str(mixed / "4.png"), bgr)
    data = (mixed / "4.png").read_bytes()
    (mixed / "4.png").write_bytes(data[: len(data) // 2])
    raw = open_sequence(mixed).frames()
    assert next(raw).dtype == np.uint16 and next(raw).ndim == 2 and next(raw).shape[2] == 4  # stored as they are
    with pytest.raises(InputSourceError, match="4.png: file is cut short"):
        next(raw)
    converted = list(open_sequence(mixed).frames(skip_undecodable=True))
    assert converted[3] is None
    assert np.array_equal(converted[0], bgr)  # 16-bit full range back to the same 8-bit values
    assert np.array_equal(converted[2], bgr)  # alpha dropped
    assert np.array_equal(converted[1][:, :, 0], gray) and converted[1].shape == bgr.shape


@pytest.fixture()
def clip(tmp_path, folder):
    """A real 8-frame MJPG AVI made from the Crossing frames."""
    frames = [cv2.imread(str(p)) for p in sorted((folder / "img").iterdir())]
    path = tmp_path / "crossing.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (360, 240))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def test_truncated_video_yields_the_decodable_frames_and_reports_the_end(clip, tmp_path):
    data = clip.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    stream = open_sequence(cut).frames(skip_undecodable=True)
    frames = list(stream)
    assert 0 < len(frames) < FRAMES and all(f is not None for f in frames)
    assert stream.expected == FRAMES and stream.ended_early
    assert f"only {len(frames)} of the {FRAMES} frames" in stream.end_report()
    assert list(open_sequence(clip).frames()) and open_sequence(clip).frames().end_report() is None


def test_a_damaged_frame_mid_video_is_skipped_not_the_end(clip, tmp_path):
    data = bytearray(clip.read_bytes())
    starts = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xD8]
    assert len(starts) == FRAMES
    rng = np.random.default_rng(0)
    begin, end = starts[3] + 600, starts[4] - 100
    data[begin:end] = rng.integers(0, 256, end - begin, dtype=np.uint8).tobytes()  # frame 4: noise in its scan
    broken = tmp_path / "broken.avi"
    broken.write_bytes(bytes(data))
    stream = open_sequence(broken).frames(skip_undecodable=True)
    frames = list(stream)
    assert len(frames) == FRAMES and frames[3] is None and all(f is not None for i, f in enumerate(frames) if i != 3)
    assert stream.skipped[0][0] == 3 and not stream.ended_early
    with pytest.raises(InputSourceError, match="frame 4 cannot be decoded"):
        list(open_sequence(broken).frames())


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "missing.mp4", "no such file or folder"),
    (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "holds no image files"),
    (lambda tmp: (tmp / "zero.mp4").write_bytes(b"") and None or tmp / "zero.mp4", "empty file"),
    (lambda tmp: (tmp / "text.avi").write_text("hello") and tmp / "text.avi", "not a video OpenCV can decode"),
    (lambda tmp: (tmp / "one.jpg").write_bytes(b"x") and tmp / "one.jpg", "single image"),
])
def test_sources_that_cannot_be_opened_say_why(tmp_path, make, message):
    with pytest.raises(InputSourceError, match=message):
        open_sequence(make(tmp_path))


def test_an_mp4_cut_short_cannot_be_opened_and_says_so(tmp_path, folder):
    from live_streams import write_video

    path = write_video(tmp_path / "clip.mp4", sorted((folder / "img").iterdir()), fps=25)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # OpenCV's mp4 keeps its index at the end: now missing
    with pytest.raises(InputSourceError, match="damaged or truncated"):
        open_sequence(path)

"""The command line on real sequences, and its one-line errors."""
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import shared_sequence


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sasiam", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


@pytest.mark.parametrize("name", ["Crossing", "vot_bag"])
def test_track_real_sequence_writes_a_box_per_frame_and_a_video(tmp_path, name):
    sequence = shared_sequence(name)
    frames = len(list((sequence / "img").iterdir()))
    boxes_path, video_path = tmp_path / "boxes.txt", tmp_path / "annotated.mp4"
    result = run_cli("track", sequence, "--output", boxes_path, "--video", video_path, "--quiet")
    assert result.returncode == 0, result.stderr
    boxes = np.loadtxt(boxes_path, delimiter=",")
    assert boxes.shape == (frames, 4) and np.isfinite(boxes).all()
    first = np.loadtxt(sequence / "groundtruth_rect.txt", delimiter=",", max_rows=1)
    assert np.allclose(boxes[0], first, atol=1e-3)
    capture = cv2.VideoCapture(str(video_path))
    assert capture.isOpened()
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == frames
    decoded = 0
    while capture.read()[0]:
        decoded += 1
    assert decoded == frames
    assert "fps" in result.stdout


def test_track_a_video_file_with_an_explicit_box(tmp_path):
    from sasiam.data.demo_clip import make_demo_clip, write_demo_clip

    clip = make_demo_clip(num_frames=8)
    video = write_demo_clip(tmp_path / "clip.avi", clip)
    x, y, w, h = clip.boxes[0]
    result = run_cli("track", video, "--box", f"{x},{y},{w},{h}", "--output", tmp_path / "out.txt", "--quiet")
    assert result.returncode == 0, result.stderr
    assert np.loadtxt(tmp_path / "out.txt", delimiter=",").shape == (8, 4)


@pytest.mark.parametrize("make_args, message", [
    (lambda tmp: ["track", tmp / "missing.mp4", "--box", "1,1,5,5"], "no such file"),
    (lambda tmp: ["track", tmp, "--box", "1,1,5,5"], "no image files"),
    (lambda tmp: ["track", tmp / "clip.avi"], "--box"),
    (lambda tmp: ["track", tmp / "clip.avi", "--box", "1,1,0,5"], "positive"),
    (lambda tmp: ["track", tmp / "clip.avi", "--box", "5000,5000,5,5"], "outside"),
    (lambda tmp: ["track", tmp / "clip.avi", "--box", "1,1,5,5", "--weights", tmp / "nope.safetensors"], "nope"),
])
def test_user_errors_are_one_line_and_exit_2(tmp_path, make_args, message):
    from sasiam.data.demo_clip import make_demo_clip, write_demo_clip

    write_demo_clip(tmp_path / "clip.avi", make_demo_clip(num_frames=3))
    (tmp_path / "empty").mkdir()
    args = [a if a != tmp_path else tmp_path / "empty" for a in make_args(tmp_path)]
    result = run_cli(*args, "--quiet")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("WARNING")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert message in lines[0]

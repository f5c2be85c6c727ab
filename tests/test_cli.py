"""The command line on real sequences, and its one-line errors."""
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import cut_sequence, shared_sequence


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sasiam", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


@pytest.mark.parametrize("name", ["Crossing"])  # the first 20 frames: the rest of the suite covers other layouts
def test_track_real_sequence_writes_a_box_per_frame_and_a_video(tmp_path, name):
    sequence = cut_sequence(name, tmp_path / name, 20)
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


@pytest.mark.parametrize("speed", [None, "faithful"])
def test_track_says_which_path_runs_and_defaults_to_the_fast_one(tmp_path, speed):
    from sasiam.backends.paths import fastest
    from sasiam.tracking.path_choice import machine_facts

    sequence = cut_sequence("Crossing", tmp_path / "Crossing", 4)
    result = run_cli("track", sequence, "--output", tmp_path / "boxes.txt", *(["--speed", speed] if speed else []))
    assert result.returncode == 0, result.stderr
    expected = "torch-fp32" if speed == "faithful" else fastest(machine_facts()).path.name
    assert f"sasiam: path {expected} (speed='{speed or 'fast'}'" in result.stderr


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
    (lambda tmp: ["track", tmp / "clip.avi", "--box", "1,1,5,5", "--lam", "1.5"], "lam must lie in [0, 1]"),
    (lambda tmp: ["track", tmp / "clip.avi", "--box", "1,1,5,5", "--precision", "int8", "--device", "cuda"],
     "device 'cuda'"),
    (lambda tmp: ["track", tmp / "clip.avi", "--box", "1,1,5,5", "--device", "gpu0"], "device 'gpu0'"),
])
def test_user_errors_are_one_line_and_exit_2(tmp_path, make_args, message):
    from sasiam.data.demo_clip import make_demo_clip, write_demo_clip

    write_demo_clip(tmp_path / "clip.avi", make_demo_clip(num_frames=3))
    (tmp_path / "empty").mkdir()
    args = [a if a != tmp_path else tmp_path / "empty" for a in make_args(tmp_path)]
    result = run_cli(*args, "--quiet")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith(("WARNING", "sasiam: note: "))]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert message in lines[0]


# --- live video: camera index, stream URL, --realtime, --show / --select -------------------------

def live_counts(stdout: str) -> tuple[int, int, int]:
    import re

    match = re.search(r"(\d+) frames tracked, (\d+) dropped of (\d+) read", stdout)
    assert match, stdout
    return tuple(int(v) for v in match.groups())


def read_indexed_boxes(path):
    assert path.read_text().startswith("# frame_index,x,y,w,h\n")
    table = np.loadtxt(path, delimiter=",", ndmin=2)
    return table[:, 0].astype(int), table[:, 1:]


def first_truth_box(name: str) -> str:
    return ",".join(f"{v:g}" for v in np.loadtxt(shared_sequence(name) / "groundtruth_rect.txt", delimiter=",",
                                                  max_rows=1))


def test_track_realtime_video_drops_the_frames_the_tracker_is_too_slow_for(tmp_path):
    from live_streams import sequence_frames, write_video

    video = write_video(tmp_path / "crossing.mp4", sequence_frames(shared_sequence("Crossing"), 120), fps=30)
    boxes_path = tmp_path / "live.txt"
    result = run_cli("track", video, "--realtime", "--box", first_truth_box("Crossing"), "--output", boxes_path,
                     "--video", tmp_path / "live.mp4", "--quiet")
    assert result.returncode == 0, result.stderr
    tracked, dropped, read = live_counts(result.stdout)
    assert read == 120 and tracked + dropped == 120
    assert dropped > 0 and tracked >= 2  # the tracker runs at ~3-5 fps, the file at 30
    indices, boxes = read_indexed_boxes(boxes_path)
    assert len(indices) == tracked and np.isfinite(boxes).all()
    assert indices[0] == 0 and indices[-1] == 119 and (np.diff(indices) > 0).all()
    assert int((np.diff(indices) - 1).sum()) == dropped  # the gaps in the file are the dropped frames
    assert np.allclose(boxes[0], [float(v) for v in first_truth_box("Crossing").split(",")])
    capture = cv2.VideoCapture(str(tmp_path / "live.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == tracked


def test_a_file_played_live_refuses_to_start_the_ground_truth_box_on_a_later_frame(tmp_path):
    sequence = cut_sequence("Crossing", tmp_path / "Crossing", 6, copy=True)
    (sequence / "img" / "0001.jpg").write_bytes(b"this is not a jpeg")
    result = run_cli("track", sequence, "--realtime", "--output", tmp_path / "boxes.txt", "--quiet")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "sasiam: error: Crossing: frame 0 cannot be decoded, and the initial box belongs to it; draw the box on "
        "the first readable frame with --select"]
    assert not (tmp_path / "boxes.txt").exists()


def test_track_an_mjpeg_http_stream(tmp_path):
    from live_streams import MJPEGServer, sequence_frames

    frames = 60
    boxes_path = tmp_path / "stream.txt"
    with MJPEGServer(sequence_frames(shared_sequence("Crossing"), frames), fps=30) as server:
        result = run_cli("track", server.url, "--box", first_truth_box("Crossing"), "--output", boxes_path, "--quiet")
        served = list(server.sent)
    assert result.returncode == 0, result.stderr
    assert served and served[-1] == frames
    tracked, dropped, read = live_counts(result.stdout)
    assert read == frames and tracked + dropped == frames and tracked >= 2
    indices, boxes = read_indexed_boxes(boxes_path)
    assert len(indices) == tracked and indices[0] == 0 and indices[-1] == frames - 1 and np.isfinite(boxes).all()


def test_ctrl_c_stops_a_live_run_and_still_writes_its_outputs(tmp_path):
    import signal
    import time
    from live_streams import sequence_frames, write_video

    # 120 frames at 5 fps: 24 s of "live" video, far longer than the test waits
    video = write_video(tmp_path / "slow.mp4", sequence_frames(shared_sequence("Crossing"), 120), fps=5)
    boxes_path, annotated = tmp_path / "live.txt", tmp_path / "live.mp4"
    process = subprocess.Popen([sys.executable, "-m", "sasiam", "track", str(video), "--realtime", "--box",
                                first_truth_box("Crossing"), "--output", str(boxes_path), "--video", str(annotated),
                                "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               # a suite started in the background (`make test &`) runs with SIGINT ignored,
                               # and the child would inherit that
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in process.stderr:  # the tracker is initialised once this line is out
            if "Ctrl-C" in line:
                break
        else:
            pytest.fail(f"no live announcement; exit {process.wait()}")
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert "stopped by Ctrl-C" in stdout and "Traceback" not in stderr
    tracked, dropped, read = live_counts(stdout)
    assert tracked >= 1 and tracked + dropped == read < 120
    indices, boxes = read_indexed_boxes(boxes_path)
    assert len(indices) == tracked and indices[0] == 0 and indices[-1] < 119
    capture = cv2.VideoCapture(str(annotated))
    assert capture.isOpened() and int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == tracked


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("source, message", [
    ("7", "camera 7: cannot open (no such device?)"),
    ("http://127.0.0.1:{port}/stream.mjpg", "cannot open the stream"),
    ("rtsp://127.0.0.1:{port}/live", "cannot open the stream"),
])
def test_live_source_that_cannot_be_opened_is_one_line_and_exit_2(source, message):
    from pathlib import Path

    if source == "7" and Path("/dev/video7").exists():
        pytest.skip("this machine has a /dev/video7")
    result = run_cli("track", source.format(port=free_port()), "--box", "10,10,20,20", "--quiet")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("sasiam: error: ") and message in lines[0]


@pytest.mark.parametrize("args", [["--show", "--box", "10,10,20,20"], ["--select"]])
@pytest.mark.parametrize("source", ["0", "crossing"])
def test_show_and_select_without_a_gui_say_what_is_missing(source, args):
    from sasiam.tracking.gui import gui_problem

    option = args[0]
    problem = gui_problem(option)
    if problem is None:
        pytest.skip("this machine can open windows")
    path = shared_sequence("Crossing") if source == "crossing" else source
    result = run_cli("track", path, *args, "--quiet")
    assert result.returncode == 2
    assert result.stderr.strip() == f"sasiam: error: {problem}"
    assert ("no GUI" in problem) or ("no display" in problem)


# -- bad input and faults (issue 7): one line and exit 2 for what the user must fix; ------------
# -- a warning line and every frame's box for what sasiam can work around ----------------------
CLIP_FRAMES = 5


@pytest.fixture()
def crossing5(tmp_path, shared_sequences):
    """The first frames of Crossing as an OTB folder and as an MJPG AVI, and their first box."""
    folder = cut_sequence("Crossing", tmp_path / "crossing5", CLIP_FRAMES, copy=True)
    writer = cv2.VideoWriter(str(tmp_path / "crossing5.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 25, (360, 240))
    for image in sorted((folder / "img").iterdir()):
        writer.write(cv2.imread(str(image)))
    writer.release()
    first_line = (folder / "groundtruth_rect.txt").read_text().splitlines()[0]
    return folder, tmp_path / "crossing5.avi", first_line.replace("\t", ",")


def bad_checkpoint(tmp_path, kind):
    """A damaged copy of the shipped weights."""
    from safetensors.torch import load_file, save_file

    from sasiam.checkpoint import read_metadata
    from sasiam.weights import default_weights_path

    shipped = default_weights_path()
    if shipped is None:
        pytest.skip("no shipped weights to damage")
    data = shipped.read_bytes()
    path = tmp_path / f"{kind}.safetensors"
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "tampered":
        flipped = bytearray(data)
        flipped[-100] ^= 0x01
        path.write_bytes(bytes(flipped))
    else:
        tensors, metadata = load_file(str(shipped)), read_metadata(shipped)
        if kind == "newer":
            metadata["format_version"] = "99"
        elif kind == "nan":  # a diverged run: NaN weights with a checksum that matches them
            from sasiam.checkpoint import tensor_digest

            key = sorted(tensors)[0]
            tensors[key] = tensors[key].clone().fill_(float("nan"))
            metadata["sha256"] = tensor_digest(tensors)
        save_file(tensors, str(path), metadata=metadata)
    return path


def assert_one_line_error(result, message):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith(("WARNING", "sasiam: note: "))]
    assert len(lines) == 1 and lines[0].startswith("sasiam: error: "), result.stderr
    assert message in lines[0], lines[0]


def first_frame_broken(folder):
    (folder / "img" / "0001.jpg").write_bytes(b"\xff\xd8 half a jpeg")
    return folder


def cut_mp4(tmp_path, folder):
    from live_streams import write_video

    path = write_video(tmp_path / "cut.mp4", sorted((folder / "img").iterdir()), fps=25)
    path.write_bytes(path.read_bytes()[:20000])
    return path


@pytest.mark.parametrize("make_args, message", [
    (lambda tmp, f, v, b: ["track", v, "--box", "nan,1,5,5"], "non-finite"),
    (lambda tmp, f, v, b: ["track", v, "--box", "0.1,0.2,0.3,0.4"], "smaller than one pixel"),
    (lambda tmp, f, v, b: ["track", v, "--box", "-500,-500,100,100"], "wholly outside"),
    (lambda tmp, f, v, b: ["track", first_frame_broken(f)], "0001.jpg: file is cut short"),
    (lambda tmp, f, v, b: ["track", cut_mp4(tmp, f), "--box", b], "damaged or truncated"),
    (lambda tmp, f, v, b: ["track", (tmp / "zero.avi").write_bytes(b"") or tmp / "zero.avi", "--box", b],
     "empty file"),
    (lambda tmp, f, v, b: ["track", f / "img" / "0001.jpg", "--box", b], "single image"),
    (lambda tmp, f, v, b: ["track", f, "--weights", bad_checkpoint(tmp, "truncated")], "truncated.safetensors"),
    (lambda tmp, f, v, b: ["track", f, "--weights", bad_checkpoint(tmp, "tampered")], "checksum mismatch"),
    (lambda tmp, f, v, b: ["track", f, "--weights", bad_checkpoint(tmp, "newer")], "newer than this sasiam"),
    (lambda tmp, f, v, b: ["track", f, "--weights", bad_checkpoint(tmp, "nan")], "NaN or infinite"),
    (lambda tmp, f, v, b: ["track", f, "--weights", tmp], "is a folder"),
    (lambda tmp, f, v, b: ["track", f, "--backbone", "alexnet"], "efficientnet_lite0 S-Net, not alexnet"),
    (lambda tmp, f, v, b: ["track", f, "--output", "/dev/full"], "No space left on device (disk full)"),
    (lambda tmp, f, v, b: ["track", f, "--output", tmp], "is a folder"),
    (lambda tmp, f, v, b: ["track", f, "--video", "/dev/full"], "/dev/full: OpenCV cannot write a video"),
    (lambda tmp, f, v, b: ["assemble", "--appearance", bad_checkpoint(tmp, "tampered"), "--semantic",
                           bad_checkpoint(tmp, "tampered"), "--out", tmp / "x.safetensors"], "checksum mismatch"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, crossing5, make_args, message):
    folder, video, box = crossing5
    args = make_args(tmp_path, folder, video, box)
    if "/dev/full" in args:
        require_dev_full()
    assert_one_line_error(run_cli(*args, *(["--quiet"] if args[0] == "track" else [])), message)
    if "/dev/full" in args:
        assert_dev_full_intact()


def require_dev_full():
    import os
    import stat

    if not (os.path.exists("/dev/full") and stat.S_ISCHR(os.stat("/dev/full").st_mode)):
        pytest.skip("/dev/full (writes fail with ENOSPC) is not a character device here")


def assert_dev_full_intact():
    import os
    import stat

    # a writer that renames a temporary file over its target would replace the device with a file
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode), "/dev/full was replaced by a regular file"


def test_checkpoint_write_to_a_full_disk_is_one_line_and_exit_2(tmp_path):
    from sasiam.weights import default_weights_path

    shipped = default_weights_path()
    if shipped is None:
        pytest.skip("no shipped weights")
    require_dev_full()
    result = run_cli("assemble", "--appearance", shipped, "--semantic", shipped, "--out", "/dev/full")
    assert_one_line_error(result, "No space left on device (disk full)")
    assert_dev_full_intact()


def test_damaged_frames_mid_folder_are_skipped_with_one_warning_and_every_frame_gets_a_box(tmp_path, crossing5):
    folder, _, _ = crossing5
    (folder / "img" / "0002.jpg").write_bytes(b"garbage")
    data = (folder / "img" / "0004.jpg").read_bytes()
    (folder / "img" / "0004.jpg").write_bytes(data[: len(data) // 3])
    output = tmp_path / "boxes.txt"
    result = run_cli("track", folder, "--output", output, "--video", tmp_path / "out.avi", "--quiet")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "skipped 2 undecodable frames" in warnings[0]
    assert "2 (" in warnings[0] and "0002.jpg" in warnings[0] and "4 (" in warnings[0] and "0004.jpg" in warnings[0]
    boxes = np.loadtxt(output, delimiter=",")
    assert boxes.shape == (CLIP_FRAMES, 4) and np.isfinite(boxes).all()
    assert np.array_equal(boxes[1], boxes[0]) and np.array_equal(boxes[3], boxes[2])  # held, not invented
    capture = cv2.VideoCapture(str(tmp_path / "out.avi"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == CLIP_FRAMES  # the video keeps one frame per input frame


def test_truncated_video_tracks_the_decodable_frames_then_warns(tmp_path, crossing5):
    _, video, box = crossing5
    data = video.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: int(len(data) * 0.7)])
    output = tmp_path / "boxes.txt"
    result = run_cli("track", cut, "--box", box, "--output", output, "--quiet")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    boxes = np.loadtxt(output, delimiter=",", ndmin=2)
    assert 0 < len(boxes) < CLIP_FRAMES and np.isfinite(boxes).all()
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {cut}: only {len(boxes)} of the {CLIP_FRAMES} frames its header announces could "
                        f"be decoded (truncated file?); the {len(boxes)} frames were tracked"]


def test_box_partly_outside_the_frame_is_clipped_with_a_warning(tmp_path, crossing5):
    folder, _, _ = crossing5
    result = run_cli("track", folder, "--box", "300,200,100,100", "--output", tmp_path / "b.txt", "--quiet")
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("warning: box (300, 200, 100, 100) reaches outside the 360x240 frame; tracking its "
                               "visible part (300, 200, 60, 40)") for line in result.stderr.splitlines()), result.stderr
    assert np.allclose(np.loadtxt(tmp_path / "b.txt", delimiter=",")[0], (300, 200, 60, 40))
    # a box reaching past the left/top edge starts with '-', which argparse would take for an option
    result = run_cli("track", folder, "--box", "-20,-10,60,50", "--output", tmp_path / "c.txt", "--quiet")
    assert result.returncode == 0, result.stderr
    assert np.allclose(np.loadtxt(tmp_path / "c.txt", delimiter=",")[0], (0, 0, 40, 40))


def test_track_several_targets_at_once_writes_one_file_per_target(tmp_path):
    source = shared_sequence("Crossing")
    cut = tmp_path / "Crossing6" / "img"
    cut.mkdir(parents=True)
    for frame in sorted((source / "img").iterdir())[:6]:
        (cut / frame.name).symlink_to(frame)
    first = np.loadtxt(source / "groundtruth_rect.txt", delimiter=",", max_rows=1)
    other = first + np.array([60.0, 10.0, 0.0, 0.0])
    outside = np.array([-20.0, 100.0, 60.0, 40.0])  # written as given, tracked (and reported) clipped
    result = run_cli("track", cut.parent, "--box", ",".join(map(str, first)), "--box", ",".join(map(str, other)),
                     "--box", ",".join(map(str, outside)), "--output", tmp_path / "boxes.txt",
                     "--video", tmp_path / "boxes.mp4", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "3 targets" in result.stdout
    for k, start in enumerate([first, other, np.array([0.0, 100.0, 40.0, 40.0])], start=1):
        boxes = np.loadtxt(tmp_path / f"boxes.target{k}.txt", delimiter=",")
        assert boxes.shape == (6, 4) and np.isfinite(boxes).all()
        assert np.allclose(boxes[0], start, atol=1e-3)
    capture = cv2.VideoCapture(str(tmp_path / "boxes.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    live = run_cli("track", cut.parent, "--realtime", "--box", "1,1,5,5", "--box", "9,9,5,5")
    assert live.returncode == 2 and len(live.stderr.strip().splitlines()) == 1

"""`sasiam track --select --show` in a real window: OpenCV's own GUI build on an X server.

The project depends on opencv-contrib-python-headless, which has no GUI, so the
window side runs in a venv of its own (~/.cache/sasiam/opencv-gui-<version>, or
$SASIAM_OPENCV_GUI_VENV) holding opencv-contrib-python (Qt 5, the same OpenCV
version) ahead of this venv's packages. The screen is Xvfb and the user is
xdotool (Debian packages xvfb and xdotool; `.ci/run` installs them when it can):
it drags the first box, lets the tracker run on real frames of David, reads the
live window back from the X server, and presses q.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import site
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, cut_sequence

SELECT_TITLE = "^sasiam: drag a box around the target"  # xdotool's --name takes a regular expression
LIVE_TITLE = "^sasiam$"
DRAG_FROM, DRAG_TO = (60, 70), (160, 150)  # window coordinates: a 100 x 80 box
FRAMES = 300


def require_x_tools() -> None:
    missing = [tool for tool in ("Xvfb", "xdotool", "xwd") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian: apt-get install xvfb xdotool x11-apps)")


def gui_venv() -> Path:
    """A venv with opencv-contrib-python (GUI build) first on its path, then this venv's packages."""
    version = metadata.version("opencv-contrib-python-headless")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    root = Path(os.environ.get("SASIAM_OPENCV_GUI_VENV", cache / "sasiam" / f"opencv-gui-{version}"))
    root.parent.mkdir(parents=True, exist_ok=True)
    marker = root / "sasiam-ready.txt"
    with open(root.parent / f"{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.is_file():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
            # --no-deps: numpy (its one dependency) comes from this venv, the one torch was installed with
            try:
                install = subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "--quiet",
                                          "--no-deps", f"opencv-contrib-python=={version}"], capture_output=True,
                                         text=True, timeout=1200)
            except subprocess.TimeoutExpired:
                pytest.skip(f"installing opencv-contrib-python=={version} from PyPI timed out")
            if install.returncode != 0:
                pytest.skip(f"cannot install opencv-contrib-python=={version} from PyPI: "
                            f"{install.stderr.strip().splitlines()[-1:]}")
            marker.write_text(version)
    python = root / "bin" / "python"
    own_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    # addsitedir (not a plain path) so the editable install of sasiam in this venv is found too
    lines = "".join(f"import site; site.addsitedir({path!r})\n" for path in site.getsitepackages())
    (Path(own_site) / "zz_sasiam_test_venv.pth").write_text(lines)
    return python


@pytest.fixture()
def x_display():
    """A fresh Xvfb server; its display name (":N")."""
    require_x_tools()
    read_end, write_end = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten",
                               "tcp"], pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def find_window(display: str, title: str, timeout: float, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stdout, stderr = process.communicate()
            raise AssertionError(f"sasiam exited ({process.returncode}) before a window {title!r} showed:\n"
                                 f"{stdout[-2000:]}\n{stderr[-3000:]}")
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], capture_output=True, text=True,
                               env={**os.environ, "DISPLAY": display})
        if found.stdout.split():
            return found.stdout.split()[0]
        time.sleep(0.5)
    raise AssertionError(f"no window titled {title!r} after {timeout:.0f} s")


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, env={**os.environ, "DISPLAY": display})


def grab_window(display: str, window: str) -> np.ndarray:
    """The window's pixels as H x W x 3 BGR, read from the X server with xwd (ZPixmap, 32 bits a pixel)."""
    raw = subprocess.run(["xwd", "-silent", "-id", window], capture_output=True, check=True,
                         env={**os.environ, "DISPLAY": display}).stdout
    header = np.frombuffer(raw[:100], ">u4")
    header_size, width, height = int(header[0]), int(header[4]), int(header[5])
    byte_order, bits_per_pixel, bytes_per_line, colours = int(header[7]), int(header[11]), int(header[12]), int(
        header[19])
    assert bits_per_pixel == 32, f"xwd gave {bits_per_pixel} bits a pixel"
    start = header_size + 12 * colours
    pixels = np.frombuffer(raw[start:start + bytes_per_line * height], np.uint8).reshape(height, bytes_per_line)
    pixels = pixels[:, :4 * width].reshape(height, width, 4)
    return pixels[..., :3] if byte_order == 0 else pixels[..., 3:0:-1]  # LSBFirst: B, G, R, pad


def test_select_draws_the_first_box_and_show_displays_the_tracking(tmp_path, x_display):
    sequence = cut_sequence("David", tmp_path / "David", FRAMES)
    python = gui_venv()
    output = tmp_path / "boxes.txt"
    env = {**os.environ, "DISPLAY": x_display, "PYTHONPATH": str(REPO)}
    env.pop("WAYLAND_DISPLAY", None)
    process = subprocess.Popen([str(python), "-m", "sasiam", "track", str(sequence), "--select", "--show",
                                "--output", str(output), "--quiet"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        select = find_window(x_display, SELECT_TITLE, timeout=180, process=process)  # the model loads first
        time.sleep(1)
        xdotool(x_display, "mousemove", "--window", select, *map(str, DRAG_FROM), "mousedown", "1",
                "mousemove", "--window", select, "110", "110",
                "mousemove", "--window", select, *map(str, DRAG_TO), "mouseup", "1")
        time.sleep(0.5)
        xdotool(x_display, "key", "--window", select, "Return")

        live = find_window(x_display, LIVE_TITLE, timeout=60, process=process)
        time.sleep(8)  # a few tracked frames
        shot = grab_window(x_display, live)
        xdotool(x_display, "key", "--window", live, "q")
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr[-3000:]
    assert "window closed" in stdout, stdout

    boxes = np.loadtxt(output, delimiter=",", ndmin=2)
    assert 2 <= len(boxes) < FRAMES, f"q should stop tracking early, got {len(boxes)} boxes"
    assert np.isfinite(boxes).all()
    # the box that was dragged: its size exactly, its corner where the drag began less the window's
    # margins (Qt centres the image and puts a toolbar above it)
    width, height = DRAG_TO[0] - DRAG_FROM[0], DRAG_TO[1] - DRAG_FROM[1]
    assert abs(boxes[0, 2] - width) <= 1 and abs(boxes[0, 3] - height) <= 1, boxes[0]
    assert 0 <= boxes[0, 0] <= DRAG_FROM[0] and 0 <= boxes[0, 1] <= DRAG_FROM[1], boxes[0]

    # the live window showed a frame of David with the tracked box drawn in pure green (BGR 0,255,0)
    green = (shot[..., 1] == 255) & (shot[..., 0] == 0) & (shot[..., 2] == 0)
    assert green.sum() >= 2 * (width + height), f"{green.sum()} green pixels in the live window"
    assert shot.std() > 20, "the live window looks blank"

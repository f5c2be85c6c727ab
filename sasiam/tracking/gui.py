"""The only place sasiam opens a window (`track --select`, `track --show`).

Kept apart because a window needs two things this package cannot promise: an
OpenCV built with a GUI backend (the declared dependency,
opencv-contrib-python-headless, has none: cv2.imshow and cv2.selectROI raise) and
a display to draw on. `gui_problem` says which one is missing, in one line, before
any camera is opened or model loaded.
"""
from __future__ import annotations

import os
import sys
from typing import Mapping, Sequence

import cv2
import numpy as np

from ..drawing import draw_boxes
from ..errors import SASiamError

WINDOW = "sasiam"
QUIT_KEYS = {ord("q"), ord("Q"), 27}  # 27: Esc


def gui_backend(build_info: str | None = None) -> str | None:
    """The GUI backend OpenCV was built with (GTK3, QT5, WIN32UI, COCOA...), None for none."""
    info = cv2.getBuildInformation() if build_info is None else build_info
    in_gui = False
    for line in info.splitlines():
        stripped = line.strip()
        if stripped.startswith("GUI:"):
            value = stripped.split(":", 1)[1].strip()
            if value and value.upper() != "NONE":
                return value
            in_gui = True  # newer builds list the backends on the following lines
            continue
        if in_gui:
            if not line.startswith("    ") or not stripped:
                break
            name, _, value = stripped.partition(":")
            if value.strip().upper().startswith("YES") and name.strip() not in ("VTK support", "Built-in Unicode font"):
                return name.strip()
    return None


def display_available(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """A window can be shown: Windows and macOS always have a desktop; elsewhere X11 or Wayland must be set."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin")):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def opencv_distribution() -> str:
    """Which pip package provides cv2 (they all install the same module name)."""
    from importlib import metadata

    for name in ("opencv-contrib-python-headless", "opencv-python-headless", "opencv-contrib-python", "opencv-python"):
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return f"cv2 {cv2.__version__}"


def gui_problem(option: str, build_info: str | None = None, environ: Mapping[str, str] | None = None,
                platform: str | None = None) -> str | None:
    """Why `option` cannot open a window here, in one line; None when it can."""
    if gui_backend(build_info) is None:
        return (f"{option} needs a window, but this OpenCV build has no GUI ({opencv_distribution()}); "
                f"install opencv-contrib-python in its place to use {option}")
    if not display_available(environ, platform):
        return f"{option} needs a window, but there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    return None


def require_gui(option: str) -> None:
    problem = gui_problem(option)
    if problem is not None:
        raise SASiamError(problem)


def select_box(frame: np.ndarray) -> tuple[float, float, float, float]:
    """Let the user drag the first box on `frame` (Enter/Space accepts, c or Esc cancels)."""
    title = f"{WINDOW}: drag a box around the target, then Enter (c cancels)"
    x, y, w, h = cv2.selectROI(title, frame, showCrosshair=True, fromCenter=False)
    cv2.destroyWindow(title)
    if w <= 0 or h <= 0:
        raise SASiamError("--select: no box was drawn (selection cancelled)")
    return float(x), float(y), float(w), float(h)


class LiveWindow:
    """One window showing each tracked frame with its box; show() is False once q or Esc is pressed."""

    def __init__(self, title: str = WINDOW) -> None:
        self.title = title
        cv2.namedWindow(self.title, cv2.WINDOW_NORMAL)

    def show(self, frame: np.ndarray, box: Sequence[float], label: str = "") -> bool:
        cv2.imshow(self.title, draw_boxes(frame, box, label))
        key = cv2.waitKey(1) & 0xFF
        closed = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        return key not in QUIT_KEYS and not closed

    def close(self) -> None:
        cv2.destroyWindow(self.title)

"""The two small things every OpenCV call site here wants: boxes drawn on a frame, and OpenCV quiet."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import cv2
import numpy as np

BOX_COLOUR = (0, 255, 0)      # BGR green
LABEL_COLOUR = (0, 255, 255)  # BGR yellow


def draw_boxes(frame: np.ndarray, boxes: Sequence[float] | np.ndarray, label: str = "") -> np.ndarray:
    """A copy of `frame` with each (x, y, w, h) of `boxes` (one box or N x 4) outlined, and `label` top left."""
    canvas = frame.copy()
    rows = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    # clipped so a box far outside the frame (a lost target) cannot overflow OpenCV's int coordinates
    for x, y, w, h in np.rint(rows).astype(np.int64).clip(-(1 << 20), 1 << 20):
        cv2.rectangle(canvas, (int(x), int(y)), (int(x + w), int(y + h)), BOX_COLOUR, 2)
    if label:
        cv2.putText(canvas, label, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, LABEL_COLOUR, 2)
    return canvas


@contextmanager
def opencv_silenced() -> Iterator[None]:
    """OpenCV's own multi-line log output off while the block runs; the caller reports failures in one line."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)

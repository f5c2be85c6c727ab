"""Run a tracker over a whole sequence: boxes, per-frame times, optional annotated video."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import cv2
import numpy as np
from tqdm import tqdm

from ..errors import InputSourceError


@dataclass
class TrackingResult:
    boxes: np.ndarray                      # N x 4, frame 0 is the initial box
    times: np.ndarray                      # seconds per frame (init for frame 0)
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def fps(self) -> float:
        """Frames per second of update() calls (the init frame excluded, as trackers report)."""
        tracked = self.times[1:]
        return float(len(tracked) / tracked.sum()) if len(tracked) and tracked.sum() > 0 else float("nan")


class AnnotatedVideoWriter:
    """Writes frames with the tracked box drawn on them (mp4v for .mp4, MJPG otherwise)."""

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = Path(path)
        self.fps = fps
        self._writer: cv2.VideoWriter | None = None

    def write(self, frame: np.ndarray, box: Sequence[float], label: str = "") -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fourcc = cv2.VideoWriter_fourcc(*("mp4v" if self.path.suffix.lower() == ".mp4" else "MJPG"))
            height, width = frame.shape[:2]
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (width, height))
            if not self._writer.isOpened():
                raise InputSourceError(f"{self.path}: OpenCV cannot write a video here")
        canvas = frame.copy()
        x, y, w, h = (int(round(v)) for v in box)
        cv2.rectangle(canvas, (x, y), (x + w, y + h), (0, 255, 0), 2)
        if label:
            cv2.putText(canvas, label, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 255), 2)
        self._writer.write(canvas)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()


def track_frames(tracker, frames: Iterable[np.ndarray], initial_box: Sequence[float], total: int | None = None,
                 video: str | Path | None = None, video_fps: float = 30.0, progress: bool = True,
                 description: str = "tracking") -> TrackingResult:
    """init on the first frame, update on the rest; works with any object with init/update."""
    from .frames import as_bgr_uint8

    writer = AnnotatedVideoWriter(video, video_fps) if video else None
    boxes, times, scores = [], [], []
    bar = tqdm(total=total, desc=description, unit="frame", disable=not progress, leave=False)
    try:
        for index, frame in enumerate(frames):
            start = time.perf_counter()
            if index == 0:
                tracker.init(frame, initial_box)
                box = tuple(float(v) for v in tracker.box) if hasattr(tracker, "box") else tuple(initial_box)
            else:
                box = tracker.update(frame)
            times.append(time.perf_counter() - start)
            boxes.append(box)
            scores.append(float(getattr(tracker, "score", np.nan)))
            if writer is not None:
                fps = 1.0 / times[-1] if times[-1] > 0 else 0.0
                writer.write(as_bgr_uint8(frame), box, f"frame {index + 1}  {fps:.1f} fps")
            bar.update(1)
            if len(times) > 1:
                bar.set_postfix(fps=f"{(len(times) - 1) / sum(times[1:]):.1f}")
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    if not boxes:
        raise InputSourceError("the input holds no frames")
    return TrackingResult(np.array(boxes, dtype=np.float64), np.array(times), np.array(scores))


def write_boxes(path: str | Path, boxes: np.ndarray) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, boxes, fmt="%.3f", delimiter=",")
    return path

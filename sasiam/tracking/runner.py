"""Run a tracker over a whole sequence: boxes, per-frame times, optional annotated video.

Input from the wild is handled here, the same for every tracker:

* an undecodable frame (None from `Sequence.frames(skip_undecodable=True)`)
  keeps the previous box (and score NaN, time 0); its index goes to
  `TrackingResult.skipped_frames`, so boxes stay one per frame and finite;
* a frame of another size than the first is scaled to the first frame's size
  for the tracker, and its box is scaled back into that frame's own pixels, so
  the tracker's state and the annotated video keep one geometry;
* a video that ended before its announced frame count is reported.

Each of these is one line in `TrackingResult.warnings`, also passed to `warn`
(default: a 'warning: ...' line on stderr, written through tqdm so the
progress bar stays intact).
"""
from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import cv2
import numpy as np
from tqdm import tqdm

from ..drawing import draw_boxes, opencv_silenced
from ..errors import InputSourceError, OutputError, SASiamWarning
from ..files import check_writable, write_output
from .frames import as_bgr_uint8

# Skipped frames named in full in the warning line; the rest are counted.
SHOWN_SKIPPED = 5


@dataclass
class TrackingResult:
    boxes: np.ndarray                      # N x 4, frame 0 is the initial box
    times: np.ndarray                      # seconds per frame (init for frame 0; 0 for skipped frames)
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    skipped_frames: list[int] = field(default_factory=list)  # 0-based frames that could not be decoded
    warnings: list[str] = field(default_factory=list)        # one line per problem worked around

    @property
    def fps(self) -> float:
        """Frames per second of update() calls (the init frame and skipped frames excluded)."""
        tracked = np.delete(self.times, [0, *self.skipped_frames]) if len(self.times) else self.times
        return float(len(tracked) / tracked.sum()) if len(tracked) and tracked.sum() > 0 else float("nan")


def print_warning(message: str) -> None:
    tqdm.write(f"warning: {message}", file=sys.stderr)


class AnnotatedVideoWriter:
    """Writes frames with the tracked box drawn on them (mp4v for .mp4, MJPG otherwise).

    OpenCV's writer never reports a failed write, so the folder is probed before
    the first frame (a full disk or a read-only folder fails at once) and the
    file is read back on close: a video holding fewer frames than were written
    is an OutputError.
    """

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = Path(path)
        self.fps = fps if np.isfinite(fps) and fps > 0 else 30.0
        self.frames_written = 0
        self._writer: cv2.VideoWriter | None = None
        self._last: tuple[np.ndarray, Sequence[float]] | None = None
        check_writable(self.path, "annotated video")

    def write(self, frame: np.ndarray, box: Sequence[float], label: str = "") -> None:
        if self._writer is None:
            fourcc = cv2.VideoWriter_fourcc(*("mp4v" if self.path.suffix.lower() == ".mp4" else "MJPG"))
            height, width = frame.shape[:2]
            with opencv_silenced():
                self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (width, height))
            if not self._writer.isOpened():
                raise OutputError(f"{self.path}: OpenCV cannot write a video here (give a .mp4 or .avi file name)")
        self._last = (frame, box)
        canvas = draw_boxes(frame, box, label)
        with opencv_silenced():  # a failed write is checked on close
            self._writer.write(canvas)
        self.frames_written += 1

    def repeat(self, label: str) -> None:
        """The previous frame again (for a frame that could not be decoded), so the video keeps its timing."""
        if self._last is not None:
            self.write(self._last[0], self._last[1], label)

    def close(self, check: bool = True) -> None:
        if self._writer is None:
            return
        self._writer.release()
        self._writer = None
        if check and self.path.is_file():
            capture = cv2.VideoCapture(str(self.path))
            stored = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
            capture.release()
            if stored < self.frames_written:
                raise OutputError(f"{self.path}: the annotated video is incomplete ({max(stored, 0)} of "
                                  f"{self.frames_written} frames stored; disk full?)")


def track_frames(tracker, frames: Iterable[np.ndarray | None], initial_box: Sequence[float], total: int | None = None,
                 video: str | Path | None = None, video_fps: float = 30.0, progress: bool = True,
                 description: str = "tracking", warn: Callable[[str], None] | None = None) -> TrackingResult:
    """init on the first frame, update on the rest; works with any object with init/update.

    `frames` may hold None for a frame that could not be decoded (see the module
    docstring); the first frame must decode, since the initial box belongs to it.
    """
    warn = warn or print_warning
    notes: list[str] = []

    def note(message: str) -> None:
        notes.append(message)
        warn(message)

    writer = AnnotatedVideoWriter(video, video_fps) if video else None
    boxes, times, scores, skipped = [], [], [], []
    first_size: tuple[int, int] | None = None
    resized, update_seconds = 0, 0.0
    bar = tqdm(total=total, desc=description, unit="frame", disable=not progress, leave=False)
    try:
        for index, frame in enumerate(frames):
            if frame is None:
                if index == 0:
                    raise InputSourceError(f"{_skip_reason(frames, 0) or 'the first frame'}: the first frame must "
                                           "decode (the initial box belongs to it)")
                skipped.append(index)
                boxes.append(boxes[-1])
                times.append(0.0)
                scores.append(float("nan"))
                if writer is not None:
                    writer.repeat(f"frame {index + 1}: undecodable, box kept")
                bar.update(1)
                continue
            frame = as_bgr_uint8(frame)
            height, width = frame.shape[:2]
            scale = None
            if first_size is None:
                first_size = (width, height)
            elif (width, height) != first_size:
                if not resized:
                    note(f"frame {index + 1} is {width}x{height} but the first frame was {first_size[0]}x"
                         f"{first_size[1]}: frames of another size are scaled to the first frame's size for "
                         "tracking; their boxes are given in their own pixels")
                resized += 1
                shrink = width * height > first_size[0] * first_size[1]
                frame = cv2.resize(frame, first_size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
                scale = np.array([width / first_size[0], height / first_size[1]] * 2)
            start = time.perf_counter()
            if index == 0:
                box = _init(tracker, frame, initial_box, note)
            else:
                box = tracker.update(frame)
            times.append(time.perf_counter() - start)
            update_seconds += times[-1] if index else 0.0
            reported = box if scale is None else _scaled(box, scale)
            boxes.append(reported)
            scores.append(float(getattr(tracker, "score", np.nan)))
            if writer is not None:
                fps = 1.0 / times[-1] if times[-1] > 0 else 0.0
                writer.write(frame, box, f"frame {index + 1}  {fps:.1f} fps")
            bar.update(1)
            tracked = len(times) - 1 - len(skipped)
            if tracked > 0 and progress:
                bar.set_postfix(fps=f"{tracked / max(update_seconds, 1e-9):.1f}")
    except BaseException:
        if writer is not None:
            writer.close(check=False)
        raise
    finally:
        bar.close()
    if writer is not None:
        writer.close()
    if not boxes:
        raise InputSourceError("the input holds no frames")
    if skipped:
        note(_skipped_line(frames, skipped))
    end_report = getattr(frames, "end_report", None)
    if callable(end_report) and end_report():
        note(end_report())
    return TrackingResult(np.array(boxes, dtype=np.float64), np.array(times), np.array(scores), skipped, notes)


def _init(tracker, frame: np.ndarray, initial_box, note: Callable[[str], None]):
    """tracker.init; sasiam's warnings (a clipped box) become notes, other warnings pass through."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SASiamWarning)
        tracker.init(frame, initial_box)
    for warning in caught:
        if issubclass(warning.category, SASiamWarning):
            note(str(warning.message))
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if hasattr(tracker, "boxes"):  # several targets: each box as init clipped it
        return list(tracker.boxes)
    return tuple(float(v) for v in tracker.box) if hasattr(tracker, "box") else tuple(initial_box)


def _scaled(box, scale: np.ndarray):
    scaled = np.asarray(box, dtype=np.float64) * scale
    return tuple(float(v) for v in scaled) if scaled.ndim == 1 else scaled


def _skip_reason(frames, index: int) -> str | None:
    return dict(getattr(frames, "skipped", [])).get(index)


def _skipped_line(frames, skipped: list[int]) -> str:
    shown = []
    for index in skipped[:SHOWN_SKIPPED]:
        reason = _skip_reason(frames, index)
        shown.append(f"{index + 1}" + (f" ({reason})" if reason else ""))
    more = f" and {len(skipped) - SHOWN_SKIPPED} more" if len(skipped) > SHOWN_SKIPPED else ""
    return (f"skipped {len(skipped)} undecodable frame{'s' if len(skipped) > 1 else ''}, each keeps the previous "
            f"box: {', '.join(shown)}{more}")


def write_boxes(path: str | Path, boxes: np.ndarray) -> Path:
    """One x,y,w,h line per frame, written atomically (a full disk leaves any previous file as it was)."""
    return write_output(path, lambda temporary: np.savetxt(temporary, boxes, fmt="%.3f", delimiter=","), "boxes file")

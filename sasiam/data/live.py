"""Live frame sources for `sasiam track`: a camera index or a stream URL read with
cv2.VideoCapture, or a video file / frame folder replayed at its own frame rate.

Why a reader thread and a one-slot buffer: a camera or a stream keeps producing
frames whether or not the tracker is ready for them. A FIFO queue between the two
grows without bound whenever the tracker is slower than the source (memory, and a
tracker that falls ever further behind real time). Here the reader thread keeps
only the newest frame; the tracker takes it when it is ready, and every frame that
was overwritten before being taken is counted as dropped.
"""
from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Iterator, Protocol

import cv2
import numpy as np

from ..drawing import opencv_silenced
from ..errors import InputSourceError

# OpenCV's FFmpeg backend waits 30 s by default on a dead host or a stalled stream.
OPEN_TIMEOUT_MS = 10_000
READ_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class LiveInput:
    """A command-line INPUT that names a live source rather than a file."""

    kind: str            # "camera" or "url"
    target: int | str    # camera index or URL, as cv2.VideoCapture takes it

    @property
    def label(self) -> str:
        """How messages name the source: `camera 0`, or the URL."""
        return f"camera {self.target}" if self.kind == "camera" else str(self.target)

    @property
    def default_name(self) -> str:
        """A file-name stem for default outputs (`camera0`, `stream` for .../stream.mjpg)."""
        if self.kind == "camera":
            return f"camera{self.target}"
        rest = str(self.target).split("://", 1)[1].split("?", 1)[0].rstrip("/")
        stem = rest.rsplit("/", 1)[-1].rsplit(".", 1)[0] if "/" in rest else rest
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem) or "stream"


def parse_live_input(text: str) -> LiveInput | None:
    """An integer is a camera index, anything with `://` a stream URL; None for a path.

    A folder or file literally named `0` is reached as `./0`.
    """
    if text.isdigit():
        return LiveInput("camera", int(text))
    if "://" in text and not text.startswith("file://"):
        return LiveInput("url", text)
    return None


class FrameSource(Protocol):
    name: str
    fps: float
    position: int  # the source's index of the frame read() last returned (from 0)
    skipped: int   # frames passed over because they could not be decoded

    def read(self) -> np.ndarray | None: ...

    def release(self) -> None: ...


class CaptureSource:
    """A cv2.VideoCapture that is already open; read() gives None at the end of the stream."""

    def __init__(self, capture: cv2.VideoCapture, name: str) -> None:
        self.capture = capture
        self.name = name
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if np.isfinite(fps) and 0 < fps < 1000 else 30.0
        self.position = -1
        self.skipped = 0

    def read(self) -> np.ndarray | None:
        ok, frame = self.capture.read()
        self.position += 1
        return frame if ok and frame is not None and frame.size else None

    def release(self) -> None:
        self.capture.release()


class IteratorSource:
    """Frames of a file or folder (already validated by open_sequence), for --realtime."""

    def __init__(self, frames: Iterator[np.ndarray], name: str, fps: float) -> None:
        self._frames = iter(frames)
        self.name = name
        self.fps = float(fps) if fps and np.isfinite(fps) and fps > 0 else 30.0
        self.position = -1
        self.skipped = 0

    def read(self) -> np.ndarray | None:
        # a frame that could not be decoded comes as None (frames(skip_undecodable=True)): a live
        # source has no placeholder to hold, so it is passed over (its index is not reused by the
        # next frame), and None means the end
        for frame in self._frames:
            self.position += 1
            if frame is not None:
                return frame
            self.skipped += 1
        return None

    def release(self) -> None:
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()  # a generator's finally releases its VideoCapture


def open_live_source(live: LiveInput) -> CaptureSource:
    """Open a camera or URL, or raise InputSourceError with one line saying which and why."""
    # OpenCV and FFmpeg print their own multi-line warnings for a missing camera or a refused
    # connection; the error below says it in one line. A user's own setting wins.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "8")  # AV_LOG_FATAL; read when FFmpeg first loads
    with opencv_silenced():
        if live.kind == "camera":
            capture = cv2.VideoCapture(live.target)
        else:
            capture = cv2.VideoCapture(live.target, cv2.CAP_FFMPEG,
                                       [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, OPEN_TIMEOUT_MS,
                                        cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS])
        opened = capture.isOpened()
    if not opened:
        capture.release()
        if live.kind == "camera":
            raise InputSourceError(f"{live.label}: cannot open (no such device?)")
        raise InputSourceError(f"{live.label}: cannot open the stream (wrong address, server down, or a format "
                               f"OpenCV's FFmpeg cannot read; gave up after {OPEN_TIMEOUT_MS // 1000} s at most)")
    return CaptureSource(capture, live.label)


@dataclass
class BufferStats:
    read: int = 0          # frames the reader put
    taken: int = 0         # frames the consumer took
    dropped: int = 0       # frames overwritten (or left at close) before being taken
    peak_pending: int = 0  # most frames ever held at once, waiting to be taken


class LatestFrameBuffer:
    """One slot between a reader thread and the tracker.

    drop=True (live): put() overwrites a frame nobody took, and counts it dropped.
    drop=False (every frame wanted, e.g. --show on a file): put() waits until the slot is free.
    Either way at most one frame waits, so memory stays bounded.
    """

    def __init__(self, drop: bool = True) -> None:
        self.drop = drop
        self.stats = BufferStats()
        self._slot: tuple[int, np.ndarray] | None = None
        self._finished = False
        self._closed = False
        self._condition = threading.Condition()

    def put(self, index: int, frame: np.ndarray, keep: bool = False) -> bool:
        """Offer frame `index`; False once the consumer has closed the buffer.

        keep=True waits until this frame is taken (the first frame: the given box belongs to it).
        """
        with self._condition:
            if not self.drop:
                while self._slot is not None and not self._closed:
                    self._condition.wait()
            if self._closed:
                return False
            if self._slot is not None:
                self.stats.dropped += 1
            self._slot = (index, frame)
            self.stats.read += 1
            self.stats.peak_pending = max(self.stats.peak_pending, 1)
            self._condition.notify_all()
            if keep:
                while self._slot is not None and self._slot[0] == index and not self._closed:
                    self._condition.wait()
            return not self._closed

    def take(self, timeout: float = 0.25) -> tuple[int, np.ndarray] | None:
        """The newest frame, waiting for one; None once the reader has finished and nothing is left.

        Waits in short steps so that Ctrl-C reaches the main thread promptly.
        """
        with self._condition:
            while self._slot is None:
                if self._finished or self._closed:
                    return None
                self._condition.wait(timeout)
            item, self._slot = self._slot, None
            self.stats.taken += 1
            self._condition.notify_all()
            return item

    def finish(self) -> None:
        """The reader has no more frames."""
        with self._condition:
            self._finished = True
            self._condition.notify_all()

    def close(self) -> None:
        """The consumer stops: a frame still waiting counts as dropped, and put() stops blocking."""
        with self._condition:
            if self._slot is not None:
                self._slot = None
                self.stats.dropped += 1
            self._closed = True
            self._condition.notify_all()

    @property
    def pending(self) -> int:
        with self._condition:
            return int(self._slot is not None)


class FrameReader(threading.Thread):
    """Reads a source into a LatestFrameBuffer until the source ends or stop() is called.

    Each frame goes in with the source's own index (`source.position`). pace_fps
    releases frame i at (i - first) / fps seconds after the first frame was taken,
    so that a file plays like a camera would deliver it (a camera or stream paces
    itself).
    The first frame is held until taken: the initial box is drawn on, or given for, it.
    """

    def __init__(self, source: FrameSource, buffer: LatestFrameBuffer, pace_fps: float | None = None) -> None:
        super().__init__(name=f"sasiam-reader-{source.name}", daemon=True)
        self.source = source
        self.buffer = buffer
        self.pace_fps = pace_fps
        self.error: BaseException | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            start = first_index = None
            while not self._stop_event.is_set():
                frame = self.source.read()
                if frame is None:
                    break
                index = self.source.position
                if start is not None and self.pace_fps:
                    delay = start + (index - first_index) / self.pace_fps - time.perf_counter()
                    if delay > 0 and self._stop_event.wait(delay):
                        break
                if not self.buffer.put(index, frame, keep=start is None):
                    break
                if start is None:
                    start, first_index = time.perf_counter(), index
        except BaseException as error:  # reported by the consumer, in the main thread
            self.error = error
        finally:
            self.buffer.finish()
            self.source.release()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop_event.set()
        self.buffer.close()
        self.join(timeout)

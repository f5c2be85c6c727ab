"""Frame sources a tracker reads: a video file, a folder of frames, or an
OTB-layout sequence folder (img/ + groundtruth_rect.txt). Decoding is OpenCV's.

Damaged input in the wild: an image file that cannot be decoded (or a JPEG/PNG
cut short, which OpenCV would half-decode into grey) and a video frame that
fails to decode mid-file are *undecodable frames*; a video whose frames stop
before the count in its header *ended early*. `Sequence.frames()` returns a
`FrameStream` that records both. By default an undecodable frame raises
InputSourceError (benchmarks must not score damaged data); with
`skip_undecodable=True` (what `sasiam track` uses) it yields None in its place,
so frame numbers stay aligned, and the runner keeps the previous box.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from ..errors import InputSourceError, InvalidFrameError
from ..tracking.frames import as_bgr_uint8
from .layouts import otb
# Re-exported: read_boxes reads x,y,w,h files, 8-value polygon lines by `layouts.annotations.bounding_box`.
from .layouts.annotations import read_boxes  # noqa: F401
from .layouts.folders import IMAGE_SUFFIXES, list_images, natural_key  # noqa: F401

GROUNDTRUTH_NAMES = otb.GROUNDTRUTH_NAMES


# Consecutive failed reads after which a video counts as ended (a truncated file fails at once).
MAX_VIDEO_GAP = 8
# (start of file, marker every complete file of that type holds at its end): a file that starts
# like a JPEG or PNG but lacks the end marker was cut short.
END_MARKERS = ((b"\xff\xd8", b"\xff\xd9"), (b"\x89PNG\r\n\x1a\n", b"IEND"))


def read_image(path: Path) -> tuple[np.ndarray | None, str]:
    """(image as stored, "") or (None, why it cannot be used). Never raises for a bad file."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        return None, f"cannot read: {error.strerror or error}"
    if not data.size:
        return None, "empty file"
    # Checked before decoding: libjpeg would fill the missing part with grey (and print to stderr).
    raw = data.tobytes()
    for start, end in END_MARKERS:
        if raw.startswith(start) and raw.rfind(end) < 0:
            return None, "file is cut short (no end-of-image marker)"
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        return None, "cannot decode image"
    return image, ""


def open_capture(path: Path) -> cv2.VideoCapture:
    # FFmpeg prints its own multi-line complaints about damaged files; sasiam says it in one line.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "8")  # AV_LOG_FATAL; read when FFmpeg first loads
    return cv2.VideoCapture(str(path))


class FrameStream:
    """Iterator over a sequence's frames that records what it could not decode.

    skipped: (0-based frame index, "path or video: reason") per undecodable frame;
    expected: the frame count the source announces (None if unknown);
    delivered: frames yielded, placeholders included.
    """

    def __init__(self, sequence: "Sequence", skip_undecodable: bool) -> None:
        self.source = sequence.video_path or (sequence.frame_paths[0].parent if sequence.frame_paths else sequence.name)
        self.skip_undecodable = skip_undecodable
        self.skipped: list[tuple[int, str]] = []
        self.expected: int | None = len(sequence.frame_paths) if sequence.frame_paths is not None else None
        self.delivered = 0
        self._frames = (self._images(sequence.frame_paths) if sequence.frame_paths is not None
                        else self._video(sequence.video_path))

    def __iter__(self) -> "FrameStream":
        return self

    def __next__(self) -> np.ndarray | None:
        frame = next(self._frames)
        self.delivered += 1
        return frame

    def close(self) -> None:
        self._frames.close()  # a video's finally releases its VideoCapture

    @property
    def ended_early(self) -> bool:
        return self.expected is not None and self.delivered < self.expected

    def end_report(self) -> str | None:
        """One line if the source stopped before the frames it announced, else None."""
        if not self.ended_early:
            return None
        return (f"{self.source}: only {self.delivered} of the {self.expected} frames its header announces could be "
                f"decoded (truncated file?); the {self.delivered} frames were tracked")

    def _undecodable(self, index: int, where: str, reason: str) -> None:
        if not self.skip_undecodable:
            raise InputSourceError(f"{where}: {reason}")
        self.skipped.append((index, f"{where}: {reason}"))

    def _images(self, paths: list[Path]) -> Iterator[np.ndarray | None]:
        for index, path in enumerate(paths):
            frame, reason = read_image(path)
            if frame is not None and self.skip_undecodable:
                try:  # a file the tracker cannot use (a float image with NaN, 2 channels) is skipped too
                    frame = as_bgr_uint8(frame)
                except InvalidFrameError as error:
                    frame, reason = None, str(error)
            if frame is None:
                self._undecodable(index, str(path), reason)
            yield frame

    def _video(self, path: Path) -> Iterator[np.ndarray | None]:
        capture = open_capture(path)
        try:
            count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
            self.expected = count if count > 0 else None
            index, failed = 0, []
            while True:
                ok, frame = capture.read()
                if not ok:
                    # A damaged frame fails alone and the next one decodes; at the end every read fails.
                    failed.append(index)
                    index += 1
                    if len(failed) >= MAX_VIDEO_GAP or (self.expected is not None and index >= self.expected):
                        break
                    continue
                for missing in failed:
                    self._undecodable(missing, str(path), f"frame {missing + 1} cannot be decoded")
                    yield None
                failed = []
                index += 1
                yield frame
        finally:
            capture.release()


@dataclass
class Sequence:
    """A named run of frames, with ground truth when the source has it."""

    name: str
    frame_paths: list[Path] | None = None
    video_path: Path | None = None
    groundtruth: np.ndarray | None = None
    fps: float = 30.0
    attributes: list[str] = field(default_factory=list)  # e.g. OTB tags; report groups scores by them

    def __len__(self) -> int:
        if self.frame_paths is not None:
            return len(self.frame_paths)
        capture = cv2.VideoCapture(str(self.video_path))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        capture.release()
        return max(count, 0)

    def frames(self, skip_undecodable: bool = False) -> FrameStream:
        """Decoded frames as stored (BGR, gray, BGRA, 16-bit...), in order.

        An undecodable frame raises InputSourceError naming it; with
        skip_undecodable=True it is recorded in the stream's `.skipped` and None is
        yielded in its place (the other frames then come as BGR uint8). A video that
        ends before its announced frame count is not an error: see `.end_report()`.
        """
        return FrameStream(self, skip_undecodable)

    @property
    def first_box(self) -> np.ndarray | None:
        if self.groundtruth is None or not len(self.groundtruth):
            return None
        return self.groundtruth[0]


def open_sequence(path: str | Path) -> Sequence:
    """Open INPUT as the command line understands it."""
    path = Path(path)
    if not path.exists():
        raise InputSourceError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() in IMAGE_SUFFIXES:
            raise InputSourceError(f"{path}: a single image; give the folder that holds the frames")
        capture = open_capture(path)
        opened = capture.isOpened()
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        ok = opened and capture.read()[0]
        capture.release()
        if not ok:
            raise InputSourceError(f"{path}: not a video OpenCV can decode (" + (
                "empty file)" if path.stat().st_size == 0 else
                "damaged or truncated file, or a format its FFmpeg lacks)"))
        if not np.isfinite(fps) or fps <= 0:
            fps = 30.0
        return Sequence(name=path.stem, video_path=path, fps=fps)
    image_folder = otb.frame_folder(path)
    frames = list_images(image_folder)
    if not frames:
        raise InputSourceError(f"{image_folder}: folder holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    groundtruth_file = otb.groundtruth_file(path)
    groundtruth = read_boxes(groundtruth_file) if groundtruth_file is not None else None
    return Sequence(name=path.name, frame_paths=frames, groundtruth=groundtruth)

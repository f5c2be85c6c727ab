"""Frame sources a tracker reads: a video file, a folder of frames, or an
OTB-layout sequence folder (img/ + groundtruth_rect.txt). Decoding is OpenCV's."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from ..errors import InputSourceError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
GROUNDTRUTH_NAMES = ("groundtruth_rect.txt", "groundtruth.txt")


def read_boxes(path: str | Path) -> np.ndarray:
    """N x 4 float boxes from an OTB/VOT text file (comma, tab or space separated).

    Lines with 8 values (VOT polygons) become their axis-aligned bounding box;
    'NaN' or 'nan' marks a frame where the target is absent.
    """
    rows = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            values = [float(v) for v in re.split(r"[,\s]+", line)]
        except ValueError:
            raise InputSourceError(f"{path}:{number}: not a list of numbers: {line[:60]!r}") from None
        if len(values) == 8:
            xs, ys = values[0::2], values[1::2]
            values = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        if len(values) != 4:
            raise InputSourceError(f"{path}:{number}: expected 4 (x,y,w,h) or 8 (polygon) values, got {len(values)}")
        rows.append(values)
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def list_images(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)


@dataclass
class Sequence:
    """A named run of frames, with ground truth when the source has it."""

    name: str
    frame_paths: list[Path] | None = None
    video_path: Path | None = None
    groundtruth: np.ndarray | None = None
    fps: float = 30.0

    def __len__(self) -> int:
        if self.frame_paths is not None:
            return len(self.frame_paths)
        capture = cv2.VideoCapture(str(self.video_path))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        capture.release()
        return max(count, 0)

    def frames(self) -> Iterator[np.ndarray]:
        """Decoded BGR frames. An unreadable image file raises InputSourceError naming it."""
        if self.frame_paths is not None:
            for path in self.frame_paths:
                frame = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
                if frame is None:
                    raise InputSourceError(f"{path}: cannot decode image")
                yield frame
            return
        capture = cv2.VideoCapture(str(self.video_path))
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                yield frame
        finally:
            capture.release()

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
        capture = cv2.VideoCapture(str(path))
        opened = capture.isOpened()
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        ok = opened and capture.read()[0]
        capture.release()
        if not ok:
            raise InputSourceError(f"{path}: not a video OpenCV can decode")
        return Sequence(name=path.stem, video_path=path, fps=fps)
    image_folder = path / "img" if (path / "img").is_dir() else path
    frames = list_images(image_folder)
    if not frames:
        raise InputSourceError(f"{image_folder}: folder holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    groundtruth = None
    for name in GROUNDTRUTH_NAMES:
        if (path / name).is_file():
            groundtruth = read_boxes(path / name)
            break
    return Sequence(name=path.name, frame_paths=frames, groundtruth=groundtruth)

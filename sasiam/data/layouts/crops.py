"""Curated-crops layout (the layout of ``../shared/training/README.md``, as SiamFC's curated
ILSVRC-VID and pysot's crop511 sets): one folder per video with ``NNNNNN.jpg`` 255x255 crops,
each centred on the target with SiamFC's context, and ``crops.tsv``, a tab-separated table
with the header ``frame x y w h frame_w frame_h scale``: the frame number in the source video,
the target's box in the source frame, the frame's size, and the scale from frame to crop pixels.

In crop pixels the target is centred (continuous centre 127.5, the middle of pixel 127) with
size (w, h) x scale (`crop_boxes`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import InputSourceError
from .folders import natural_key

COLUMNS = ("frame", "x", "y", "w", "h", "frame_w", "frame_h", "scale")
TABLE = "crops.tsv"
CROP_SIZE = 255


def is_video(folder: Path) -> bool:
    return (folder / TABLE).is_file()


def video_folders(root: Path) -> list[Path]:
    """`root` when it is one video, else its sub-folders that are, in natural order."""
    if is_video(root):
        return [root]
    return sorted((p for p in root.iterdir() if p.is_dir() and is_video(p)), key=natural_key)


def read_table(folder: Path) -> np.ndarray:
    """The rows of ``crops.tsv`` as N x 8 float64, in `COLUMNS` order; a wrong header or row is an error."""
    table = folder / TABLE
    lines = [line.split("\t") for line in table.read_text().splitlines() if line.strip()]
    if not lines or tuple(lines[0]) != COLUMNS:
        raise InputSourceError(f"{table}: expected the header {' '.join(COLUMNS)} (tab-separated)")
    try:
        return np.array([[float(value) for value in line] for line in lines[1:]], dtype=np.float64).reshape(-1, 8)
    except ValueError:
        raise InputSourceError(f"{table}: every row needs 8 numbers ({' '.join(COLUMNS)})") from None


def frame_numbers(rows: np.ndarray) -> np.ndarray:
    return rows[:, 0].astype(np.int64)


def crop_paths(folder: Path, numbers: np.ndarray) -> list[Path]:
    return [folder / f"{number:06d}.jpg" for number in numbers]


def crop_boxes(rows: np.ndarray) -> np.ndarray:
    """N x 4 x,y,w,h of the target in crop pixels: centred in the crop, size (w, h) x scale."""
    centre = CROP_SIZE / 2
    size = rows[:, 3:5] * rows[:, 7:8]
    return np.column_stack([centre - size / 2, size])


def scales(rows: np.ndarray) -> np.ndarray:
    return rows[:, 7]

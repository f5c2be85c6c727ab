"""What every layout is made of: folders of frame images, one-name-a-line lists, ground-truth
files found by a list of candidate names, and `RawSequence`, what a layout reads for one
sequence before a view (training or evaluation) decides what its frames are for."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}


@dataclass
class RawSequence:
    """One sequence as its layout stores it: nothing cut, nothing checked against anything else.

    frames: the frame files; boxes: one x,y,w,h row per ground-truth line (NaN where the file
    says so); flags: per-frame integer labels by name (``"absence"``, ``"cover"``,
    ``"full_occlusion"``, ...), only those whose file exists; attributes: sequence-level tags."""

    name: str
    folder: Path
    frames: list[Path]
    boxes: np.ndarray
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    attributes: list[str] = field(default_factory=list)


def natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def list_images(folder: Path) -> list[Path]:
    """The image files of `folder`, in natural order (frame2 before frame10)."""
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)


def read_name_list(path: Path) -> list[str]:
    """One name a line, blank lines skipped (VOT's and GOT-10k's ``list.txt``)."""
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def has_content(path: Path) -> bool:
    """A file with something besides white space in it (OTB ships some empty ground-truth files)."""
    return path.is_file() and path.stat().st_size > 0 and bool(path.read_text().strip())


def first_file(folder: Path, names: Iterable[str], nonempty: bool = False) -> Path | None:
    """The first of `names` in `folder` that is a file (with `nonempty`, one with content), else None."""
    present = has_content if nonempty else Path.is_file
    return next((folder / name for name in names if present(folder / name)), None)


def first_folder(folder: Path, subfolders: Iterable[str]) -> Path:
    """The first of `subfolders` of `folder` that exists, else `folder` itself (frames beside the annotations)."""
    return next((folder / name for name in subfolders if (folder / name).is_dir()), folder)

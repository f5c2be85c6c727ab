"""VOT layout (VOT2013-2019 short-term, as the VOT toolkit and got10k unpack it):
``ROOT/list.txt`` names the sequence folders; each holds ``groundtruth.txt`` (one region a
line: x,y,w,h or the polygon x1,y1,...,x4,y4), the frames in ``color/`` (the toolkit's
newer layout) or beside the ground truth (VOT2013-2016 zips, got10k's reader), per-frame
tags ``*.tag`` / ``*.label`` (0/1 a line: occlusion, camera_motion, ...), and a
``sequence`` file of key=value metadata (width, height, ...).

Two readers, each by its own rule (`VOTFiles`), both kept as they were:

* `TOOLKIT_FILES` -- `sasiam eval --dataset vot2015/2016/2017` (`benchmarks`): ``list.txt``
  is required, the ground truth is ``groundtruth.txt`` only, frames in ``color/`` else the
  sequence folder; polygons become got10k's `area_preserving_box`; tags are attributes.
* `EVAL_VOT_FILES` -- `sasiam eval-vot` (`evaluation/vot_benchmark.py`): without
  ``list.txt`` every sub-folder with a ground-truth file is a sequence
  (`sequence_folders`), and it also reads the shared folders' OTB-layout copies of VOT
  sequences: ground truth ``groundtruth.txt``, else ``groundtruth_original.txt`` (the
  original polygons), else ``groundtruth_rect.txt``; frames in ``color/``, else ``img/``,
  else the sequence folder. Regions stay polygons (see `annotations`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .annotations import read_flags
from .folders import first_file, first_folder, read_name_list

LIST_FILE = "list.txt"
PROPERTIES_FILE = "sequence"
TAG_PATTERNS = ("*.tag", "*.label")


@dataclass(frozen=True)
class VOTFiles:
    """Where a reader looks, in order: ground-truth file names, then frame sub-folders (else the
    sequence folder itself)."""

    groundtruth: tuple[str, ...]
    frame_folders: tuple[str, ...]


TOOLKIT_FILES = VOTFiles(groundtruth=("groundtruth.txt",), frame_folders=("color",))
EVAL_VOT_FILES = VOTFiles(groundtruth=("groundtruth.txt", "groundtruth_original.txt", "groundtruth_rect.txt"),
                          frame_folders=("color", "img"))


def listed_names(root: Path) -> list[str] | None:
    """The names in ``ROOT/list.txt``; None when there is no list."""
    path = root / LIST_FILE
    return read_name_list(path) if path.is_file() else None


def groundtruth_file(folder: Path, files: VOTFiles) -> Path | None:
    return first_file(folder, files.groundtruth)


def frame_folder(folder: Path, files: VOTFiles) -> Path:
    return first_folder(folder, files.frame_folders)


def sequence_folders(root: Path, files: VOTFiles) -> list[Path]:
    """The folders ``list.txt`` names; without it, the sub-folders holding a ground-truth file, by name."""
    names = listed_names(root)
    if names is not None:
        return [root / name for name in names]
    return sorted(p for p in root.iterdir() if p.is_dir() and groundtruth_file(p, files) is not None)


def read_tags(folder: Path) -> list[str]:
    """The per-frame tags (``occlusion.tag``, ``camera_motion.tag``, ...) set on any frame, by name, sorted."""
    return sorted(p.stem for pattern in TAG_PATTERNS for p in folder.glob(pattern) if read_flags(p).any())


def read_properties(folder: Path) -> dict[str, str]:
    """The key=value lines of the sequence's ``sequence`` metadata file ({} without one)."""
    path = folder / PROPERTIES_FILE
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}

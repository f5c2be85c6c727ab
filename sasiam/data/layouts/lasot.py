"""LaSOT layout: ``ROOT/<category>/<category>-<n>/`` with ``img/00000001.jpg ...``,
``groundtruth.txt`` (x,y,w,h, comma separated), ``full_occlusion.txt`` and ``out_of_view.txt``
(comma-separated 0/1 on one line) and ``nlp.txt``. Sequence folders directly under ROOT
(``ROOT/<category>-<n>/``, as the test download unpacks) are sequences too. The official
train/test split is a list of names, not a folder layout: ``ROOT/training_set.txt`` and
``ROOT/testing_set.txt`` as the LaSOT toolkit ships them, else (test) the 280 names the got10k
toolkit lists (`sasiam.data.benchmark_lists`).

Two ways to find sequences, one per reader, both by `is_sequence`: training lists every
sequence under ROOT (`sequence_folders`); evaluation looks each listed name up
(`sequence_folder`: ``ROOT/<category>/<name>/``, or ``ROOT/<name>/`` when that folder is not there).
"""
from __future__ import annotations

import re
from pathlib import Path

from .. import benchmark_lists as lists
from .annotations import read_boxes, read_flag_files
from .folders import RawSequence, list_images, natural_key

SPLIT_FILES = {"train": "training_set.txt", "test": "testing_set.txt"}
FLAG_FILES = {"full_occlusion": "full_occlusion.txt", "out_of_view": "out_of_view.txt"}
GROUNDTRUTH = "groundtruth.txt"
FRAME_FOLDER = "img"


def category(name: str) -> str:
    return name.rsplit("-", 1)[0]


def is_sequence(folder: Path) -> bool:
    return (folder / FRAME_FOLDER).is_dir() and (folder / GROUNDTRUTH).is_file()


def sequence_folders(root: Path) -> list[Path]:
    """Every sequence under ROOT in natural order: ``ROOT/<name>/`` ones, and those inside category folders."""
    folders = []
    for child in sorted(root.iterdir(), key=natural_key):
        if not child.is_dir():
            continue
        if is_sequence(child):
            folders.append(child)
        else:
            inside = (p for p in child.iterdir() if p.is_dir() and is_sequence(p))
            folders.extend(sorted(inside, key=natural_key))
    return folders


def sequence_folder(root: Path, name: str) -> Path | None:
    """The folder of sequence `name`: ``ROOT/<category>/<name>/``, or ``ROOT/<name>/`` when the former
    is not a folder; None when it is not a sequence."""
    folder = root / category(name) / name
    if not folder.is_dir():
        folder = root / name
    return folder if is_sequence(folder) else None


def read_split(path: Path) -> list[str]:
    """The names of a split list (separated by newlines, white space or commas), in file order."""
    return [name for name in re.split(r"[,\s]+", path.read_text().strip()) if name]


def split_names(root: Path, subset: str) -> list[str] | None:
    """The names of split `subset` ("train" or "test") from ROOT's list file; None without the file."""
    path = root / SPLIT_FILES[subset]
    return read_split(path) if path.is_file() else None


def benchmark_names(root: Path) -> list[str]:
    """The test sequences: ``ROOT/testing_set.txt``, else the 280 names got10k lists."""
    names = split_names(root, "test")
    return names if names is not None else lists.lasot_test_names()


def read_sequence(folder: Path, name: str | None = None) -> RawSequence:
    """Frames, boxes and the flags whose file exists; `name` defaults to the folder's."""
    frames, boxes = list_images(folder / FRAME_FOLDER), read_boxes(folder / GROUNDTRUTH)
    return RawSequence(name or folder.name, folder, frames, boxes, read_flag_files(folder, FLAG_FILES))

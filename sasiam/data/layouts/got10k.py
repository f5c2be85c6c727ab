"""GOT-10k layout: ``ROOT/<split>/list.txt`` names the sequence folders (split: train, val,
test); each holds ``00000001.jpg ...``, ``groundtruth.txt`` (x,y,w,h a line; only the first
line in the test split), ``absence.label`` (1 = target absent) and ``cover.label`` (0..8,
visible-ratio bins, 0 = fully covered), as the got10k toolkit's ``datasets/got10k.py`` reads them.

Rules that differ between readers, each named here:

* no ``list.txt``: training takes every folder that holds a ground truth (`scanned_names`);
  evaluation (`sasiam eval --dataset got10k-val`) requires the list;
* the split folder: training reads ``ROOT/<split>/`` (`split_folder`); evaluation takes
  ``ROOT/val/`` when it holds a list, else ``ROOT`` itself (`val_folder`).

What the flags mean for a frame is the views' business: training drops absent or fully covered
frames from pair sampling (`datasets.load_got10k`), evaluation gives them NaN ground truth
(got10k's evaluation drops the frames with cover 0).
"""
from __future__ import annotations

from pathlib import Path

from .annotations import read_boxes, read_flag_files
from .folders import RawSequence, list_images, natural_key, read_name_list

LIST_FILE = "list.txt"
GROUNDTRUTH = "groundtruth.txt"
FLAG_FILES = {"absence": "absence.label", "cover": "cover.label"}
VAL = "val"


def split_folder(root: Path, split: str) -> Path:
    return root / split


def val_folder(root: Path) -> Path:
    """``ROOT/val`` when it holds ``list.txt``, else ROOT (the val folder given itself)."""
    return root / VAL if (root / VAL / LIST_FILE).is_file() else root


def listed_names(folder: Path) -> list[str] | None:
    """The names in ``folder/list.txt``; None when there is no list."""
    path = folder / LIST_FILE
    return read_name_list(path) if path.is_file() else None


def scanned_names(folder: Path) -> list[str]:
    """The sub-folders of `folder` that hold a ground truth, in natural order (training without list.txt)."""
    return [p.name for p in sorted((p for p in folder.iterdir() if has_sequence(p)), key=natural_key)]


def has_sequence(folder: Path) -> bool:
    return (folder / GROUNDTRUTH).is_file()


def read_sequence(folder: Path, name: str | None = None) -> RawSequence:
    """Frames, boxes and the flags whose ``.label`` file exists (none in the test split); `name`
    defaults to the folder's."""
    frames, boxes = list_images(folder), read_boxes(folder / GROUNDTRUTH)
    return RawSequence(name or folder.name, folder, frames, boxes, read_flag_files(folder, FLAG_FILES))

"""OTB layout: ``ROOT/NAME/img/0001.jpg`` + ``ROOT/NAME/groundtruth_rect.txt`` (x,y,w,h a line,
NaN where the target is absent) and an optional ``attributes.txt`` (OTB tags, comma
separated). ../shared/sequences is a folder of such sequences.

The OTB benchmarks add the OTB toolkit's conventions (sequence lists and frame ranges in
`sasiam.data.benchmark_lists`): Jogging and Skating2 hold two targets
(``NAME/groundtruth_rect.1.txt`` and ``.2.txt``, read as NAME-1 and NAME-2; a folder
``NAME-1/`` with its own ``groundtruth_rect.txt`` is read too), Human4's target is
``groundtruth_rect.2.txt``, and a few sequences are evaluated on a frame range only
(`evaluated_range`; Tiger1 as the OTB toolkit and pytracking, from frame 6).

Rules that differ between readers, each named here:

* which folders are sequences: the training reader (`sequence_folders`) takes a folder with
  an ``img/`` sub-folder and a ground-truth file; the benchmarks and `sasiam track` also take
  frames that lie beside the ground truth (`frame_folder`);
* which ground-truth file: the first of `GROUNDTRUTH_NAMES` that exists (training,
  `sasiam track`, the `folder` benchmark: `groundtruth_file`), but the first *with content*
  for the OTB benchmarks (`target_files`: OTB ships empty files, Human4's ``.1``).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ...errors import InputSourceError
from .. import benchmark_lists as lists
from .annotations import read_boxes
from .folders import RawSequence, first_file, first_folder, has_content, list_images, natural_key

GROUNDTRUTH_NAMES = ("groundtruth_rect.txt", "groundtruth.txt")
FRAME_FOLDER = "img"
ATTRIBUTES_FILE = "attributes.txt"


def groundtruth_file(folder: Path) -> Path | None:
    """The first of `GROUNDTRUTH_NAMES` that is a file (empty or not)."""
    return first_file(folder, GROUNDTRUTH_NAMES)


def frame_folder(folder: Path) -> Path:
    """``img/`` when the sequence has one, else the sequence folder itself."""
    return first_folder(folder, (FRAME_FOLDER,))


def is_sequence(folder: Path) -> bool:
    """The training reader's rule: an ``img/`` folder and a ground-truth file."""
    return (folder / FRAME_FOLDER).is_dir() and groundtruth_file(folder) is not None


def sequence_folders(root: Path) -> list[Path]:
    """`root` when it is a sequence itself, else its sub-folders that are (`is_sequence`), in natural order."""
    if is_sequence(root):
        return [root]
    return sorted((p for p in root.iterdir() if p.is_dir() and is_sequence(p)), key=natural_key)


def read_attributes(folder: Path) -> list[str]:
    """Attribute tags of an OTB-layout folder's ``attributes.txt`` (comma separated, '#' comments)."""
    path = folder / ATTRIBUTES_FILE
    if not path.is_file():
        return []
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [tag.strip() for line in lines for tag in line.split(",") if tag.strip()]


def read_sequence(folder: Path, groundtruth: Path | None = None, name: str | None = None) -> RawSequence:
    """Frames (`frame_folder`) and boxes (`groundtruth`, default `groundtruth_file`) of one sequence
    folder. Attributes are left to the caller (the benchmarks read them, training does not)."""
    groundtruth = groundtruth or groundtruth_file(folder)
    return RawSequence(name or folder.name, folder, list_images(frame_folder(folder)), read_boxes(groundtruth))


def subfolders(root: Path) -> dict[str, Path]:
    """Every sub-folder of `root` but hidden ones, by name, sorted (the `folder` benchmark's sequences)."""
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")}


# --- the OTB benchmarks ----------------------------------------------------------------------------

def targets(version: str) -> list[str]:
    """The target names of "otb2013", "otb50" or "otb100" (two-target folders as NAME-1, NAME-2)."""
    folders = {"otb2013": lists.OTB2013, "otb50": lists.TB50, "otb100": lists.TB100}[version]
    names = []
    for folder in folders:
        names += [f"{folder}-1", f"{folder}-2"] if folder in lists.OTB_TWO_TARGETS else [folder]
    return sorted(names, key=str.lower)


def child_folders(root: Path) -> dict[str, Path]:
    """Sub-folders by lower-case name: OTB copies differ in case (Jogging / jogging)."""
    return {p.name.lower(): p for p in root.iterdir() if p.is_dir()}


def split_target(name: str) -> tuple[str, str]:
    """('Jogging', '1') for Jogging-1; (name, '') for a single-target sequence."""
    base, dash, target = name.rpartition("-")
    return (base, target) if dash and base in lists.OTB_TWO_TARGETS else (name, "")


def target_files(name: str, children: dict[str, Path]) -> tuple[Path, Path] | None:
    """(folder whose img/ holds the frames, ground-truth file) of one OTB target, None when absent.
    `children`: `child_folders` of the root."""
    base, target = split_target(name)
    if target:
        own = children.get(name.lower())  # Jogging-1/ with its own ground truth
        if own is not None:
            found = first_file(own, ("groundtruth_rect.txt", f"groundtruth_rect.{target}.txt"), nonempty=True)
            if found is not None:
                return own, found
        shared = children.get(base.lower())  # Jogging/ with groundtruth_rect.1.txt and .2.txt
        if shared is not None and has_content(shared / f"groundtruth_rect.{target}.txt"):
            return shared, shared / f"groundtruth_rect.{target}.txt"
        return None
    folder = children.get(name.lower())
    if folder is None:
        return None
    candidates = [lists.OTB_GROUNDTRUTH_FILES[name]] if name in lists.OTB_GROUNDTRUTH_FILES else []
    found = first_file(folder, [*candidates, *GROUNDTRUTH_NAMES], nonempty=True)
    if found is not None:
        return folder, found
    numbered = [p for p in sorted(folder.glob("groundtruth_rect.*.txt")) if has_content(p)]
    return (folder, numbered[0]) if len(numbered) == 1 else None


def target_attributes(name: str, folder: Path) -> list[str]:
    """The target's folder's tags, else those of its two-target base folder (Jogging-1 -> Jogging/)."""
    return read_attributes(folder) or read_attributes(folder.parent / split_target(name)[0])


def _frame_number(path: Path) -> int | None:
    digits = re.findall(r"\d+", path.stem)
    return int(digits[-1]) if digits else None


def evaluated_range(name: str, frames: list[Path], groundtruth: np.ndarray,
                    where: Path) -> tuple[list[Path], np.ndarray]:
    """The frames and ground truth the OTB toolkit evaluates (its configSeqs100.m ranges), from a full
    or an already-cut folder: the ground-truth length decides. Sequences without a range are returned
    as they are."""
    base = split_target(name)[0]
    if base not in lists.OTB_FRAME_RANGES:
        return frames, groundtruth
    start, end = lists.OTB_FRAME_RANGES[base]
    length = end - start + 1
    first_annotated = lists.OTB_GROUNDTRUTH_FIRST_FRAME.get(base, start)
    if len(groundtruth) != length:  # an annotation that starts before the range (Tiger1) or runs past it
        if len(groundtruth) < end - first_annotated + 1:
            raise InputSourceError(f"{where}: {name} is evaluated on frames {start}-{end} ({length} frames) "
                                   f"but its ground truth has {len(groundtruth)} boxes")
        groundtruth = groundtruth[start - first_annotated: end - first_annotated + 1]
    if len(frames) != length:  # the full image folder: pick frames start..end by their number
        in_range = [p for p in frames if (n := _frame_number(p)) is not None and start <= n <= end]
        if len(in_range) != length:
            raise InputSourceError(f"{where}: {name} is evaluated on frames {start}-{end} ({length} frames); the "
                                   f"folder has {len(frames)} frames, {len(in_range)} of them numbered in that range")
        frames = in_range
    return frames, groundtruth

"""Temple Color 128 layout: ``ROOT/NAME/img/0001.jpg ...``, ``NAME/NAME_gt.txt`` (x,y,w,h) and
``NAME/NAME_frames.txt`` (one line ``first,last``: the annotated frame range), as the got10k
toolkit's ``datasets/tcolor128.py`` reads it. No official name list ships with got10k, so the
sequences are the folders that hold a ``*_gt.txt``."""
from __future__ import annotations

from pathlib import Path

from ...errors import InputSourceError
from .annotations import read_boxes, read_values
from .folders import RawSequence


def sequence_folders(root: Path) -> dict[str, Path]:
    """name -> folder of every ``ROOT/*/`` holding a ``*_gt.txt``, sorted."""
    return {p.parent.name: p.parent for p in sorted(root.glob("*/*_gt.txt"))}


def read_sequence(folder: Path, name: str) -> RawSequence:
    """The frames of the range in ``*_frames.txt`` and the ``*_gt.txt`` boxes; an absent range file
    or frame is an error naming it."""
    range_files = sorted(folder.glob("*_frames.txt"))
    if not range_files:
        raise InputSourceError(f"{folder}: no {name}_frames.txt (first,last frame)")
    values = read_values(range_files[0])
    if len(values) != 1 or len(values[0]) != 2:
        raise InputSourceError(f"{range_files[0]}: expected one line 'first,last'")
    start, end = int(values[0][0]), int(values[0][1])
    frames = [folder / "img" / f"{number:04d}.jpg" for number in range(start, end + 1)]
    absent = [p for p in frames if not p.is_file()]
    if absent:
        raise InputSourceError(f"{folder}: {name} needs img/{start:04d}.jpg-{end:04d}.jpg; "
                               f"{len(absent)} are not there (first: {absent[0].name})")
    return RawSequence(name, folder, frames, read_boxes(next(iter(sorted(folder.glob("*_gt.txt"))))))

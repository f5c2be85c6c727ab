"""UAV123 layout: ``ROOT/data_seq/UAV123/FOLDER/000001.jpg ...`` and ``ROOT/anno/UAV123/NAME.txt``
(x,y,w,h a line, NaN,NaN,NaN,NaN where the target is absent). Several names are frame ranges of
one folder (bird1_1, bird1_2, ...): the ranges are got10k's uav123.json
(`sasiam.data.benchmark_lists.uav123_ranges`)."""
from __future__ import annotations

from pathlib import Path

from ...errors import InputSourceError
from .. import benchmark_lists as lists
from .annotations import read_boxes
from .folders import RawSequence


def ranges() -> dict[str, tuple[str, int, int]]:
    """name -> (folder, first frame, last frame), both inclusive, 1-based."""
    return lists.uav123_ranges()


class Reader:
    """Reads the sequences of one ROOT, listing each frame folder once (several names share one)."""

    def __init__(self, root: Path):
        self.root = root
        self.ranges = ranges()
        self._listed: dict[Path, set[str]] = {}

    def names(self) -> list[str]:
        return sorted(self.ranges)

    def annotation_file(self, name: str) -> Path:
        return self.root / "anno" / "UAV123" / f"{name}.txt"

    def read(self, name: str) -> RawSequence | None:
        """The frames of `name`'s range and its boxes; None when its folder or annotation is absent.
        A frame of the range that is not in the folder is an error naming it."""
        folder_name, start, end = self.ranges[name]
        folder = self.root / "data_seq" / "UAV123" / folder_name
        anno = self.annotation_file(name)
        if not anno.is_file() or not folder.is_dir():
            return None
        if folder not in self._listed:  # one listing per folder, not one stat per frame
            self._listed[folder] = {p.name for p in folder.iterdir()}
        frames = [folder / f"{number:06d}.jpg" for number in range(start, end + 1)]
        absent = [p.name for p in frames if p.name not in self._listed[folder]]
        if absent:
            raise InputSourceError(f"{folder}: {name} needs frames {start:06d}.jpg-{end:06d}.jpg; "
                                   f"{len(absent)} are not there (first: {absent[0]})")
        return RawSequence(name, folder, frames, read_boxes(anno))

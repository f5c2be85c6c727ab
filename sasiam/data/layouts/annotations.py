"""Annotation text files, and the rules that turn a polygon into a box.

Formats: rows of numbers separated by commas, tabs or spaces, one row a frame, blank lines
skipped, ``NaN`` where the target is absent (`read_rows`, `read_boxes`); per-frame integer
labels separated by commas, white space or newlines (`read_flags`: GOT-10k's
``absence.label`` / ``cover.label``, LaSOT's ``full_occlusion.txt`` / ``out_of_view.txt``,
VOT's ``*.tag`` / ``*.label``).

Polygon-to-box rules. A VOT ground-truth line may be a rotated rectangle, 8 values
``x1,y1,...,x4,y4``; a box tracker needs x,y,w,h. The readers use three rules, each for a
reason, and each keeps its exact numbers:

* `bounding_box` -- the min/max box of the vertices, no +1. Used by
  - `read_boxes` (its default), so by every reader of x,y,w,h files that may meet an 8-value
    line: `sasiam track` (`sequences.open_sequence`, boxes files), the training OTB reader
    (`datasets.load_otb_folder`), the `folder` benchmark and the OTB / GOT-10k / LaSOT /
    UAV123 / TC128 benchmarks (whose files hold only x,y,w,h). It is how ../shared/sequences
    made the ``groundtruth_rect.txt`` of its VOT sequences from ``groundtruth_original.txt``,
    so the polygons and the rect file read as the same boxes.
  - `sasiam.evaluation.vot.region_to_box`, on the float32 vertices a `Polygon` keeps: this is
    the VOT toolkit's own conversion, ``Polygon.convert(RegionType.RECTANGLE)``
    (vot/region/shapes.py), so `sasiam eval-vot` initialises a tracker on the box the toolkit
    sends a rectangle-only tracker over TraX; `sasiam.integrations.vot_trax` uses it for TraX
    polygon regions.
* `area_preserving_box` -- the got10k toolkit's ``VOT._corner2rect`` (got10k/datasets/vot.py),
  the same numbers as pysot's ``get_axis_aligned_bbox`` (pysot/utils/bbox.py, which returns
  the centre): centred on the mean vertex, sides of the min/max box scaled so that the area
  equals the rectangle's, + 1 px. Used by `sasiam eval --dataset vot2015/2016/2017`
  (`benchmarks`, through ``read_boxes(path, area_preserving_box)``) so that one-pass scores on
  VOT match got10k's (tests/data/test_benchmarks.py compares with got10k's VOT loader).
* no conversion -- `sasiam eval-vot` (`evaluation/vot_benchmark.py`) keeps the polygon for
  scoring: overlaps are counted on the rasterised polygon as vot-toolkit does
  (`evaluation/vot.py`); only the initial box goes through `region_to_box` above.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ...errors import InputSourceError

__all__ = ["read_rows", "read_values", "read_boxes", "read_flags", "read_flag_files", "bounding_box",
           "area_preserving_box"]

# x1,y1,...,x4,y4 -> x,y,w,h
PolygonRule = Callable[[Sequence[float]], Sequence[float]]


def read_rows(path: str | Path) -> list[tuple[int, list[float]]]:
    """(line number, numbers) for every non-blank line; a line that is not numbers is an error naming it."""
    rows = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            rows.append((number, [float(v) for v in re.split(r"[,\s]+", line)]))
        except ValueError:
            raise InputSourceError(f"{path}:{number}: not a list of numbers: {line[:60]!r}") from None
    return rows


def read_values(path: str | Path) -> list[list[float]]:
    """The rows of numbers of `path` (any count per row)."""
    return [values for _, values in read_rows(path)]


def bounding_box(values: Sequence[float]) -> tuple[float, float, float, float]:
    """The min/max box x,y,w,h of the polygon x1,y1,x2,y2,... (no +1). See the module docstring for who uses it."""
    xs, ys = values[0::2], values[1::2]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def area_preserving_box(corners: Sequence[float] | np.ndarray) -> np.ndarray:
    """got10k's VOT._corner2rect: the axis-aligned box centred on the polygon's mean vertex whose area
    equals the polygon's (sides scaled from the min/max box), + 1 px. `corners`: x1,y1,...,x4,y4, or
    N such rows (then N x 4). A degenerate polygon gives NaN (not scored)."""
    corners = np.asarray(corners, dtype=np.float64)
    rows = np.atleast_2d(corners)
    cx = np.mean(rows[:, 0::2], axis=1)
    cy = np.mean(rows[:, 1::2], axis=1)
    x1, x2 = np.min(rows[:, 0::2], axis=1), np.max(rows[:, 0::2], axis=1)
    y1, y2 = np.min(rows[:, 1::2], axis=1), np.max(rows[:, 1::2], axis=1)
    area1 = np.linalg.norm(rows[:, 0:2] - rows[:, 2:4], axis=1) * np.linalg.norm(rows[:, 2:4] - rows[:, 4:6], axis=1)
    area2 = (x2 - x1) * (y2 - y1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(area1 / area2)
    w = scale * (x2 - x1) + 1
    h = scale * (y2 - y1) + 1
    boxes = np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
    return boxes[0] if corners.ndim == 1 else boxes


def read_boxes(path: str | Path, polygon_to_box: PolygonRule = bounding_box) -> np.ndarray:
    """N x 4 float64 boxes from an OTB/VOT text file (comma, tab or space separated).

    Lines with 8 values (VOT polygons) become a box by `polygon_to_box`: by default their
    min/max `bounding_box` (the rule of ../shared/sequences); `sasiam eval --dataset vot*`
    passes `area_preserving_box` so that its numbers match got10k's. 'NaN' or 'nan' marks a
    frame where the target is absent.
    """
    rows = []
    for number, values in read_rows(path):
        if len(values) == 8:
            values = list(polygon_to_box(values))
        if len(values) != 4:
            raise InputSourceError(f"{path}:{number}: expected 4 (x,y,w,h) or 8 (polygon) values, got {len(values)}")
        rows.append(values)
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def read_flags(path: str | Path) -> np.ndarray:
    """Integer per-frame labels separated by commas, white space or newlines (GOT-10k, LaSOT, VOT tags)."""
    text = Path(path).read_text().replace(",", " ").split()
    try:
        return np.array([int(float(v)) for v in text], dtype=np.int64)
    except ValueError:
        raise InputSourceError(f"{path}: expected integer per-frame labels separated by commas, white space "
                               "or newlines") from None


def read_flag_files(folder: Path, files: dict[str, str]) -> dict[str, np.ndarray]:
    """`read_flags` of each {label: file name} whose file exists in `folder`, by label."""
    return {label: read_flags(folder / name) for label, name in files.items() if (folder / name).is_file()}

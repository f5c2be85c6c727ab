"""VOT reset-based ("supervised", "baseline") evaluation: the protocol and its measures,
accuracy (A), robustness (R, failures) and expected average overlap (EAO), computed
exactly as vot-toolkit computes them, so that numbers reported here can be compared
with published VOT2015-2017 results and with the toolkit's own output.

Every convention below was read from vot-toolkit 0.7.4 (the analysis code is the same
in 0.9.0); the paths are inside its `vot` package:

* Overlap (`region/raster.py: _calculate_overlap, rasterize_rectangle, rasterize_polygon,
  _bounds_rectangle, _bounds_polygon`, `region/raster.py: _infer_meta`): both regions are
  rounded to integer pixel coordinates (`np.round`, half to even) and rasterised; a
  rectangle x,y,w,h covers the pixels x..x+w-1, y..y+h-1; a polygon is scan-filled row by
  row with its own node rule (ported line by line in `_rasterize_polygon`); overlap is
  |A and B| / |A or B| in pixels, counted only inside the image ("bounded": columns
  0..width-1, rows 0..height-1, `AccuracyRobustness.bounded = True`). Two empty regions
  have overlap 1; a special code (init, failure, unknown, NaN ground truth) is an empty
  region. Coordinates are float32 first (`region/shapes.py: Rectangle, Polygon`).
* Reset protocol (`experiment/multirun.py: SupervisedExperiment.execute`): initialise on
  the ground truth of frame f (code 1 in the trajectory), update on f+1, f+2, ...; a frame
  whose overlap is <= `failure_overlap` (0) is a failure (code 2) and the tracker is
  initialised again `skip_initialize` (5) frames after it; the frames in between stay
  code 0. The VOT stacks 2015-2018 (`stack/vot2015/rgb.yaml`, `stack/vot2016/rgb.yaml`,
  `stack/vot2017.yaml`) set skip_initialize 5.
* Accuracy (`analysis/supervised.py: compute_accuracy`): mean overlap over the frames
  that are not code 0, not a failure, and not among the `burnin` (10) frames starting at an
  initialisation (the init frame counts as the first of the 10); 0 when no frame is left.
  Per sequence, the mean over repetitions (`AccuracyRobustness.subcompute`).
* Robustness (`analysis/supervised.py: count_failures, AccuracyRobustness`): the number of
  failures in a run, averaged over repetitions. Over sequences
  (`AverageAccuracyRobustness.aggregate`), A and R are averages weighted by sequence length
  (frames); the AR-plot reliability is exp(-sensitivity * R / mean length), sensitivity 30.
* EAO (`analysis/supervised.py: EAOCurve.subcompute, compute_eao_curve, EAOScore`): every
  run is cut at its failures into segments from an init frame up to (not including) the
  failure frame, plus the last segment to the end when it did not fail; all segments of all
  sequences count with weight 1. A segment that ended in failure is padded with zeros to
  the longest segment and counts at every length; one that reached the end of the
  sequence counts only up to its own length. The curve at length j is the weighted mean,
  over the counted segments, of the mean overlap of frames 1..j of the segment (the init
  frame, index 0, is left out; at j = 0 the curve is the init frame's overlap), in float32.
  The score is the mean of the curve over lengths low..high inclusive
  (`np.mean(curve[low:high + 1])`): numpy slicing, so an interval past the longest segment
  is cut short, and one entirely past it gives NaN. The intervals are the stacks' own:
  VOT2015 and VOT2016 108..371, VOT2017 (and VOT2018) 100..356. Sequences much shorter
  than the interval need a shorter, custom one.
* Result files (`region/io.py: parse_region, read_trajectory_binary`): one region per
  line, `1` init, `2` failure, `0` skipped, `x,y,w,h` rectangle, `x1,y1,...` polygon; the
  toolkit's default binary `.bin` layout is read too.

Where the toolkit cannot initialise (no ground truth on the init frame, where it errors),
`run_supervised` moves on to the next annotated frame; VOT sequences are annotated on
every frame, so this does not change any VOT number.
"""
from __future__ import annotations

import math
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from ..data.layouts.annotations import bounding_box

UNKNOWN, INITIALIZATION, FAILURE = 0, 1, 2

# (low, high) lengths of the EAO average, from vot-toolkit's stack files.
EAO_PRESETS: dict[str, tuple[int, int]] = {
    "vot2015": (108, 371),
    "vot2016": (108, 371),
    "vot2017": (100, 356),
    "vot2018": (100, 356),
}


@dataclass(frozen=True)
class Special:
    """A code in place of a region: 0 skipped/unknown, 1 initialisation, 2 failure."""

    code: int

    def __str__(self) -> str:
        return str(self.code)


@dataclass(frozen=True)
class Rectangle:
    x: float
    y: float
    width: float
    height: float

    def __post_init__(self) -> None:
        # the toolkit keeps regions in float32; rounding to pixels happens after that
        for name in ("x", "y", "width", "height"):
            object.__setattr__(self, name, float(np.float32(getattr(self, name))))

    def __str__(self) -> str:
        return f"{self.x},{self.y},{self.width},{self.height}"


@dataclass(frozen=True)
class Polygon:
    points: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        points = tuple((float(np.float32(x)), float(np.float32(y))) for x, y in self.points)
        if len(points) < 3:
            raise ValueError("a polygon needs at least 3 points")
        object.__setattr__(self, "points", points)

    def __str__(self) -> str:
        return ",".join(f"{x},{y}" for x, y in self.points)


Region = Special | Rectangle | Polygon


def parse_region(text: str) -> Region:
    """One line of a VOT ground-truth or result file (comma separated)."""
    text = text.strip()
    if text.startswith("m"):
        raise ValueError("mask regions are not supported")
    values = [float(v) for v in text.split(",")]
    if len(values) == 1:
        return Special(int(values[0]))
    if any(math.isnan(v) for v in values):
        return Special(UNKNOWN)
    if len(values) == 4:
        return Rectangle(*values)
    if len(values) > 4 and len(values) % 2 == 0:
        return Polygon(tuple(zip(values[0::2], values[1::2])))
    raise ValueError(f"not a VOT region: {text[:60]!r}")


def read_trajectory(path: str | Path) -> list[Region]:
    """A VOT region file: text, or the toolkit's binary `.bin` results."""
    data = Path(path).read_bytes()
    if len(data) >= 6 and struct.unpack_from("<h", data)[0] == 1:
        return _read_binary(data)
    regions = []
    for number, line in enumerate(data.decode().splitlines(), start=1):
        if line.strip():
            try:
                regions.append(parse_region(line))
            except ValueError as error:
                raise ValueError(f"{path}:{number}: {error}") from None
    return regions


def _read_binary(data: bytes) -> list[Region]:
    offset = 6
    (length,) = struct.unpack_from("<I", data, 2)
    regions: list[Region] = []
    for _ in range(length):
        (kind,) = struct.unpack_from("<B", data, offset)
        offset += 1
        if kind == 0:
            (code,) = struct.unpack_from("<I", data, offset)
            offset += 4
            regions.append(Special(code))
        elif kind == 1:
            regions.append(Rectangle(*struct.unpack_from("<ffff", data, offset)))
            offset += 16
        elif kind == 2:
            (count,) = struct.unpack_from("<H", data, offset)
            values = struct.unpack_from(f"<{2 * count}f", data, offset + 2)
            offset += 2 + 8 * count
            regions.append(Polygon(tuple(zip(values[0::2], values[1::2]))))
        else:
            raise ValueError(f"unsupported region type {kind} in a binary trajectory (masks are not supported)")
    return regions


def write_trajectory(path: str | Path, regions: Iterable[Region]) -> None:
    Path(path).write_text("".join(f"{region}\n" for region in regions))


def load_frame(path: str | Path) -> np.ndarray:
    """A frame as the toolkit's TraX server and `sasiam eval-vot` both read it (BGR uint8),
    so that a run through TraX and a direct run see the same pixels."""
    import cv2

    from ..errors import InputSourceError

    frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if frame is None:
        raise InputSourceError(f"{path}: cannot decode image")
    return frame


def region_to_box(region: Region) -> tuple[float, float, float, float]:
    """The x,y,w,h a box tracker starts from: a polygon's min/max box of its float32 vertices, as the
    toolkit's `Polygon.convert(RECTANGLE)` (no +1; `sasiam.data.layouts.annotations.bounding_box`)."""
    if isinstance(region, Rectangle):
        return region.x, region.y, region.width, region.height
    if isinstance(region, Polygon):
        return bounding_box([value for point in region.points for value in point])
    raise ValueError(f"no box for special region {region.code}")


# -- overlap ------------------------------------------------------------------------

def _bounds(region: Region) -> tuple[int, int, int, int]:
    if isinstance(region, Rectangle):
        x, y, w, h = (float(np.round(np.float32(v))) for v in (region.x, region.y, region.width, region.height))
        return int(round(x)), int(round(y)), int(round(x + w - 1)), int(round(y + h - 1))
    if isinstance(region, Polygon):
        points = np.round(np.asarray(region.points, dtype=np.float32))
        return (int(round(float(points[:, 0].min()))), int(round(float(points[:, 1].min()))),
                int(round(float(points[:, 0].max()))), int(round(float(points[:, 1].max()))))
    return 0, 0, 0, 0


def _rasterize_rectangle(region: Rectangle, bounds: tuple[int, int, int, int]) -> np.ndarray:
    width, height = bounds[2] - bounds[0] + 1, bounds[3] - bounds[1] + 1
    mask = np.zeros((height, width), dtype=bool)
    x, y, w, h = (int(np.round(np.float32(v))) for v in (region.x, region.y, region.width, region.height))
    if x > bounds[2] or x + w - 1 < bounds[0] or y > bounds[3] or y + h - 1 < bounds[1]:
        return mask
    left, top = max(0, x - bounds[0]), max(0, y - bounds[1])
    # the toolkit clips the right/bottom edge against the absolute bound, not the mask size,
    # and slices with it as numpy does (a negative end counts from the back); without image
    # bounds and with a region left of or above the origin this changes the count, so it is kept
    right, bottom = min(bounds[2], x + w - 1 - bounds[0]), min(bounds[3], y + h - 1 - bounds[1])
    mask[top:bottom + 1, left:right + 1] = True
    return mask


def _rasterize_polygon(region: Polygon, bounds: tuple[int, int, int, int]) -> np.ndarray:
    """The toolkit's scan-line fill (raster.py: rasterize_polygon), one row at a time;
    node x positions are truncated to integers as its int64 node array does."""
    width, height = bounds[2] - bounds[0] + 1, bounds[3] - bounds[1] + 1
    mask = np.zeros((height, width), dtype=bool)
    polygon = np.round(np.asarray(region.points, dtype=np.float32)).astype(np.float64)
    polygon -= np.array([[bounds[0], bounds[1]]], dtype=np.float64)
    count = len(polygon)
    rows = np.arange(height, dtype=np.float64)
    # nodes[e][row]: the crossing of edge e (from point j = e-1 to point i = e) with the row, if any
    crossing = np.zeros((count, height), dtype=bool)
    node_x = np.zeros((count, height), dtype=np.int64)
    for i in range(count):
        j = i - 1 if i else count - 1
        xi, yi, xj, yj = polygon[i, 0], polygon[i, 1], polygon[j, 0], polygon[j, 1]
        crossing[i] = (((yi <= rows) & (yj > rows)) | ((yj <= rows) & (yi > rows))
                       | ((yi < rows) & (yj >= rows)) | ((yj < rows) & (yi >= rows))
                       | ((yi == yj) & (yi == rows)))
        r, k = yj - yi, xj - xi
        if r != 0:
            node_x[i] = np.trunc(xi + (rows - yi) / r * k).astype(np.int64)
        else:
            node_x[i] = int(np.trunc(xi))
    for row in np.flatnonzero(crossing.any(axis=0)):
        nodes = sorted(int(v) for v in node_x[crossing[:, row], row])
        i = 0
        while i < len(nodes) - 1:
            if nodes[i] >= width:
                break
            if nodes[i] == nodes[i + 1] and i < len(nodes) - 2:
                i += 1
                continue
            if nodes[i + 1] >= 0:
                start, end = max(nodes[i], 0), min(nodes[i + 1], width - 1)
                mask[row, start:end + 1] = True
            i += 2
    return mask


def _rasterize(region: Region, bounds: tuple[int, int, int, int]) -> np.ndarray:
    if isinstance(region, Rectangle):
        return _rasterize_rectangle(region, bounds)
    if isinstance(region, Polygon):
        return _rasterize_polygon(region, bounds)
    return np.zeros((bounds[3] - bounds[1] + 1, bounds[2] - bounds[0] + 1), dtype=bool)


def overlap(a: Region, b: Region, size: tuple[int, int] | None = None) -> float:
    """Region overlap as vot-toolkit's `calculate_overlap(a, b, bounds=size)`; size is
    the image's (width, height), None for no clipping."""
    bounds_a, bounds_b = _bounds(a), _bounds(b)
    union = (min(bounds_a[0], bounds_b[0]), min(bounds_a[1], bounds_b[1]),
             max(bounds_a[2], bounds_b[2]), max(bounds_a[3], bounds_b[3]))
    if union[0] >= union[2] or union[1] >= union[3]:
        return 1.0
    if size is not None:
        raster = (max(0, union[0]), max(0, union[1]), min(size[0] - 1, union[2]), min(size[1] - 1, union[3]))
    else:
        raster = union
    if raster[0] >= raster[2] or raster[1] >= raster[3]:
        return 0.0
    mask_a, mask_b = _rasterize(a, raster), _rasterize(b, raster)
    union_count = int(np.count_nonzero(mask_a | mask_b))
    return float(np.count_nonzero(mask_a & mask_b)) / union_count if union_count else 0.0


def overlaps(trajectory: Sequence[Region], groundtruth: Sequence[Region], size: tuple[int, int] | None) -> np.ndarray:
    if len(trajectory) != len(groundtruth):
        raise ValueError(f"trajectory has {len(trajectory)} frames, ground truth {len(groundtruth)}")
    return np.array([overlap(t, g, size) for t, g in zip(trajectory, groundtruth)], dtype=np.float64)


# -- the protocol -------------------------------------------------------------------

@dataclass(frozen=True)
class VOTSettings:
    """The baseline experiment of the VOT2015-2017 stacks."""

    skip_initialize: int = 5
    failure_overlap: float = 0.0
    burnin: int = 10
    sensitivity: float = 30.0
    eao_interval: tuple[int, int] = EAO_PRESETS["vot2016"]


@dataclass
class SupervisedRun:
    trajectory: list[Region]
    times: list[float | None]

    @property
    def failures(self) -> int:
        return count_failures(self.trajectory)


def run_supervised(tracker, frame_at: Callable[[int], np.ndarray], groundtruth: Sequence[Region],
                   size: tuple[int, int], settings: VOTSettings = VOTSettings(),
                   on_frame: Callable[[int], None] | None = None) -> SupervisedRun:
    """Run any object with init(frame, box)/update(frame) -> box through the reset-based
    protocol. frame_at(i) loads frame i (frames after a failure are never loaded)."""
    length = len(groundtruth)
    trajectory: list[Region] = [Special(UNKNOWN)] * length
    times: list[float | None] = [None] * length
    frame = 0
    while frame < length:
        if isinstance(groundtruth[frame], Special):
            frame += 1
            continue
        start = time.perf_counter()
        tracker.init(frame_at(frame), region_to_box(groundtruth[frame]))
        times[frame] = time.perf_counter() - start
        trajectory[frame] = Special(INITIALIZATION)
        if on_frame:
            on_frame(frame)
        frame += 1
        while frame < length:
            start = time.perf_counter()
            box = tracker.update(frame_at(frame))
            times[frame] = time.perf_counter() - start
            if on_frame:
                on_frame(frame)
            region = Rectangle(*box) if np.all(np.isfinite(box)) else None
            if region is None or overlap(region, groundtruth[frame], size) <= settings.failure_overlap:
                trajectory[frame] = Special(FAILURE)
                frame += settings.skip_initialize
                break
            trajectory[frame] = region
            frame += 1
    return SupervisedRun(trajectory, times)


# -- measures -----------------------------------------------------------------------

def count_failures(trajectory: Sequence[Region]) -> int:
    return sum(1 for r in trajectory if isinstance(r, Special) and r.code == FAILURE)


def accuracy(trajectory: Sequence[Region], frame_overlaps: np.ndarray, burnin: int = 10) -> tuple[float, int]:
    """(mean overlap, frames counted) as compute_accuracy with ignore_unknown."""
    mask = np.ones(len(trajectory), dtype=bool)
    for i, region in enumerate(trajectory):
        if isinstance(region, Special):
            if region.code == INITIALIZATION:
                mask[i:i + burnin] = False
            elif region.code in (UNKNOWN, FAILURE):
                mask[i] = False
    if not mask.any():
        return 0.0, 0
    return float(np.mean(frame_overlaps[mask])), int(mask.sum())


def eao_segments(trajectory: Sequence[Region], frame_overlaps: np.ndarray) -> list[tuple[np.ndarray, bool]]:
    """(overlaps of the segment, reached the end without failing) for each initialisation."""
    failures = [i for i, r in enumerate(trajectory) if isinstance(r, Special) and r.code == FAILURE]
    inits = [i for i, r in enumerate(trajectory) if isinstance(r, Special) and r.code == INITIALIZATION]
    if not failures:
        return [(frame_overlaps, True)]
    segments = [(frame_overlaps[start:end], False) for start, end in zip(inits, failures)]
    if len(inits) > len(failures):
        segments.append((frame_overlaps[inits[-1]:], True))
    return segments


def eao_curve(segments: Sequence[tuple[np.ndarray, bool]]) -> np.ndarray:
    if not segments:
        return np.zeros(0, dtype=np.float32)
    longest = max(len(o) for o, _ in segments)
    values = np.zeros((len(segments), longest), dtype=np.float32)
    counted = np.zeros((len(segments), longest), dtype=np.float32)
    for row, (segment, success) in enumerate(segments):
        values[row, :len(segment)] = segment
        counted[row, :len(segment) if success else longest] = 1
    averaged = values.copy()
    if longest > 1:
        # mean of frames 1..j (the init frame left out), as the toolkit's per-column np.mean
        sums = np.cumsum(values[:, 1:].astype(np.float64), axis=1)
        averaged[:, 1:] = (sums / np.arange(1, longest)).astype(np.float32)
    return np.sum(averaged * counted, axis=0) / np.sum(counted, axis=0)


def eao_score(curve: np.ndarray, interval: tuple[int, int]) -> float:
    """Mean of the curve over lengths low..high; NaN when the curve ends before low."""
    low, high = interval
    part = curve[low:high + 1]
    return float(np.mean(part)) if len(part) else float("nan")


@dataclass
class SequenceRuns:
    """One sequence's ground truth and the runs (repetitions) of one tracker on it."""

    name: str
    groundtruth: list[Region]
    size: tuple[int, int]
    trajectories: list[list[Region]]
    times: list[list[float | None]] = field(default_factory=list)


@dataclass
class VOTScore:
    accuracy: float
    robustness: float           # failures per sequence, length-weighted (the toolkit's R)
    failures: float             # all failures, all sequences (each the mean over repetitions)
    reliability: float          # exp(-sensitivity * R / mean length), the AR-plot axis
    eao: float
    eao_curve: np.ndarray
    frames: int
    sequences: dict[str, dict]

    def as_dict(self) -> dict:
        return {"accuracy": self.accuracy, "robustness": self.robustness, "failures": self.failures,
                "reliability": self.reliability, "eao": _finite_or_none(self.eao), "frames": self.frames,
                "sequences": self.sequences}


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def score(runs: Sequence[SequenceRuns], settings: VOTSettings = VOTSettings()) -> VOTScore:
    if not runs:
        raise ValueError("no sequences to score")
    weighted_a = weighted_f = total_length = 0.0
    all_segments: list[tuple[np.ndarray, bool]] = []
    per_sequence: dict[str, dict] = {}
    for sequence in runs:
        if not sequence.trajectories:
            raise ValueError(f"{sequence.name}: no results")
        seq_a = seq_f = 0.0
        segments: list[tuple[np.ndarray, bool]] = []
        for trajectory in sequence.trajectories:
            frame_overlaps = overlaps(trajectory, sequence.groundtruth, sequence.size)
            seq_a += accuracy(trajectory, frame_overlaps, settings.burnin)[0]
            seq_f += count_failures(trajectory)
            segments += eao_segments(trajectory, frame_overlaps)
        seq_a /= len(sequence.trajectories)
        seq_f /= len(sequence.trajectories)
        length = len(sequence.groundtruth)
        weighted_a += seq_a * length
        weighted_f += seq_f * length
        total_length += length
        all_segments += segments
        times = [t for run in sequence.times for t in run[1:] if t is not None]
        per_sequence[sequence.name] = {
            "frames": length, "accuracy": seq_a, "failures": seq_f,
            "eao": _finite_or_none(eao_score(eao_curve(segments), settings.eao_interval)),
            "fps": len(times) / sum(times) if times and sum(times) > 0 else None,
        }
    robustness = weighted_f / total_length
    mean_length = total_length / len(runs)
    curve = eao_curve(all_segments)
    return VOTScore(accuracy=weighted_a / total_length, robustness=robustness,
                    failures=float(sum(s["failures"] for s in per_sequence.values())),
                    reliability=math.exp(-settings.sensitivity * robustness / mean_length),
                    eao=eao_score(curve, settings.eao_interval), eao_curve=curve, frames=int(total_length),
                    sequences=per_sequence)

"""What `sasiam bench-targets` measures: the cost of N targets in one video with MultiTargetTracker,
against N trackers.

N boxes on a real sequence (its first ground-truth box, or --box, plus N-1
boxes of the same size spread over the frame on a grid; the cost does not
depend on where they are, each is a fixed-size crop). For each N, a pass starts
one MultiTargetTracker and N separate SASiamTrackers (sharing its network in
memory) on frame 0, then on each of K frames held in memory (decoding is not
timed) times the batched update and the N separate updates back to back, in
alternating order. Pairing them frame by frame matters on a shared machine:
load that comes and goes hits both sides of a pair alike. One untimed pass of
one update warms each N up; then R passes per N; reported are the medians of
the pass means and the median of the per-frame ratios (separate / batched).
Both sides must give the same boxes (max difference reported).
"""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from ..data.sequences import open_sequence
from ..errors import SASiamError
from ..tracking.multi import MultiTargetTracker
from ..tracking.tracker import SASiamTracker


@dataclass
class TargetTiming:
    targets: int
    seconds_per_frame: float            # one update() of all N targets (median of the pass means)
    fps: float                          # frames per second with N targets
    target_fps: float                   # fps x N: target positions produced per second
    ms_per_target: float                # seconds_per_frame / N, in ms
    separate_seconds_per_frame: float   # N separate trackers' updates of one frame (median of the pass means)
    separate_fps: float
    speedup: float                      # median over the timed frames of separate / batched time
    max_box_difference: float           # largest |batched - separate| box coordinate (pixels) in the timed passes
    passes: list[float]                 # the batched per-frame mean of each timed pass
    separate_passes: list[float]        # the separate per-frame mean of each timed pass


def spread_boxes(first, count: int, width: int, height: int) -> list[tuple[float, float, float, float]]:
    """`first` plus count-1 boxes of its size (shrunk to fit) centred on a grid over the frame."""
    x, y, w, h = (float(v) for v in first)
    w, h = min(w, width / 2), min(h, height / 2)
    boxes = [tuple(float(v) for v in first)]
    extra = count - 1
    if extra <= 0:
        return boxes[:count]
    columns = math.ceil(math.sqrt(extra))
    rows = math.ceil(extra / columns)
    for index in range(extra):
        row, column = divmod(index, columns)
        cx = (column + 0.5) * width / columns
        cy = (row + 0.5) * height / rows
        bx = min(max(cx - w / 2, 0.0), width - w)
        by = min(max(cy - h / 2, 0.0), height - h)
        boxes.append((bx, by, w, h))
    return boxes


def timed(update, frame) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    boxes = update(frame)
    return time.perf_counter() - start, np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def paired_pass(multi, singles, frames: list[np.ndarray], boxes) -> tuple[list[float], list[float], float]:
    """Init both sides on frames[0]; per later frame the batched and the separate update times, and the
    largest box difference between the two sides."""
    multi.init(frames[0], boxes)
    for single, box in zip(singles, boxes):
        single.init(frames[0], box)

    def separate(frame):
        return [single.update(frame) for single in singles]

    batched_times, separate_times, difference = [], [], 0.0
    for index, frame in enumerate(frames[1:]):
        if index % 2:
            separate_time, separate_boxes = timed(separate, frame)
            batched_time, batched_boxes = timed(multi.update, frame)
        else:
            batched_time, batched_boxes = timed(multi.update, frame)
            separate_time, separate_boxes = timed(separate, frame)
        batched_times.append(batched_time)
        separate_times.append(separate_time)
        difference = max(difference, float(np.abs(batched_boxes - separate_boxes).max()))
    return batched_times, separate_times, difference


def run_bench(source: Path, targets: list[int], make_tracker: Callable[[], SASiamTracker], updates: int = 20,
              repeats: int = 3, box=None, progress: bool = True) -> tuple[list[TargetTiming], int, str]:
    """The timings per N in `targets`, K (the number of timed frames per pass, at most `updates`), and the
    precision that ran. `make_tracker` is called once the frames are read: bad input fails before a model loads."""
    if updates < 1 or repeats < 1:
        raise SASiamError("--frames and --repeats must be at least 1")
    sequence = open_sequence(source)
    first = box if box is not None else sequence.first_box
    if first is None:
        raise SASiamError(f"{source}: no ground truth to start from; give the first box with --box x,y,w,h")
    frames = list(islice(sequence.frames(), updates + 1))
    if len(frames) < 2:
        raise SASiamError(f"{source}: needs at least 2 frames (one to start, one to update), has {len(frames)}")
    height, width = frames[0].shape[:2]

    loaded = make_tracker()
    multi = MultiTargetTracker.from_tracker(loaded)  # one network in memory for both sides
    results = []
    bar = tqdm(total=len(targets) * (repeats + 1), desc="bench-targets", unit="pass", disable=not progress,
               leave=False)
    try:
        for count in targets:
            boxes = spread_boxes(first, count, width, height)
            singles = [SASiamTracker(backend=loaded.backend, config=loaded.config) for _ in boxes]
            paired_pass(multi, singles, frames[:2], boxes)  # warm-up: allocations and primitives for this N
            bar.update(1)
            batched_means, separate_means, ratios, difference = [], [], [], 0.0
            for _ in range(repeats):
                batched, separate, pass_difference = paired_pass(multi, singles, frames, boxes)
                batched_means.append(statistics.fmean(batched))
                separate_means.append(statistics.fmean(separate))
                ratios += [s / b for s, b in zip(separate, batched)]
                difference = max(difference, pass_difference)
                bar.update(1)
            batched_time, separate_time = statistics.median(batched_means), statistics.median(separate_means)
            results.append(TargetTiming(count, batched_time, 1 / batched_time, count / batched_time,
                                        1000 * batched_time / count, separate_time, 1 / separate_time,
                                        statistics.median(ratios), difference, batched_means, separate_means))
    finally:
        bar.close()
    return results, len(frames) - 1, getattr(loaded.backend, "precision", "fp32")

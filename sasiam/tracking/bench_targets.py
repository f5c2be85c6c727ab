"""`sasiam bench-targets`: what N targets in one video cost with MultiTargetTracker, against N trackers.

N boxes on a real sequence (its first ground-truth box, or --box, plus N-1
boxes of the same size spread over the frame on a grid; the cost does not
depend on where they are, each is a fixed-size crop). For each N: one warm-up
pass, then R timed passes over the same K frames held in memory (decoding is not
timed); the per-frame update time of a pass is its mean, and the reported time is
the median over the R passes. The single-target SASiamTracker is timed the same
way in the same run, sharing the network, so "N separate trackers" = N x that
time is measured under the same load as the batched number.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..errors import SASiamError


@dataclass
class TargetTiming:
    targets: int
    seconds_per_frame: float            # one update() of all N targets (median over repeats)
    fps: float                          # frames per second with N targets
    target_fps: float                   # fps x N: target positions produced per second
    ms_per_target: float                # seconds_per_frame / N, in ms
    separate_seconds_per_frame: float   # N x the single-tracker time measured in this run
    separate_fps: float
    speedup: float                      # separate / batched time


def parse_targets(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--targets takes comma-separated counts like 1,4,16, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"--targets takes counts >= 1, got {text!r}")
    return values


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


def time_passes(tracker, frames: list[np.ndarray], boxes, repeats: int) -> float:
    """Median over `repeats` passes of the mean update time; one untimed warm-up pass first."""
    per_pass = []
    for index in range(repeats + 1):
        tracker.init(frames[0], boxes)
        start = time.perf_counter()
        for frame in frames[1:]:
            tracker.update(frame)
        if index > 0:
            per_pass.append((time.perf_counter() - start) / (len(frames) - 1))
    return statistics.median(per_pass)


def run_bench(args: argparse.Namespace) -> tuple[list[TargetTiming], float, int]:
    from ..cli import make_tracker
    from ..data.sequences import open_sequence
    from .multi import MultiTargetTracker

    if args.frames < 1 or args.repeats < 1:
        raise SASiamError("--frames and --repeats must be at least 1")
    sequence = open_sequence(args.input)
    first = args.box if args.box is not None else sequence.first_box
    if first is None:
        raise SASiamError(f"{args.input}: no ground truth to start from; give the first box with --box x,y,w,h")
    frames = list(islice(sequence.frames(), args.frames + 1))
    if len(frames) < 2:
        raise SASiamError(f"{args.input}: needs at least 2 frames (one to start, one to update), has {len(frames)}")
    height, width = frames[0].shape[:2]

    single = make_tracker(args)
    multi = MultiTargetTracker.from_tracker(single)  # same network in memory
    bar = tqdm(total=(len(args.targets) + 1) * (args.repeats + 1), desc="bench-targets", unit="pass",
               disable=args.quiet, leave=False)

    def timed(tracker, boxes) -> float:
        seconds = time_passes(tracker, frames, boxes, args.repeats)
        bar.update(args.repeats + 1)
        return seconds

    try:
        single_time = timed(single, tuple(float(v) for v in first))
        results = []
        for count in args.targets:
            batched = timed(multi, spread_boxes(first, count, width, height))
            separate = count * single_time
            results.append(TargetTiming(count, batched, 1 / batched, count / batched, 1000 * batched / count,
                                        separate, 1 / separate, separate / batched))
    finally:
        bar.close()
    return results, single_time, len(frames) - 1


def command_bench_targets(args: argparse.Namespace) -> int:
    results, single_time, updates = run_bench(args)
    print(f"{args.input}: {updates} frames x {args.repeats} repeats (median), precision {args.precision}; "
          f"single tracker {1 / single_time:.2f} fps")
    print(f"{'targets':>7}  {'fps':>7}  {'target-fps':>10}  {'ms/target':>9}  {'N trackers fps':>14}  {'speedup':>7}")
    for r in results:
        print(f"{r.targets:7d}  {r.fps:7.2f}  {r.target_fps:10.2f}  {r.ms_per_target:9.1f}  "
              f"{r.separate_fps:14.2f}  {r.speedup:6.2f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "input": str(args.input), "frames": updates, "repeats": args.repeats, "precision": args.precision,
            "single_seconds_per_frame": single_time, "results": [asdict(r) for r in results],
        }, indent=2) + "\n")
        print(f"-> {args.json}")
    return 0


def register(commands) -> None:
    from ..cli import add_tracker_options, parse_box

    parser = commands.add_parser("bench-targets",
                                 help="speed of N targets in one batched tracker vs N separate trackers")
    parser.add_argument("input", type=Path, help="video file, folder of frames, or OTB sequence folder")
    parser.add_argument("--targets", type=parse_targets, default=[1, 4, 16], help="target counts (default 1,4,16)")
    parser.add_argument("--box", type=parse_box, help="the first target's box (default: the first ground-truth box)")
    parser.add_argument("--frames", type=int, default=20, help="update frames per pass (default 20)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; the median is reported (default 3)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_tracker_options(parser)
    parser.set_defaults(handler=command_bench_targets)

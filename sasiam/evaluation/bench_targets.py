"""`sasiam bench-targets`: what N targets in one video cost with MultiTargetTracker, against N trackers.

N boxes on a real sequence (its first ground-truth box, or --box, plus N-1
boxes of the same size spread over the frame on a grid; the cost does not
depend on where they are, each is a fixed-size crop). A pass is init on frame 0
then K timed updates over frames held in memory (decoding is not timed); its
per-frame time is the mean. Every configuration (the single-target
SASiamTracker, then each N) gets one untimed warm-up pass, then R rounds run one
pass of each configuration in turn, and the median over the rounds is reported.
Interleaving matters on a shared machine: load that comes and goes hits the
single tracker and the batched one alike, so "N separate trackers" (N x the
single tracker's time, same network) is compared under the same conditions.
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

from ..files import check_writable, write_output

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
    passes: list[float]                 # the per-frame time of each timed pass


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


def time_pass(tracker, frames: list[np.ndarray], boxes) -> float:
    """Mean update time over frames[1:] after init on frames[0]."""
    tracker.init(frames[0], boxes)
    start = time.perf_counter()
    for frame in frames[1:]:
        tracker.update(frame)
    return (time.perf_counter() - start) / (len(frames) - 1)


def run_bench(args: argparse.Namespace) -> tuple[list[TargetTiming], list[float], int]:
    """The timings per N, the single tracker's per-frame time of each pass, and K."""
    from ..cli import make_tracker
    from ..data.sequences import open_sequence
    from ..tracking.multi import MultiTargetTracker

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
    configs = [(single, tuple(float(v) for v in first))]
    configs += [(multi, spread_boxes(first, count, width, height)) for count in args.targets]
    times: list[list[float]] = [[] for _ in configs]
    bar = tqdm(total=len(configs) * (args.repeats + 1), desc="bench-targets", unit="pass",
               disable=args.quiet, leave=False)
    try:
        for round_index in range(args.repeats + 1):
            for index, (tracker, boxes) in enumerate(configs):
                seconds = time_pass(tracker, frames, boxes)
                if round_index > 0:  # round 0 warms every configuration up
                    times[index].append(seconds)
                bar.update(1)
    finally:
        bar.close()
    single_time = statistics.median(times[0])
    results = []
    for count, passes in zip(args.targets, times[1:]):
        batched = statistics.median(passes)
        separate = count * single_time
        results.append(TargetTiming(count, batched, 1 / batched, count / batched, 1000 * batched / count,
                                    separate, 1 / separate, separate / batched, passes))
    return results, times[0], len(frames) - 1


def command_bench_targets(args: argparse.Namespace) -> int:
    if args.json:
        check_writable(args.json, "JSON file")  # before minutes of timing, not after
    results, single_passes, updates = run_bench(args)
    single_time = statistics.median(single_passes)
    print(f"{args.input}: {updates} frames x {args.repeats} repeats (median), precision {args.precision}; "
          f"single tracker {1 / single_time:.2f} fps")
    print(f"{'targets':>7}  {'fps':>7}  {'target-fps':>10}  {'ms/target':>9}  {'N trackers fps':>14}  {'speedup':>7}")
    for r in results:
        print(f"{r.targets:7d}  {r.fps:7.2f}  {r.target_fps:10.2f}  {r.ms_per_target:9.1f}  "
              f"{r.separate_fps:14.2f}  {r.speedup:6.2f}x")
    if args.json:
        report = json.dumps({
            "input": str(args.input), "frames": updates, "repeats": args.repeats, "precision": args.precision,
            "single_seconds_per_frame": single_time, "single_passes": single_passes,
            "results": [asdict(r) for r in results],
        }, indent=2) + "\n"
        write_output(args.json, lambda temporary: Path(temporary).write_text(report), "JSON file")
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

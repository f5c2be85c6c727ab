"""`sasiam bench-targets INPUT`: N targets in one batched tracker against N separate trackers
(sasiam/evaluation/bench_targets.py)."""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from ..files import check_writable, write_output
from .options import add_tracker_options, parse_box, tracker_from_args


def parse_targets(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--targets takes comma-separated counts like 1,4,16, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"--targets takes counts >= 1, got {text!r}")
    return values


def command_bench_targets(args: argparse.Namespace) -> int:
    # OpenCV and torch: imported when the command runs, so that `sasiam --help` starts without them
    from ..evaluation.bench_targets import run_bench

    if args.json:
        check_writable(args.json, "JSON file")  # before minutes of timing, not after
    paths = []

    def build():
        tracker = tracker_from_args(args)
        paths.append(tracker.path)
        return tracker

    results, updates, precision = run_bench(args.input, args.targets, build,
                                            updates=args.frames, repeats=args.repeats, box=args.box,
                                            progress=not args.quiet)
    print(f"{args.input}: {updates} frames x {args.repeats} passes per N, batched and separate paired frame by "
          f"frame; precision {precision}, path {paths[0]}; fps: median of pass means, speedup: median of "
          f"per-frame ratios")
    print(f"{'targets':>7}  {'fps':>7}  {'target-fps':>10}  {'ms/target':>9}  {'N trackers fps':>14}  {'speedup':>7}"
          f"  {'box diff':>8}")
    for r in results:
        print(f"{r.targets:7d}  {r.fps:7.2f}  {r.target_fps:10.2f}  {r.ms_per_target:9.1f}  "
              f"{r.separate_fps:14.2f}  {r.speedup:6.2f}x  {r.max_box_difference:8.1e}")
    if args.json:
        report = json.dumps({
            "input": str(args.input), "frames": updates, "repeats": args.repeats, "precision": precision,
            "path": paths[0], "results": [asdict(r) for r in results],
        }, indent=2) + "\n"
        write_output(args.json, lambda temporary: Path(temporary).write_text(report), "JSON file")
        print(f"-> {args.json}")
    return 0


def register(commands) -> None:
    parser = commands.add_parser("bench-targets",
                                 help="speed of N targets in one batched tracker vs N separate trackers")
    parser.add_argument("input", type=Path, help="video file, folder of frames, or OTB sequence folder")
    parser.add_argument("--targets", type=parse_targets, default=[1, 4, 16], help="target counts (default 1,4,16)")
    parser.add_argument("--box", type=parse_box, help="the first target's box (default: the first ground-truth box)")
    parser.add_argument("--frames", type=int, default=20, help="update frames per pass (default 20)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per N; medians are reported (default 3)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_tracker_options(parser)
    parser.set_defaults(handler=command_bench_targets)

"""`sasiam demo`: make a sample clip from bundled photos and track through it (what `make demo` runs)."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..tracking.geometry import iou
from .options import add_tracker_options, tracker_from_args


def command_demo(args: argparse.Namespace) -> int:
    # OpenCV: imported when the command runs, so that `sasiam --help` starts without it
    from ..data.demo_clip import make_demo_clip, write_demo_clip
    from ..data.sequences import open_sequence
    from ..tracking.runner import track_frames, write_boxes

    out = args.out_dir
    clip_path = write_demo_clip(out / "demo_input.mp4", make_demo_clip(num_frames=args.frames))
    truth = np.loadtxt(out / "demo_input_groundtruth.txt", delimiter=",")
    sequence = open_sequence(clip_path)  # decode the written video, as a user's clip would be
    tracker = tracker_from_args(args)
    result = track_frames(tracker, sequence.frames(), truth[0], total=len(sequence), video=out / "demo_tracked.mp4",
                          video_fps=sequence.fps, progress=not args.quiet, description="demo")
    write_boxes(out / "demo_boxes.txt", result.boxes)
    overlap = np.mean([iou(a, b) for a, b in zip(result.boxes, truth)])
    print(f"demo: {len(result.boxes)} frames tracked at {result.fps:.1f} fps, mean IoU {overlap:.3f} with the "
          f"known box; annotated video: {out / 'demo_tracked.mp4'}")
    return 0


def register(commands) -> None:
    demo = commands.add_parser("demo", help="make a sample clip from bundled photos and track through it")
    demo.add_argument("--out-dir", type=Path, default=Path("demo_output"))
    demo.add_argument("--frames", type=int, default=120)
    demo.add_argument("--quiet", action="store_true")
    add_tracker_options(demo, speed="fast")
    demo.set_defaults(handler=command_demo)

"""`sasiam track INPUT`: one object (or several) through a video, frame folder, OTB sequence, camera or stream."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..errors import SASiamError
from ..files import check_writable
from .options import add_tracker_options, parse_box, tracker_from_args

# The frame readers, the runner and the GUI import OpenCV (the tracker torch): imported when the command runs,
# so that `sasiam --help`, which builds every command's parser, starts without them.


def command_track(args: argparse.Namespace) -> int:
    from ..data.live import parse_live_input
    from ..data.sequences import open_sequence
    from ..tracking.gui import require_gui, select_box
    from ..tracking.runner import track_frames, write_boxes

    for option, wanted in (("--select", args.select), ("--show", args.show)):
        if wanted:  # before opening a camera or loading a model
            require_gui(option)
    boxes = list(args.box or [])
    if args.boxes is not None:
        boxes += [tuple(row) for row in read_box_file(args.boxes)]
    live = parse_live_input(args.input)
    if len(boxes) > 1:
        if live is not None or args.realtime or args.show:
            raise SASiamError("several targets (--box repeated / --boxes) are tracked in files and frame folders; "
                              "live sources take one --box")
        return track_many(args, boxes)
    args.box = boxes[0] if boxes else None
    if live is not None or args.realtime or args.show:
        from ..tracking.live import LiveOptions, run_live

        options = LiveOptions(input=args.input, live=live, box=args.box, select=args.select, show=args.show,
                              realtime=args.realtime, output=args.output, video=args.video, progress=not args.quiet)
        return run_live(options, lambda: tracker_from_args(args))
    sequence = open_sequence(Path(args.input))
    box = args.box if args.box is not None else sequence.first_box
    if args.select:
        frames = sequence.frames()
        box = select_box(next(frames))
        frames.close()
    if box is None:
        raise SASiamError(f"{args.input}: no ground truth to start from; give the first box with --box x,y,w,h "
                          f"or draw it with --select")
    output = check_writable(args.output or Path(f"{sequence.name}_boxes.txt"), "boxes file")
    if args.video:
        check_writable(args.video, "annotated video")
    tracker = tracker_from_args(args)
    result = track_frames(tracker, sequence.frames(skip_undecodable=True), box, total=len(sequence), video=args.video,
                          video_fps=sequence.fps, progress=not args.quiet, description=sequence.name)
    write_boxes(output, result.boxes)
    print(f"{len(result.boxes)} frames, {result.fps:.1f} fps -> {output}" + (f", {args.video}" if args.video else ""))
    return 0


def read_box_file(path: Path):
    from ..data.sequences import read_boxes

    if not path.is_file():
        raise SASiamError(f"{path}: no such boxes file")
    return read_boxes(path)


def track_many(args: argparse.Namespace, boxes: list) -> int:
    """N targets, every network run once per frame for all of them (`MultiTargetTracker`)."""
    from ..data.sequences import open_sequence
    from ..tracking.multi import MultiTargetTracker
    from ..tracking.runner import track_frames, write_boxes

    sequence = open_sequence(Path(args.input))
    output = args.output or Path(f"{sequence.name}_boxes.txt")
    outputs = [check_writable(output.with_name(f"{output.stem}.target{k + 1}{output.suffix or '.txt'}"), "boxes file")
               for k in range(len(boxes))]
    if args.video:
        check_writable(args.video, "annotated video")
    tracker = MultiTargetTracker.from_tracker(tracker_from_args(args))
    result = track_frames(tracker, sequence.frames(skip_undecodable=True), boxes, total=len(sequence),
                          video=args.video, video_fps=sequence.fps, progress=not args.quiet,
                          description=f"{sequence.name} x{len(boxes)}")
    written = [write_boxes(path, np.asarray(result.boxes)[:, k]) for k, path in enumerate(outputs)]
    print(f"{len(result.boxes)} frames x {len(boxes)} targets, {result.fps:.1f} fps -> "
          f"{written[0]} ... {written[-1].name}" + (f", {args.video}" if args.video else ""))
    return 0


def register(commands) -> None:
    track = commands.add_parser("track", help="track one object through a video, frame folder, OTB sequence, "
                                               "camera or stream")
    # a str, not a Path: Path would fold the // of a URL
    track.add_argument("input", help="video file, folder of frames, OTB sequence folder (img/ + groundtruth_rect.txt), "
                                     "camera index (0, 1, ...) or stream URL (rtsp://, http://, udp://, ...)")
    first_box = track.add_mutually_exclusive_group()
    first_box.add_argument("--box", type=parse_box, action="append",
                           help="first-frame box x,y,w,h (default: the first ground-truth box); repeat it to track "
                                "several targets at once (one batched forward per frame)")
    first_box.add_argument("--boxes", type=Path,
                           help="file of first-frame boxes, one x,y,w,h line per target (several targets at once; "
                                "outputs NAME_boxes.targetK.txt per target)")
    first_box.add_argument("--select", action="store_true",
                           help="draw the first box with the mouse on the first frame (needs an OpenCV with GUI and "
                                "a display)")
    track.add_argument("--show", action="store_true",
                       help="show each tracked frame with its box and fps in a window; q or Esc stops (needs an "
                            "OpenCV with GUI and a display)")
    track.add_argument("--realtime", action="store_true",
                       help="play a video file or frame folder at its own frame rate, as a camera would deliver it: "
                            "frames the tracker is too slow for are dropped and counted (cameras and URLs always are)")
    track.add_argument("--output", type=Path,
                       help="boxes file (default: NAME_boxes.txt): one x,y,w,h line per frame; for a camera, URL or "
                            "--realtime one frame_index,x,y,w,h line per tracked frame (frame_index from 0)")
    track.add_argument("--video", type=Path, help="write an annotated video here (.mp4 or .avi); live: tracked frames only")
    track.add_argument("--quiet", action="store_true", help="no progress bar")
    add_tracker_options(track, speed="fast")
    track.set_defaults(handler=command_track)

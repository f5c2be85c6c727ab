"""The `sasiam` command line. User errors print one line and exit with code 2."""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .errors import SASiamError

EXIT_USER_ERROR = 2


def parse_box(text: str) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"box must be x,y,w,h numbers, got {text!r}") from None
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"box must be four numbers x,y,w,h, got {text!r}")
    return values  # type: ignore[return-value]


def add_tracker_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("tracker")
    group.add_argument("--weights", type=Path, help="checkpoint (.safetensors); default: the shipped weights")
    group.add_argument("--branches", choices=("both", "appearance", "semantic"), default="both")
    group.add_argument("--lam", type=float, help="weight of the appearance map (default: the checkpoint's, else 0.3)")
    group.add_argument("--backbone", choices=("efficientnet_lite0", "alexnet"),
                       help="S-Net; must match the checkpoint (default: the checkpoint's)")
    group.add_argument("--snet-weights", type=Path, help="ImageNet weights for the alexnet S-Net (.pth or caffenet .npy)")
    group.add_argument("--device", default="cpu", help="cpu or cuda")
    group.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                       help="bf16: autocast + channels-last (CPUs with AVX-512 BF16 / AMX)")


def make_tracker(args: argparse.Namespace):
    from .tracking.tracker import SASiamTracker, UntrainedWeightsWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UntrainedWeightsWarning)
        tracker = SASiamTracker(weights=args.weights, branches=args.branches, lam=args.lam, device=args.device,
                                snet_weights=args.snet_weights, backbone=args.backbone, precision=args.precision)
    for warning in caught:
        print(f"WARNING: {warning.message}", file=sys.stderr)
    return tracker


def command_track(args: argparse.Namespace) -> int:
    from .data.sequences import open_sequence
    from .tracking.runner import track_frames, write_boxes

    sequence = open_sequence(args.input)
    box = args.box if args.box is not None else sequence.first_box
    if box is None:
        raise SASiamError(f"{args.input}: no ground truth to start from; give the first box with --box x,y,w,h")
    tracker = make_tracker(args)
    result = track_frames(tracker, sequence.frames(), box, total=len(sequence), video=args.video,
                          video_fps=sequence.fps, progress=not args.quiet, description=sequence.name)
    output = args.output or Path(f"{sequence.name}_boxes.txt")
    write_boxes(output, result.boxes)
    print(f"{len(result.boxes)} frames, {result.fps:.1f} fps -> {output}" + (f", {args.video}" if args.video else ""))
    return 0


def command_demo(args: argparse.Namespace) -> int:
    import numpy as np

    from .data.demo_clip import make_demo_clip, write_demo_clip
    from .data.sequences import open_sequence
    from .tracking.geometry import iou
    from .tracking.runner import track_frames, write_boxes

    out = args.out_dir
    clip_path = write_demo_clip(out / "demo_input.mp4", make_demo_clip(num_frames=args.frames))
    truth = np.loadtxt(out / "demo_input_groundtruth.txt", delimiter=",")
    sequence = open_sequence(clip_path)  # decode the written video, as a user's clip would be
    tracker = make_tracker(args)
    result = track_frames(tracker, sequence.frames(), truth[0], total=len(sequence), video=out / "demo_tracked.mp4",
                          video_fps=sequence.fps, progress=not args.quiet, description="demo")
    write_boxes(out / "demo_boxes.txt", result.boxes)
    overlap = np.mean([iou(a, b) for a, b in zip(result.boxes, truth)])
    print(f"demo: {len(result.boxes)} frames tracked at {result.fps:.1f} fps, mean IoU {overlap:.3f} with the "
          f"known box; annotated video: {out / 'demo_tracked.mp4'}")
    return 0


def parse_source(text: str) -> tuple[str, str]:
    kind, separator, root = text.partition(":")
    if not separator or kind not in ("otb", "vid", "got10k", "lasot"):
        raise argparse.ArgumentTypeError(f"--data takes KIND:ROOT with KIND in otb, vid, got10k, lasot; got {text!r}")
    return kind, root


def command_train(args: argparse.Namespace) -> int:
    from .training.config import TrainConfig
    from .training.experiments import load_split, override, run_training

    try:
        config = override(TrainConfig(branch=args.branch), args.set or [])
    except ValueError as error:
        raise SASiamError(str(error)) from None
    split = None if args.split == "none" else load_split(None if args.split == "default" else args.split)
    run_training(config, args.data, args.run_dir, args.cache_dir, split=split, validation_root=args.val_root,
                 resume=args.resume, progress=not args.quiet, snet_weights=args.snet_weights)
    print(f"training finished: {args.run_dir}")
    return 0


def command_assemble(args: argparse.Namespace) -> int:
    from .training.assemble import assemble

    out = assemble(args.appearance, args.semantic, args.out, lam=args.lam, half=args.half)
    print(f"assembled {out}")
    return 0


def command_tune_lambda(args: argparse.Namespace) -> int:
    from .training.assemble import tune_lambda
    from .training.experiments import load_split, validation_sequences

    names = load_split(None if args.split == "default" else args.split)["val"]
    sequences = validation_sequences(args.val_root, names)
    if not sequences:
        raise SASiamError(f"{args.val_root}: none of the validation sequences {names} is there")
    best, _ = tune_lambda(args.weights, sequences, args.out or args.weights, precision=args.precision)
    print(f"best lambda {best:.1f} -> {args.out or args.weights}")
    return 0


def split_names(spec: str) -> list[str]:
    """`test` (a part of the shipped split) or `FILE.json:test`."""
    from .training.experiments import load_split

    file, _, part = spec.rpartition(":")
    split = load_split(file or None)
    if part not in split or not isinstance(split[part], list):
        raise SASiamError(f"split {spec!r}: no list named {part!r} (have: {', '.join(k for k in split if k != 'description')})")
    return split[part]


def command_eval(args: argparse.Namespace) -> int:
    from .evaluation.benchmark import run_benchmark, score_results
    from .evaluation.report import write_report
    from .evaluation.trackers import parse_tracker_spec

    specs = args.tracker or ["sasiam"]
    for spec in specs:
        parse_tracker_spec(spec)  # fail on a bad spec before any work
    if not args.data.is_dir():
        raise SASiamError(f"{args.data}: no such folder of sequences")
    names = split_names(args.split) if args.split else None
    if args.sequences:
        names = args.sequences.split(",")
    candidates = sorted(p for p in args.data.iterdir() if p.is_dir())
    sequence_dirs = [p for p in candidates if names is None or p.name in names]
    missing = sorted(set(names or []) - {p.name for p in sequence_dirs})
    if missing:
        raise SASiamError(f"{args.data}: missing sequences {', '.join(missing)}")
    if not sequence_dirs:
        raise SASiamError(f"{args.data}: holds no sequence folders")
    if not args.rescore:
        run_benchmark(specs, sequence_dirs, args.out, workers=args.workers, rerun=args.rerun, progress=not args.quiet)
    report = score_results(specs, sequence_dirs, args.out)
    write_report(report, args.out, title=args.title or f"{args.data.name} ({len(sequence_dirs)} sequences)")
    for name, entry in report.items():
        if "auc" in entry:
            print(f"{name:40s} AUC {entry['auc']:.3f}  precision {entry['precision']:.3f}  {entry['fps']:.1f} fps"
                  + (f"  ({len(entry['failed'])} failed)" if entry["failed"] else ""))
        else:
            print(f"{name:40s} failed on every sequence")
    print(f"report: {args.out / 'report.md'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="sasiam", description="SA-Siam single-object tracker")
    parser.add_argument("--version", action="version", version=f"sasiam {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    track = commands.add_parser("track", help="track one object through a video, frame folder or OTB sequence")
    track.add_argument("input", type=Path, help="video file, folder of frames, or OTB sequence folder (img/ + groundtruth_rect.txt)")
    track.add_argument("--box", type=parse_box, help="first-frame box x,y,w,h (default: the first ground-truth box)")
    track.add_argument("--output", type=Path, help="boxes file, one x,y,w,h line per frame (default: NAME_boxes.txt)")
    track.add_argument("--video", type=Path, help="write an annotated video here (.mp4 or .avi)")
    track.add_argument("--quiet", action="store_true", help="no progress bar")
    add_tracker_options(track)
    track.set_defaults(handler=command_track)

    demo = commands.add_parser("demo", help="make a sample clip from bundled photos and track through it")
    demo.add_argument("--out-dir", type=Path, default=Path("demo_output"))
    demo.add_argument("--frames", type=int, default=120)
    demo.add_argument("--quiet", action="store_true")
    add_tracker_options(demo)
    demo.set_defaults(handler=command_demo)
    train = commands.add_parser("train", help="train one branch (the paper trains them separately)")
    train.add_argument("branch", choices=("appearance", "semantic", "joint"))
    train.add_argument("--data", type=parse_source, action="append", required=True,
                       help="KIND:ROOT, repeatable; KIND in otb (folder of OTB-layout sequences), vid, got10k, lasot")
    train.add_argument("--split", default="default",
                       help="JSON with train/val/test sequence names for otb sources ('default': the shipped split "
                            "of ../shared/sequences; 'none': use every sequence)")
    train.add_argument("--val-root", type=Path, help="folder holding the split's validation sequences (val AUC per epoch)")
    train.add_argument("--run-dir", type=Path, required=True, help="checkpoints, log.csv, loss.png go here")
    train.add_argument("--cache-dir", type=Path, default=Path("cache"), help="curated crops and S-Net features")
    train.add_argument("--set", action="append", metavar="NAME=VALUE",
                       help="override a TrainConfig field, e.g. --set epochs=5 --set bf16=true")
    train.add_argument("--resume", action="store_true", help="continue from the last good epoch checkpoint")
    train.add_argument("--snet-weights", type=Path, help="ImageNet weights for the alexnet S-Net")
    train.add_argument("--quiet", action="store_true")
    train.set_defaults(handler=command_train)

    evaluate = commands.add_parser("eval", help="one-pass (OTB) evaluation of one or more trackers, with plots")
    evaluate.add_argument("--data", type=Path, required=True, help="folder of OTB-layout sequences")
    evaluate.add_argument("--tracker", action="append",
                          help="sasiam[:branches=..,lam=..,weights=..,precision=..] | opencv:csrt | opencv:kcf (repeatable)")
    evaluate.add_argument("--sequences", help="comma-separated subset of sequence names")
    evaluate.add_argument("--split", help="train|val|test of the shipped split, or FILE.json:NAME")
    evaluate.add_argument("--out", type=Path, default=Path("eval_output"))
    evaluate.add_argument("--workers", type=int, default=1, help="parallel worker processes")
    evaluate.add_argument("--rerun", action="store_true", help="run again even where results exist")
    evaluate.add_argument("--rescore", action="store_true", help="only score the saved results")
    evaluate.add_argument("--title")
    evaluate.add_argument("--quiet", action="store_true")
    evaluate.set_defaults(handler=command_eval)

    assemble = commands.add_parser("assemble", help="join separately trained branch checkpoints into one")
    assemble.add_argument("--appearance", type=Path, required=True)
    assemble.add_argument("--semantic", type=Path, required=True)
    assemble.add_argument("--out", type=Path, required=True)
    assemble.add_argument("--lam", type=float, default=0.3)
    assemble.add_argument("--half", action="store_true", help="store fp16 tensors (half the size)")
    assemble.set_defaults(handler=command_assemble)

    tune = commands.add_parser("tune-lambda", help="grid-search lambda (0.1..0.9, step 0.2) on the validation split")
    tune.add_argument("--weights", type=Path, required=True, help="assembled checkpoint with both branches")
    tune.add_argument("--val-root", type=Path, required=True, help="folder with the validation sequences")
    tune.add_argument("--split", default="default", help="split JSON whose 'val' names are used")
    tune.add_argument("--out", type=Path, help="write the tuned checkpoint here (default: in place)")
    tune.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    tune.set_defaults(handler=command_tune_lambda)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (SASiamError, FileNotFoundError, PermissionError, IsADirectoryError) as error:
        print(f"sasiam: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("sasiam: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

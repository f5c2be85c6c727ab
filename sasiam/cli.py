"""The `sasiam` command line. User errors print one line and exit with code 2."""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .config import DEFAULT_LAMBDA, PRECISION_CHOICES
from .errors import SASiamError
from .files import check_writable

EXIT_USER_ERROR = 2

# Subcommands defined beside the code they drive; each module has `register(commands)`.
COMMAND_MODULES: tuple[str, ...] = (
    "sasiam.evaluation.vot_benchmark",
    "sasiam.integrations.vot_trax",
    "sasiam.evaluation.bench_targets",
    "sasiam.integrations.onnx_export",
    "sasiam.evaluation.bench_cli",
)


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
    group.add_argument("--precision", choices=PRECISION_CHOICES, default="fp32",
                       help="bf16: autocast + channels-last (CPUs with AVX-512 BF16 / AMX); int8: quantized A-Net; "
                            "auto: bf16 where the CPU does it in hardware, else fp32")
    group.add_argument("--backend", choices=("torch", "onnx"), default="torch",
                       help="onnx: ONNX Runtime on graphs from `sasiam export-onnx --out DIR`, given as --weights DIR "
                            "(1.8x faster than torch fp32 on a 2-core AVX2 CPU, same boxes; see docs/bench)")


def make_tracker(args: argparse.Namespace):
    from .tracking.tracker import SASiamTracker, UntrainedWeightsWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UntrainedWeightsWarning)
        tracker = SASiamTracker(weights=args.weights, branches=args.branches, lam=args.lam, device=args.device,
                                snet_weights=args.snet_weights, backbone=args.backbone, precision=args.precision,
                                backend=args.backend)
    for warning in caught:
        print(f"WARNING: {warning.message}", file=sys.stderr)
    return tracker


def command_track(args: argparse.Namespace) -> int:
    from .data.live import parse_live_input
    from .data.sequences import open_sequence
    from .tracking.runner import track_frames, write_boxes

    for option, wanted in (("--select", args.select), ("--show", args.show)):
        if wanted:  # before opening a camera or loading a model
            from .tracking.gui import require_gui

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
        from .tracking.live import LiveOptions, run_live

        options = LiveOptions(input=args.input, live=live, box=args.box, select=args.select, show=args.show,
                              realtime=args.realtime, output=args.output, video=args.video, progress=not args.quiet)
        return run_live(options, lambda: make_tracker(args))
    sequence = open_sequence(Path(args.input))
    box = args.box if args.box is not None else sequence.first_box
    if args.select:
        from .tracking.gui import select_box

        frames = sequence.frames()
        box = select_box(next(frames))
        frames.close()
    if box is None:
        raise SASiamError(f"{args.input}: no ground truth to start from; give the first box with --box x,y,w,h "
                          f"or draw it with --select")
    output = check_writable(args.output or Path(f"{sequence.name}_boxes.txt"), "boxes file")
    if args.video:
        check_writable(args.video, "annotated video")
    tracker = make_tracker(args)
    result = track_frames(tracker, sequence.frames(skip_undecodable=True), box, total=len(sequence), video=args.video,
                          video_fps=sequence.fps, progress=not args.quiet, description=sequence.name)
    write_boxes(output, result.boxes)
    print(f"{len(result.boxes)} frames, {result.fps:.1f} fps -> {output}" + (f", {args.video}" if args.video else ""))
    return 0


def read_box_file(path: Path):
    from .data.sequences import read_boxes

    if not path.is_file():
        raise SASiamError(f"{path}: no such boxes file")
    return read_boxes(path)


def track_many(args: argparse.Namespace, boxes: list) -> int:
    """N targets, every network run once per frame for all of them (`MultiTargetTracker`)."""
    import numpy as np

    from .data.sequences import open_sequence
    from .tracking.multi import MultiTargetTracker
    from .tracking.runner import track_frames, write_boxes

    sequence = open_sequence(Path(args.input))
    output = args.output or Path(f"{sequence.name}_boxes.txt")
    outputs = [check_writable(output.with_name(f"{output.stem}.target{k + 1}{output.suffix or '.txt'}"), "boxes file")
               for k in range(len(boxes))]
    if args.video:
        check_writable(args.video, "annotated video")
    tracker = MultiTargetTracker.from_tracker(make_tracker(args))
    result = track_frames(tracker, sequence.frames(skip_undecodable=True), boxes, total=len(sequence),
                          video=args.video, video_fps=sequence.fps, progress=not args.quiet,
                          description=f"{sequence.name} x{len(boxes)}")
    written = [write_boxes(path, np.asarray(result.boxes)[:, k]) for k, path in enumerate(outputs)]
    print(f"{len(result.boxes)} frames x {len(boxes)} targets, {result.fps:.1f} fps -> "
          f"{written[0]} ... {written[-1].name}" + (f", {args.video}" if args.video else ""))
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
    from .data.datasets import DATASET_KINDS

    if not separator or kind not in DATASET_KINDS:
        raise argparse.ArgumentTypeError(f"--data takes KIND:ROOT with KIND in {', '.join(DATASET_KINDS)}; got {text!r}")
    return kind, root


def command_train(args: argparse.Namespace) -> int:
    from .training.config import TrainConfig
    from .training.experiments import load_split, override, run_training
    from .training.settings import load_experiment

    base, data, split_file, val_root = TrainConfig(branch=args.branch), args.data, args.split, args.val_root
    if args.settings:
        experiment = load_experiment(args.settings, args.branch)
        base = experiment.config
        data = data or experiment.data
        split_file = split_file or experiment.split
        val_root = val_root or (Path(experiment.val_root) if experiment.val_root else None)
    if not data:
        raise SASiamError("train: give --data KIND:ROOT (or --settings NAME whose DATA lists the sources)")
    try:
        config = override(base, args.set or [])
    except ValueError as error:
        raise SASiamError(str(error)) from None
    split_file = split_file or "default"
    split = None if split_file == "none" else load_split(None if split_file == "default" else split_file)
    run_training(config, data, args.run_dir, args.cache_dir, split=split, validation_root=val_root,
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


def eval_trackers(args: argparse.Namespace) -> tuple[list[str], list[str] | None]:
    """The --tracker specs and their --label names (None: derived from the specs). Re-scoring without
    --tracker takes the trackers, and labels, of OUT/report.json."""
    import json

    specs, labels = args.tracker, args.label
    saved = args.out / "report.json"
    if not specs and args.rescore and saved.is_file():
        try:
            entries = list(json.loads(saved.read_text()).values())
            specs = [entry["spec"] for entry in entries]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SASiamError(f"{saved}: not a report.json of `sasiam eval`; "
                              "name the trackers with --tracker") from None
        if labels is None and all(entry.get("label") for entry in entries):
            labels = [entry["label"] for entry in entries]
    specs = specs or ["sasiam"]
    if labels is not None:
        if len(labels) != len(specs):
            raise SASiamError(f"{len(labels)} --label for {len(specs)} --tracker: give one --label per --tracker, "
                              "in the same order (or no --label for names derived from the specs)")
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise SASiamError(f"--label {repeated[0]!r} given twice: each tracker needs its own label")
    return specs, labels


def command_eval(args: argparse.Namespace) -> int:
    from .data.benchmarks import BENCHMARKS, load_benchmark
    from .evaluation.benchmark import Shard, run_benchmark, score_results, shard_group
    from .evaluation.report import write_report
    from .evaluation.trackers import check_tracker_files, parse_tracker_spec

    specs, labels = eval_trackers(args)
    for spec in specs:
        parsed = parse_tracker_spec(spec)  # fail on a bad spec before any work
        if not args.rescore:
            check_tracker_files(parsed)  # and on model files the tracker would not find
    if not args.data.is_dir():
        raise SASiamError(f"{args.data}: no such folder ({BENCHMARKS[args.dataset].title}: "
                          f"expected {BENCHMARKS[args.dataset].layout})")
    names = split_names(args.split) if args.split else None
    if args.sequences:
        names = args.sequences.split(",")
    first_rank = Shard.from_environment().rank == 0  # under torchrun one warning, not one per rank
    sequences = load_benchmark(args.dataset, args.data, allow_missing=args.allow_missing, names=names,
                               warn=lambda line: print(line, file=sys.stderr) if first_rank else None)
    with shard_group() as shard:
        if not args.rescore:
            run_benchmark(specs, sequences, args.out, workers=args.workers, rerun=args.rerun,
                          progress=not args.quiet, shard=shard)
        shard.barrier()  # rank 0 scores once every rank has written its results
    if shard.rank != 0:
        print(f"rank {shard.rank}/{shard.world}: done; rank 0 writes the report")
        return 0
    report = score_results(specs, sequences, args.out, labels=labels)
    title = BENCHMARKS[args.dataset].title if args.dataset != "folder" else args.data.name
    write_report(report, args.out, title=args.title or f"{title} ({len(sequences)} sequences)")
    for entry in report.values():
        if "auc" in entry:
            print(f"{entry['label']:30s} AUC {entry['auc']:.3f}  precision {entry['precision']:.3f}  "
                  f"{entry['fps']:.1f} fps" + (f"  ({len(entry['failed'])} failed)" if entry["failed"] else ""))
        else:
            print(f"{entry['label']:30s} failed on every sequence")
    print(f"report: {args.out / 'report.md'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="sasiam", description="SA-Siam single-object tracker")
    parser.add_argument("--version", action="version", version=f"sasiam {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

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
    train.add_argument("--settings", metavar="NAME|FILE.py",
                       help="an experiment's settings module (sasiam/training/settings/NAME.py, e.g. 'crops_v1', or a "
                            ".py file): its data, split and this branch's TrainConfig; the other options override it")
    train.add_argument("--data", type=parse_source, action="append",
                       help="KIND:ROOT, repeatable; KIND in otb (folder of OTB-layout sequences), vid, got10k, lasot")
    train.add_argument("--split",
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
    evaluate.add_argument("--data", type=Path, required=True,
                          help="the benchmark's root folder (with --dataset folder: a folder of OTB-layout sequences)")
    from .data.benchmark_lists import DATASET_NAMES  # plain lists: no numpy/OpenCV import for --help

    evaluate.add_argument("--dataset", default="folder", choices=DATASET_NAMES,
                          help="a benchmark, read with its official sequence list, frame ranges and annotations "
                               "(README: Benchmark datasets); folder (default): every sub-folder of --data is one "
                               "OTB-layout sequence")
    evaluate.add_argument("--allow-missing", action="store_true",
                          help="evaluate the benchmark's sequences that are present, with a warning for the others")
    evaluate.add_argument("--tracker", action="append",
                          help="sasiam[:branches=..,lam=..,weights=..,precision=..] | opencv:csrt | opencv:kcf | "
                               "opencv:nano[,models=DIR] (NanoTrack v2's ONNX models; default DIR: "
                               "../shared/baselines/nanotrackv2) (repeatable; with --rescore, default: the trackers "
                               "of OUT/report.json)")
    evaluate.add_argument("--label", action="append",
                          help="name of the --tracker in the same position in legends and tables (one per --tracker, "
                               "in order); default: derived from the spec ('SA-Siam (appearance only)', "
                               "'OpenCV CSRT', 'NanoTrack (OpenCV)', ...). Result folders keep the spec's name")
    evaluate.add_argument("--sequences", help="comma-separated subset of sequence names")
    evaluate.add_argument("--split", help="train|val|test of the shipped split, or FILE.json:NAME")
    evaluate.add_argument("--out", type=Path, default=Path("eval_output"))
    evaluate.add_argument("--workers", type=int, default=1, help="parallel worker processes")
    evaluate.add_argument("--rerun", action="store_true", help="run again even where results exist")
    evaluate.add_argument("--rescore", action="store_true", help="only score the saved results")
    evaluate.add_argument("--title", help="title of report.md and the plots (a long one is wrapped to fit)")
    evaluate.add_argument("--quiet", action="store_true")
    evaluate.set_defaults(handler=command_eval)

    assemble = commands.add_parser("assemble", help="join separately trained branch checkpoints into one")
    assemble.add_argument("--appearance", type=Path, required=True)
    assemble.add_argument("--semantic", type=Path, required=True)
    assemble.add_argument("--out", type=Path, required=True)
    assemble.add_argument("--lam", type=float, default=DEFAULT_LAMBDA)
    assemble.add_argument("--half", action="store_true", help="store fp16 tensors (half the size)")
    assemble.set_defaults(handler=command_assemble)

    tune = commands.add_parser("tune-lambda", help="grid-search lambda (0.1..0.9, step 0.2) on the validation split")
    tune.add_argument("--weights", type=Path, required=True, help="assembled checkpoint with both branches")
    tune.add_argument("--val-root", type=Path, required=True, help="folder with the validation sequences")
    tune.add_argument("--split", default="default", help="split JSON whose 'val' names are used")
    tune.add_argument("--out", type=Path, help="write the tuned checkpoint here (default: in place)")
    tune.add_argument("--precision", choices=PRECISION_CHOICES, default="fp32")
    tune.set_defaults(handler=command_tune_lambda)

    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(commands)
    return parser


def attach_negative_boxes(argv: list[str]) -> list[str]:
    """`--box -5,10,40,40` -> `--box=-5,10,40,40`: argparse takes a value that starts
    with '-' (and is not a plain negative number) for an option, yet boxes of targets
    partly outside the first frame start with one."""
    joined, values = [], iter(argv)
    for token in values:
        if token == "--box":
            value = next(values, None)
            if value is not None and len(value) > 1 and value[0] == "-" and value[1] in "0123456789.":
                joined.append(f"--box={value}")
                continue
            joined.append(token)
            if value is not None:
                joined.append(value)
            continue
        joined.append(token)
    return joined


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(attach_negative_boxes(sys.argv[1:] if argv is None else list(argv)))
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

"""`sasiam eval`: one-pass (OTB) evaluation of one or more trackers, with plots and a report."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..data.benchmark_lists import DATASET_NAMES  # plain lists: no numpy/OpenCV import for --help
from ..errors import SASiamError

# OpenCV, torch and matplotlib come with the benchmark, tracker and report modules: imported when the command
# runs, so that `sasiam --help`, which builds every command's parser, starts without them.


def split_names(spec: str) -> list[str]:
    """`test` (a part of the shipped split) or `FILE.json:test`."""
    from ..training.experiments import load_split

    file, _, part = spec.rpartition(":")
    split = load_split(file or None)
    if part not in split or not isinstance(split[part], list):
        raise SASiamError(f"split {spec!r}: no list named {part!r} (have: {', '.join(k for k in split if k != 'description')})")
    return split[part]


def eval_trackers(args: argparse.Namespace) -> tuple[list[str], list[str] | None]:
    """The --tracker specs and their --label names (None: derived from the specs). Re-scoring without
    --tracker takes the trackers, and labels, of OUT/report.json."""
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
    from ..data.benchmarks import BENCHMARKS, load_benchmark
    from ..evaluation.benchmark import Shard, run_benchmark, score_results, shard_group
    from ..evaluation.report import write_report
    from ..evaluation.trackers import check_tracker_files, parse_tracker_spec

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


def register(commands) -> None:
    evaluate = commands.add_parser("eval", help="one-pass (OTB) evaluation of one or more trackers, with plots")
    evaluate.add_argument("--data", type=Path, required=True,
                          help="the benchmark's root folder (with --dataset folder: a folder of OTB-layout sequences)")
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

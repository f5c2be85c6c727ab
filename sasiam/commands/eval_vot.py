"""`sasiam eval-vot`: the VOT reset-based protocol (A, R, EAO) for one or more trackers, in a vot-toolkit
workspace layout (sasiam/evaluation/vot_benchmark.py)."""
from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..errors import SASiamError
from ..evaluation.vot import EAO_PRESETS, VOTSettings, score


def parse_interval(text: str) -> tuple[int, int]:
    try:
        low, high = (int(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--eao-interval takes LOW,HIGH frame counts, got {text!r}") from None
    if low < 0 or high < low:
        raise argparse.ArgumentTypeError(f"--eao-interval needs 0 <= LOW <= HIGH, got {text!r}")
    return low, high


def command_eval_vot(args: argparse.Namespace) -> int:
    # the trackers import OpenCV: imported when the command runs, so that `sasiam --help` starts without it
    from ..evaluation.trackers import check_tracker_files, parse_tracker_spec
    from ..evaluation.vot_benchmark import (find_sequences, format_score, load_runs, open_vot_sequence, run_tracker,
                                            tracker_report, write_report)

    interval = args.eao_interval or EAO_PRESETS[args.eao_preset or "vot2016"]
    settings = VOTSettings(eao_interval=interval)
    if not args.tracker and not args.rescore:
        raise SASiamError("give at least one --tracker (or --rescore to score what OUT/results holds)")
    names = {}
    for spec in args.tracker or []:
        parsed = parse_tracker_spec(spec)  # a bad spec fails here, before any work
        if not args.rescore:
            check_tracker_files(parsed)  # as do model files the tracker would not find
        names[parsed.name] = spec
    folders = find_sequences(args.data, args.sequences.split(",") if args.sequences else None)
    sequences = [open_vot_sequence(folder) for folder in folders]
    if not args.rescore:
        for spec in names.values():
            run_tracker(spec, sequences, args.out, settings, rerun=args.rerun, progress=not args.quiet)
    if not names:
        results = args.out / "results"
        names = {p.name: p.name for p in sorted(results.iterdir()) if p.is_dir()} if results.is_dir() else {}
        if not names:
            raise SASiamError(f"{results}: no tracker results to score")
    report = {}
    for name in names:
        result = score(load_runs(args.out, name, sequences), settings)
        report[name] = tracker_report(result, settings)
        report[name]["spec"] = names[name]
        print(f"{name:40s} A {result.accuracy:.3f}  R {result.robustness:.3f}  failures {result.failures:g}  "
              f"EAO {format_score(report[name]['eao'])}")
        if math.isnan(result.eao):
            print(f"  note: EAO interval {interval[0]}..{interval[1]} starts past the longest run "
                  f"({len(result.eao_curve)} frames); give a shorter one with --eao-interval LOW,HIGH")
    write_report(report, args.out, settings)
    print(f"report: {args.out / 'report.md'}")
    return 0


def register(commands) -> None:
    parser = commands.add_parser("eval-vot", help="VOT reset-based evaluation (accuracy, robustness, EAO)",
                                 description="Run trackers through the VOT reset-based protocol and score A, R "
                                             "and EAO as vot-toolkit does.")
    parser.add_argument("--data", type=Path, required=True,
                        help="folder of VOT-layout sequences (list.txt, groundtruth.txt, color/) or of OTB-layout "
                             "sequences (img/, groundtruth_original.txt or groundtruth_rect.txt)")
    parser.add_argument("--tracker", action="append",
                        help="sasiam[:branches=..,lam=..,weights=..,precision=..] | opencv:csrt | opencv:kcf | "
                             "opencv:nano[,models=DIR] (repeatable)")
    parser.add_argument("--out", type=Path, required=True, help="results and report.json/report.md go here")
    interval = parser.add_mutually_exclusive_group()
    interval.add_argument("--eao-interval", type=parse_interval, metavar="LOW,HIGH",
                          help="EAO averaged over run lengths LOW..HIGH (short sequences need a short one)")
    interval.add_argument("--eao-preset", choices=sorted(EAO_PRESETS),
                          help="the VOT stack's EAO interval (default vot2016: 108..371)")
    parser.add_argument("--sequences", help="comma-separated subset of sequence names")
    parser.add_argument("--rerun", action="store_true", help="run again even where results exist")
    parser.add_argument("--rescore", action="store_true",
                        help="only score saved results (without --tracker: every tracker in OUT/results, "
                             "e.g. a vot-toolkit workspace's)")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(handler=command_eval_vot)

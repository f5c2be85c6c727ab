"""`sasiam bench [INPUT]`: per-stage timings against the compute floor and OpenCV (sasiam/evaluation/speed.py)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..files import check_writable
from .options import add_tracker_option, parse_box


def command_bench(args: argparse.Namespace) -> int:
    # torch: imported when the command runs, so that `sasiam --help` starts without it
    from ..evaluation.speed import BenchConfig, default_input, format_table, run_bench, write_json

    check_writable(args.json, "JSON file")  # before minutes of timing, not after

    config = BenchConfig(
        input=args.input if args.input is not None else default_input(),
        frames=args.frames, warmup=args.warmup, repeats=args.repeats, precision=args.precision,
        threads=args.threads, opencv=not args.no_opencv, box=args.box, weights=args.weights,
        branches=args.branches, lam=args.lam, peak_size=args.peak_size, progress=not args.quiet,
        device=args.device,
    )
    result = run_bench(config)
    print(format_table(result))
    write_json(result, args.json)
    print(f"-> {args.json}")
    return 0


def register(commands) -> None:
    parser = commands.add_parser(
        "bench", help="time each stage of a tracked frame against the compute floor and OpenCV CSRT/KCF",
        description="Per-frame time split by stage (crop, A-Net, S-Net, fusion + correlation, upsample + peak, "
                    "box update) and end to end, over a real sequence after warm-up: median and p10/p90; the "
                    "floor (multiply-adds / this machine's matmul peak in each stage's precision) and "
                    "measured / floor; OpenCV CSRT and KCF on the same frames; peak memory. Prints a table "
                    "and writes JSON. Run it on an otherwise idle machine.")
    parser.add_argument("input", nargs="?", type=Path,
                        help="OTB sequence folder, frame folder or video (default: ../shared/sequences/David "
                             "beside the repository if present, else the bundled demo clip)")
    parser.add_argument("--frames", type=int, default=100, help="measured frames per repeat (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="frames tracked before measuring (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="passes over the same frames (default 3)")
    add_tracker_option(parser, "precision", default="fp32",  # the stage bench times the torch backend
                       help="fp32; bf16 (autocast + channels-last); int8 (quantized A-Net, fp32 S-Net); "
                            "auto (bf16 where the CPU does it in hardware, else fp32)")
    parser.add_argument("--threads", type=int, help="torch and OpenCV threads (default: torch's, = cores)")
    parser.add_argument("--json", type=Path, default=Path("bench.json"), help="write the results here (bench.json)")
    parser.add_argument("--no-opencv", action="store_true", help="skip OpenCV CSRT and KCF")
    parser.add_argument("--box", type=parse_box, help="first box x,y,w,h (default: the first ground-truth box)")
    add_tracker_option(parser, "weights", help="checkpoint (default: the shipped weights)")
    add_tracker_option(parser, "branches")
    add_tracker_option(parser, "lam", help=None)
    add_tracker_option(parser, "device", help="cpu, or cuda (stages timed by CUDA events, CUDA graphs on)")
    parser.add_argument("--peak-size", type=int, default=2048, help="side of the matrices of the peak measurement")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=command_bench)

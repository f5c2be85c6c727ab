"""`sasiam tune-lambda`: grid-search lambda on the validation split and store the best in the checkpoint."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SASiamError
from .options import add_tracker_option


def command_tune_lambda(args: argparse.Namespace) -> int:
    # torch: imported when the command runs, so that `sasiam --help` starts without it
    from ..training.assemble import tune_lambda
    from ..training.experiments import load_split, validation_sequences

    names = load_split(None if args.split == "default" else args.split)["val"]
    sequences = validation_sequences(args.val_root, names)
    if not sequences:
        raise SASiamError(f"{args.val_root}: none of the validation sequences {names} is there")
    best, _ = tune_lambda(args.weights, sequences, args.out or args.weights, precision=args.precision,
                          device=args.device)
    print(f"best lambda {best:.1f} -> {args.out or args.weights}")
    return 0


def register(commands) -> None:
    tune = commands.add_parser("tune-lambda", help="grid-search lambda (0.1..0.9, step 0.2) on the validation split")
    tune.add_argument("--weights", type=Path, required=True, help="assembled checkpoint with both branches")
    tune.add_argument("--val-root", type=Path, required=True, help="folder with the validation sequences")
    tune.add_argument("--split", default="default", help="split JSON whose 'val' names are used")
    tune.add_argument("--out", type=Path, help="write the tuned checkpoint here (default: in place)")
    add_tracker_option(tune, "precision", default="fp32", help=None)
    add_tracker_option(tune, "device", help="where the validation tracking runs (cpu, cuda, cuda:1, ...)")
    tune.set_defaults(handler=command_tune_lambda)

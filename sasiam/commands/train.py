"""`sasiam train BRANCH`: train one branch (the paper trains them separately), or both through one loss."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SASiamError
from ..training.config import TrainConfig
from ..training.settings import load_experiment
from .options import parse_source


def command_train(args: argparse.Namespace) -> int:
    # torch: imported when the command runs, so that `sasiam --help` starts without it
    from ..training.experiments import load_split, override, run_training

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


def register(commands) -> None:
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

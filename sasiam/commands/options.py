"""What several commands parse alike: boxes, training sources and the tracker options (`TrackerOptions`)."""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import get_args

from ..backends import BACKENDS, SEMANTIC_SCALES
from ..backends.paths import SPEEDS
from ..config import PRECISION_CHOICES, Backbone, Branches
from ..data.datasets import DATASET_KINDS
from ..tracking.options import TrackerOptions, tracker_from_options

DEFAULT_OPTIONS = TrackerOptions()

# TrackerOptions field -> its flag's argparse keywords (the default is the field's), in `--help` order
TRACKER_ARGUMENTS: dict[str, dict] = {
    "weights": dict(type=Path, help="checkpoint (.safetensors); default: the shipped weights"),
    "branches": dict(choices=get_args(Branches)),
    "lam": dict(type=float, help="weight of the appearance map (default: the checkpoint's, else 0.3)"),
    "backbone": dict(choices=get_args(Backbone), help="S-Net; must match the checkpoint (default: the checkpoint's)"),
    "snet_weights": dict(type=Path, help="ImageNet weights for the alexnet S-Net (.pth or caffenet .npy)"),
    "device": dict(help="cpu or cuda"),
    "precision": dict(choices=PRECISION_CHOICES,
                      help="bf16: autocast + channels-last (CPUs with AVX-512 BF16 / AMX); int8: quantized A-Net (torch) or "
                           "both trunks, S-Net stem and blocks 0-3 kept fp32 (--backend onnx); "
                           "auto: bf16 where the CPU does it in hardware and its accuracy check passes, else fp32; "
                           "default: what --speed picks"),
    "backend": dict(choices=tuple(BACKENDS),
                    help="onnx: ONNX Runtime (1.8x faster than torch fp32 on a 2-core AVX2 CPU, same boxes; see "
                         "docs/bench) on --weights DIR from `sasiam export-onnx`, or on a checkpoint's export made "
                         "into the user cache on first use; ensemble: the maps of --weights A+B averaged; "
                         "default: what --speed picks"),
    "semantic_scales": dict(choices=SEMANTIC_SCALES,
                            help="middle: the S-Net on the middle scale's crop only, its map shared by the three "
                                 "scales (the A-Net's maps pick the scale); a third of the S-Net's work; its test AUC "
                                 "gain rests on one sequence (docs/bench); default: what --speed picks"),
    "speed": dict(choices=SPEEDS,
                  help="faithful: the paper's configuration (torch fp32, every scale through the S-Net); fast: the "
                       "fastest path whose test AUC is within 0.01 of it and that runs fast on this machine "
                       "(sasiam/backends/paths.py; e.g. ONNX Runtime int8). --backend, --precision and "
                       "--semantic-scales, when given, replace the path's"),
}
assert set(TRACKER_ARGUMENTS) == {option.name for option in dataclasses.fields(TrackerOptions)}, "a flag per field"


def parse_box(text: str) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"box must be x,y,w,h numbers, got {text!r}") from None
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"box must be four numbers x,y,w,h, got {text!r}")
    return values  # type: ignore[return-value]


def parse_source(text: str) -> tuple[str, str]:
    kind, separator, root = text.partition(":")
    if not separator or kind not in DATASET_KINDS:
        raise argparse.ArgumentTypeError(f"--data takes KIND:ROOT with KIND in {', '.join(DATASET_KINDS)}; got {text!r}")
    return kind, root


def add_tracker_option(parser, name: str, **changes) -> None:
    """The flag of TrackerOptions field `name`, as TRACKER_ARGUMENTS declares it; `changes` replace keywords
    (a command's own help text)."""
    keywords = {"default": getattr(DEFAULT_OPTIONS, name), **TRACKER_ARGUMENTS[name], **changes}
    parser.add_argument(f"--{name.replace('_', '-')}", **keywords)


def add_tracker_options(parser: argparse.ArgumentParser, speed: str = DEFAULT_OPTIONS.speed,
                        announce_path: bool = True) -> None:
    """Every tracker flag; `speed` is the command's default path (a user's own video: "fast");
    `announce_path`: `tracker_from_args` says on stderr which path runs (not where stderr is a protocol's log)."""
    parser.set_defaults(announce_path=announce_path)
    group = parser.add_argument_group("tracker")
    for name in TRACKER_ARGUMENTS:
        add_tracker_option(group, name, **({"default": speed} if name == "speed" else {}))


def tracker_from_args(args: argparse.Namespace):
    """The tracker that the flags of `add_tracker_options` ask for; its load warnings go to stderr."""
    options = TrackerOptions(**{name: getattr(args, name) for name in TRACKER_ARGUMENTS})
    tracker = tracker_from_options(options, warn=lambda text: print(f"WARNING: {text}", file=sys.stderr))
    if getattr(args, "announce_path", False) and not getattr(args, "quiet", False):
        print(f"sasiam: path {tracker.path} ({tracker.path_reason})", file=sys.stderr)
    return tracker

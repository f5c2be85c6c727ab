"""`sasiam export-onnx --out DIR`: the ONNX graphs the onnxruntime backend runs, checked against PyTorch
(sasiam/integrations/onnx_export.py)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..backends.onnx import DEFAULT_OPSET, MANIFEST_NAME
from ..integrations.onnx_export import (DEFAULT_TOLERANCE, check_export, check_frames, crops_for_check,
                                        default_check_sequence, export_onnx)
from .options import add_tracker_option


def command_export_onnx(args: argparse.Namespace) -> int:
    manifest = export_onnx(args.out, weights=args.weights, branches=args.branches, opset=args.opset,
                           snet_weights=args.snet_weights, backbone=args.backbone, progress=not args.quiet)
    folder = manifest.parent
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(folder.glob("*.onnx")))
    print(f"exported {args.branches} -> {folder}: {sizes}, {MANIFEST_NAME}")
    if args.no_check:
        return 0
    sequence = args.check_on if args.check_on is not None else default_check_sequence()
    frames, boxes, source = check_frames(sequence, args.check_frames)
    context, search = crops_for_check(frames, boxes)
    result = check_export(folder, context, search, source, args.weights, args.snet_weights, args.backbone)
    print(result.summary())
    if result.worst > args.tolerance:
        print(f"sasiam: ONNX Runtime differs from PyTorch by {result.worst:.2e} > tolerance {args.tolerance:g}",
              file=sys.stderr)
        return 1
    return 0


def register(commands) -> None:
    parser = commands.add_parser(
        "export-onnx", help="write ONNX graphs (exemplar, search) for the onnxruntime backend and check them",
        description="Writes exemplar.onnx, search.onnx and sasiam_onnx.json; track with them through "
                    "SASiamTracker(backend='onnx', weights=OUT) (no PyTorch needed there).")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the graphs into")
    add_tracker_option(parser, "weights")
    add_tracker_option(parser, "branches")
    add_tracker_option(parser, "backbone")
    add_tracker_option(parser, "snet_weights", help="ImageNet weights for the alexnet S-Net")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})")
    parser.add_argument("--check-on", type=Path,
                        help="OTB-layout sequence whose first frames the check uses "
                             "(default: ../shared/sequences/Crossing if present, else the bundled demo clip)")
    parser.add_argument("--check-frames", type=int, default=4, help="frames used by the check (default 4)")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                        help=f"exit 1 if any max abs difference exceeds this (default {DEFAULT_TOLERANCE:g})")
    parser.add_argument("--no-check", action="store_true", help="export only")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=command_export_onnx)

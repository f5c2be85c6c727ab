"""`sasiam attention-plot SEQ [SEQ ...] --out fig.png`: the paper's Fig. 4 (sasiam/evaluation/attention_plot.py)."""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from ..files import check_writable, write_output
from .options import DEFAULT_OPTIONS, add_tracker_option, tracker_from_args


def command_attention_plot(args: argparse.Namespace) -> int:
    # torch and matplotlib: imported when the command runs, so that `sasiam --help` starts without them
    from ..evaluation.attention_plot import plot_attention, video_attention

    check_writable(args.out, "figure")
    if args.json:
        check_writable(args.json, "JSON file")
    tracker = tracker_from_args(args)
    videos = [video_attention(tracker, path) for path in args.sequences]
    plot_attention(videos, args.out)
    for video in videos:
        print(f"{video.name}: conv4 weights {video.conv4.min():.3f}..{video.conv4.max():.3f}, "
              f"conv5 {video.conv5.min():.3f}..{video.conv5.max():.3f}")
    if args.json:
        text = json.dumps({v.name: {"conv4": v.conv4.round(5).tolist(), "conv5": v.conv5.round(5).tolist()}
                           for v in videos})
        write_output(args.json, lambda temporary: Path(temporary).write_text(text + "\n"), "JSON file")
    print(f"-> {args.out}")
    return 0


def register(commands) -> None:
    parser = commands.add_parser(
        "attention-plot", help="plot the channel-attention weights of videos' first targets (paper Fig. 4)",
        description="For each sequence, the semantic branch's channel-attention weights of conv4 and conv5, "
                    "computed from its first frame and ground-truth box, sorted (the paper's Fig. 4).")
    parser.add_argument("sequences", nargs="+", type=Path, help="sequence folders with ground truth (OTB layout)")
    parser.add_argument("--out", type=Path, required=True, help="the figure (PNG)")
    parser.add_argument("--json", type=Path, help="also write the weights, in channel order, here")
    add_tracker_option(parser, "weights", help="checkpoint (default: the shipped weights)")
    add_tracker_option(parser, "precision")
    # the tracker options without a flag here keep TrackerOptions' defaults; the semantic branch alone suffices
    parser.set_defaults(handler=command_attention_plot, **{**dataclasses.asdict(DEFAULT_OPTIONS), "branches": "semantic"})

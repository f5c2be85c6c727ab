"""`sasiam vot`: the TraX server the VOT toolkit runs from trackers.ini (sasiam/integrations/vot_trax.py)."""
from __future__ import annotations

import argparse
import os
import sys

from ..errors import SASiamError
from ..integrations.vot_trax import import_trax, serve
from .options import add_tracker_options, tracker_from_args


def command_vot(args: argparse.Namespace) -> int:
    import_trax()
    if sys.stdin.isatty() and "TRAX" not in os.environ:
        raise SASiamError("this is a TraX server for the VOT toolkit, not an interactive command; "
                          "name it in the workspace's trackers.ini (see README: VOT toolkit)")
    serve(tracker_from_args(args), log=args.trax_log)
    return 0


def register(commands) -> None:
    parser = commands.add_parser("vot", help="TraX server for the VOT toolkit (name it in trackers.ini)",
                                 description="Serve the tracker over TraX on stdin/stdout, as the VOT toolkit "
                                             "runs it: protocol = trax, command = sasiam vot [options].")
    parser.add_argument("--trax-log", action="store_true", help="log the TraX messages to the console")
    add_tracker_options(parser, announce_path=False)
    parser.set_defaults(handler=command_vot)

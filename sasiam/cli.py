"""The `sasiam` command line: the parsers of sasiam/commands/, then the chosen command's handler.
User errors print one line and exit with code 2."""
from __future__ import annotations

import argparse
import logging
import sys

from . import __version__
from .commands import COMMANDS
from .errors import SASiamError

EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sasiam", description="SA-Siam single-object tracker")
    parser.add_argument("--version", action="version", version=f"sasiam {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(subcommands)
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
    notes = logging.getLogger("sasiam")  # the library's INFO notes (a cache built on first use) go to stderr
    if not notes.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("sasiam: note: %(message)s"))
        notes.addHandler(handler)
        notes.setLevel(logging.INFO)
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

"""`sasiam assemble`: join separately trained branch checkpoints into one."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..config import DEFAULT_LAMBDA


def command_assemble(args: argparse.Namespace) -> int:
    # torch: imported when the command runs, so that `sasiam --help` starts without it
    from ..training.assemble import assemble

    out = assemble(args.appearance, args.semantic, args.out, lam=args.lam, half=args.half)
    print(f"assembled {out}")
    return 0


def register(commands) -> None:
    assemble = commands.add_parser("assemble", help="join separately trained branch checkpoints into one")
    assemble.add_argument("--appearance", type=Path, required=True)
    assemble.add_argument("--semantic", type=Path, required=True)
    assemble.add_argument("--out", type=Path, required=True)
    assemble.add_argument("--lam", type=float, default=DEFAULT_LAMBDA)
    assemble.add_argument("--half", action="store_true", help="store fp16 tensors (half the size)")
    assemble.set_defaults(handler=command_assemble)

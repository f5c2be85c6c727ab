"""Where the real tracking sequences of a source checkout are: ../shared/sequences beside
the repository, or $SASIAM_SHARED_SEQUENCES. Used for defaults only (bench input, int8
calibration frames, the ONNX export check); nothing requires them."""
from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def shared_sequences_root() -> Path:
    return Path(os.environ.get("SASIAM_SHARED_SEQUENCES", REPOSITORY.parent / "shared" / "sequences"))

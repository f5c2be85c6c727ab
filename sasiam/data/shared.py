"""Where the shared data of a source checkout is: ../shared beside the repository. The real
tracking sequences are in ../shared/sequences (or $SASIAM_SHARED_SEQUENCES), NanoTrack's ONNX
models in ../shared/baselines/nanotrackv2. Used for defaults only (bench input, int8
calibration frames, the ONNX export check, `opencv:nano`'s models); nothing requires them."""
from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def shared_root() -> Path:
    return REPOSITORY.parent / "shared"


def shared_sequences_root() -> Path:
    return Path(os.environ.get("SASIAM_SHARED_SEQUENCES", shared_root() / "sequences"))


def nanotrack_models_root() -> Path:
    """The folder with NanoTrack v2's nanotrack_backbone_sim.onnx and nanotrack_head_sim.onnx."""
    return shared_root() / "baselines" / "nanotrackv2"

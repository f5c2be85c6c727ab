"""The crops int8 calibrates on when the caller names none: what the tracker would see.

The int8 backend (`sasiam/backends/int8.py`) takes its calibration crops from whoever
builds it; `SASiamTracker(precision="int8")` and `SASiamTracker.from_network` pass
`default_calibration()`: the three search scales around the ground-truth box of frames
of the training split's sequences (`sasiam/data/splits/shared_sequences.json`, "train")
when ../shared/sequences is beside the repository, else frames of the bundled demo clip
(real photographs). Its source names the sequences found without reading a frame, so a
cached calibration costs no decoding.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from ..backends.base import Calibration
from ..config import TrackerConfig
from ..data.shared import shared_sequences_root
from .policy import SearchPolicy

# Frames per training sequence whose three scale crops calibrate the activations.
CALIBRATION_FRAMES_PER_SEQUENCE = 3


def training_split_names() -> list[str]:
    path = Path(__file__).resolve().parents[1] / "data" / "splits" / "shared_sequences.json"
    return list(json.loads(path.read_text())["train"])


def calibration_crops(root: Path | None = None, names: Sequence[str] | None = None,
                      frames_per_sequence: int = CALIBRATION_FRAMES_PER_SEQUENCE) -> tuple[np.ndarray, str]:
    """Real 255 crops the tracker would see (three scales around the true box), and where they came from."""
    import cv2

    from ..data.sequences import open_sequence
    from ..errors import InvalidBoxError

    policy = SearchPolicy(TrackerConfig())
    root = shared_sequences_root() if root is None else Path(root)
    names = training_split_names() if names is None else list(names)
    crops = []
    used = []
    for name in names:
        if not (root / name).is_dir():
            continue
        sequence = open_sequence(root / name)
        if sequence.groundtruth is None or not sequence.frame_paths:
            continue
        boxes = sequence.groundtruth
        valid = [i for i in range(min(len(sequence.frame_paths), len(boxes)))
                 if np.all(np.isfinite(boxes[i])) and np.all(boxes[i][2:] > 1)]
        if not valid:
            continue
        for pick in np.linspace(0, len(valid) - 1, frames_per_sequence).round().astype(int):
            frame = cv2.imread(str(sequence.frame_paths[valid[pick]]), cv2.IMREAD_COLOR)
            if frame is None:
                continue
            try:
                state = policy.start(frame, boxes[valid[pick]])
            except InvalidBoxError:  # a box off the frame: nothing the tracker would crop
                continue
            crops.append(policy.search_crops(frame, state))
        used.append(name)
    if crops:
        return np.concatenate(crops), f"{len(crops)} frames of the training split ({', '.join(used)}) at {root}"
    from ..data.demo_clip import make_demo_clip

    clip = make_demo_clip()
    picks = np.linspace(0, len(clip) - 1, 8).round().astype(int)
    for index in picks:
        frame = clip.frames[index]
        crops.append(policy.search_crops(frame, policy.start(frame, clip.boxes[index])))
    return np.concatenate(crops), f"{len(picks)} frames of the bundled demo clip (no sequences at {root})"


def default_calibration() -> Calibration:
    """The training split's crops (`calibration_crops`), read only if the int8 cache has no calibration on them."""
    root = shared_sequences_root()
    present = [name for name in training_split_names() if (root / name).is_dir()]
    source = f"training split {present} at {root}" if present else "demo clip"
    return Calibration(source, calibration_crops)


def calibration_for(precision: str, calibration: Calibration | None) -> Calibration | None:
    """What a tracker of `precision` calibrates on: the caller's crops, else for int8 `default_calibration()`."""
    if precision == "int8" and calibration is None:
        return default_calibration()
    return calibration

"""Pairs from still images (SiamRPN-style): more objects than the few videos hold.

The shared sequences give 10 training targets; an A-Net trained from scratch
on them over-fits within a few thousand pairs. Any patch of any frame is an
object a generic tracker must follow, so random boxes (sized like real
targets) are cut from training frames and paired with themselves under
independent, stronger random affine motion (stretch, rotation) and colour
change. Both crops stay centred on the box, so the usual centred labels hold.

Each (frame, random box) becomes a one-frame `Track`, so the crop cache
(`curation.curate`) stores these crops exactly like video frames.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..data.datasets import Track
from .config import TrainConfig


def frame_size(path) -> tuple[int, int]:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        return 0, 0
    return image.shape[1], image.shape[0]


def random_box_tracks(tracks: list[Track], boxes_per_frame: int, frame_step: int, seed: int) -> list[Track]:
    """One-frame tracks: every `frame_step`-th frame of each track, `boxes_per_frame` random boxes each.

    A box takes the size of a real target of the same track (a random visible
    frame) times 0.5..2, and a centre uniform over the part of the frame
    where it fits."""
    rng = np.random.default_rng([seed, 104729])
    still: list[Track] = []
    for track in tracks:
        visible = np.flatnonzero(track.visible)
        if not len(visible):
            continue
        width, height = frame_size(track.frame_paths[visible[0]])
        if not width:
            continue
        for frame in visible[::frame_step]:
            boxes = []
            for _ in range(boxes_per_frame):
                w, h = track.boxes[visible[rng.integers(len(visible))], 2:] * rng.uniform(0.5, 2.0)
                w, h = min(max(w, 8.0), width * 0.9), min(max(h, 8.0), height * 0.9)
                x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
                boxes.append((x, y, w, h))
            path = track.frame_paths[frame]
            for k, box in enumerate(boxes):
                still.append(Track(f"still/{track.name}/{frame}/{k}", [path], np.array([box]), np.array([True])))
    return still


def affine_motion(source: int, out: int, rng: np.random.Generator, max_stretch: float, max_rotation: float,
                  max_translation: int) -> np.ndarray:
    """Output pixel -> source pixel: rotate, stretch and shift about the crop centre."""
    stretch = 1.0 + rng.uniform(-max_stretch, max_stretch, size=2)
    angle = np.deg2rad(rng.uniform(-max_rotation, max_rotation))
    shift = rng.integers(-max_translation, max_translation + 1, size=2)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    linear = rotation @ np.diag(1 / stretch)
    centre_in, centre_out = (source - 1) / 2, (out - 1) / 2
    offset = centre_in - linear @ (np.array([centre_out, centre_out]) - shift)
    return np.hstack([linear, offset[:, None]])


def still_augment(crop: np.ndarray, rng: np.random.Generator, config: TrainConfig) -> np.ndarray:
    """One view of a still crop: a stronger warp than video pairs get, plus colour change."""
    out = config.crop_size
    matrix = affine_motion(crop.shape[0], out, rng, config.still_max_stretch, config.still_max_rotation,
                           config.max_translation)
    image = cv2.warpAffine(crop, matrix, (out, out), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
    jitter = max(config.colour_jitter, 0.2)
    image = np.clip(image * (1 + rng.uniform(-jitter, jitter, 3)) + rng.uniform(-20, 20), 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 1.5))
    return image

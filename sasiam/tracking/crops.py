"""Square crops around the target, one cv2.warpAffine each (no Python pixel loops)."""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from .geometry import crop_transform


def crop_square(frame: np.ndarray, center: np.ndarray, side: float, output_size: int,
                fill: Sequence[float]) -> np.ndarray:
    """The square of `side` frame pixels centred on `center`, resampled to output_size;
    what lies outside the frame is filled with `fill` (the mean colour)."""
    return cv2.warpAffine(
        frame, crop_transform(center, side, output_size), (output_size, output_size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT, borderValue=tuple(float(v) for v in fill),
    )

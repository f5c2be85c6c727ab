"""Square crops around the target, one cv2.warpAffine each (no Python pixel loops)."""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
import torch

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


def crops_to_tensor(crops: Sequence[np.ndarray], device: torch.device | str = "cpu") -> torch.Tensor:
    """List of H x W x 3 uint8 crops -> N x 3 x H x W float32 (BGR, [0, 255])."""
    batch = torch.from_numpy(np.ascontiguousarray(np.stack(crops)))
    return batch.to(device).permute(0, 3, 1, 2).float()

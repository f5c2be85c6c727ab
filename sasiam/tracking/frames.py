"""Turn whatever image a caller hands in into the H x W x 3 uint8 BGR the tracker works on."""
from __future__ import annotations

import cv2
import numpy as np

from ..errors import InvalidFrameError


def as_bgr_uint8(frame: np.ndarray) -> np.ndarray:
    """Accept grayscale, BGR, BGRA; uint8, uint16 (full range) and float in [0, 1]."""
    if not isinstance(frame, np.ndarray):
        raise InvalidFrameError(f"a frame must be a numpy array, got {type(frame).__name__}")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] not in (3, 4)):
        raise InvalidFrameError(f"a frame must be H x W, H x W x 3 or H x W x 4, got shape {frame.shape}")
    if frame.shape[0] < 1 or frame.shape[1] < 1:
        raise InvalidFrameError(f"empty frame of shape {frame.shape}")
    if frame.dtype == np.uint8:
        pass
    elif frame.dtype == np.uint16:
        frame = (frame // 257).astype(np.uint8)
    elif np.issubdtype(frame.dtype, np.floating):
        if not np.isfinite(frame).all():
            raise InvalidFrameError("frame has NaN or infinite pixel values")
        frame = np.clip(np.rint(frame * 255.0), 0, 255).astype(np.uint8)
    else:
        raise InvalidFrameError(f"unsupported pixel type {frame.dtype}; use uint8, uint16 or float in [0, 1]")
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return frame

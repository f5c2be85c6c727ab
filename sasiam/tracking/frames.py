"""Turn whatever image a caller hands in into the H x W x 3 uint8 BGR the tracker works on.

Accepted: grayscale (H x W or H x W x 1), BGR, BGRA (alpha dropped); uint8,
uint16 (full range 0..65535), float in [0, 1] (float16/32/64). Any size: the
tracker resamples fixed-size crops from the frame, so a 4K or 8K frame costs
the same per update as a small one, and a uint8 BGR frame is used without a copy.
Anything else is an InvalidFrameError saying what was wrong and what to pass.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..errors import InvalidFrameError

# Float frames are [0, 1]; a little overshoot (from resampling) is clipped, more means another scale.
FLOAT_SLACK = 0.5


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
        frame = _float_to_uint8(frame)
    else:
        raise InvalidFrameError(f"unsupported pixel type {frame.dtype}; use uint8, uint16 or float in [0, 1]")
    if frame.ndim == 2:
        return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_BGRA2BGR)
    return frame


def _float_to_uint8(frame: np.ndarray) -> np.ndarray:
    # min/max instead of np.isfinite(frame).all(): NaN propagates into them, and no
    # frame-sized boolean array is made (an 8K float64 frame is already 800 MB).
    low, high = float(frame.min()), float(frame.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        raise InvalidFrameError("frame has NaN or infinite pixel values")
    if low < -FLOAT_SLACK or high > 1 + FLOAT_SLACK:
        raise InvalidFrameError(f"float frames must hold values in [0, 1], this one spans [{low:g}, {high:g}]; "
                                "divide by 255 (or 65535), or pass uint8")
    scaled = np.multiply(frame, 255.0, dtype=np.float32)
    np.clip(scaled, 0, 255, out=scaled)
    np.rint(scaled, out=scaled)
    return scaled.astype(np.uint8)

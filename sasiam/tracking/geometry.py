"""Pure geometry of SiamFC-style tracking: boxes, crop windows, score-map
coordinates. Continuous coordinates throughout: pixel i covers [i, i + 1), so
a box (x, y, w, h) has its centre at (x + w / 2, y + h / 2)."""
from __future__ import annotations

import math
import warnings
from typing import Sequence

import numpy as np

from ..errors import BoxClippedWarning, InvalidBoxError


def box_to_center(box: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """(x, y, w, h) -> centre (cx, cy) and size (w, h) as float64 arrays."""
    x, y, w, h = (float(v) for v in box)
    return np.array([x + w / 2, y + h / 2]), np.array([w, h])


def center_to_box(center: np.ndarray, size: np.ndarray) -> tuple[float, float, float, float]:
    return (
        float(center[0] - size[0] / 2),
        float(center[1] - size[1] / 2),
        float(size[0]),
        float(size[1]),
    )


def validate_box(box: Sequence[float], frame_width: int, frame_height: int) -> tuple[float, float, float, float]:
    """Check an initial box and clip it to the frame.

    Refused (InvalidBoxError): anything but four finite numbers, a width or
    height below one pixel (boxes are in pixels; a size below 1 is usually a
    box in fractions of the frame), a box with no part inside the frame.
    A box partly outside the frame, or larger than it, is clipped to its
    visible part (the exemplar can only show what is visible) with a
    BoxClippedWarning when more than a pixel is cut off.
    """
    try:
        values = [float(v) for v in box]
    except (TypeError, ValueError) as error:
        raise InvalidBoxError(f"box must be four numbers x,y,w,h, got {box!r}") from error
    if len(values) != 4:
        raise InvalidBoxError(f"box must be four numbers x,y,w,h, got {len(values)} values")
    if not all(math.isfinite(v) for v in values):
        raise InvalidBoxError(f"box has a non-finite value: {_shown(values)}")
    x, y, w, h = values
    if w <= 0 or h <= 0:
        raise InvalidBoxError(f"box width and height must be positive, got w={w:g}, h={h:g}")
    if w < 1 or h < 1:
        raise InvalidBoxError(f"box {_shown(values)} is smaller than one pixel; boxes are x,y,w,h in pixels, "
                              "not fractions of the frame")
    left, top = max(x, 0.0), max(y, 0.0)
    right, bottom = min(x + w, float(frame_width)), min(y + h, float(frame_height))
    if right <= left or bottom <= top:
        raise InvalidBoxError(f"box {_shown(values)} lies wholly outside the {frame_width}x{frame_height} frame")
    clipped = (left, top, right - left, bottom - top)
    if max(abs(left - x), abs(top - y), abs(right - (x + w)), abs(bottom - (y + h))) > 1.0:
        warnings.warn(f"box {_shown(values)} reaches outside the {frame_width}x{frame_height} frame; "
                      f"tracking its visible part {_shown(clipped)}", BoxClippedWarning, stacklevel=4)
    return clipped


def _shown(values: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:g}" for v in values) + ")"


def is_sane_box(box: Sequence[float], frame_width: float, frame_height: float, initial_size: Sequence[float],
                min_scale: float, max_scale: float) -> bool:
    """What every tracker output must satisfy: finite, centre on the frame, size within the scale clamps."""
    values = np.asarray(box, dtype=np.float64)
    if values.shape != (4,) or not np.isfinite(values).all():
        return False
    center, size = box_to_center(values)
    initial = np.asarray(initial_size, dtype=np.float64)
    tolerance = 1e-6 * max(1.0, float(initial.max()))
    return bool(0 <= center[0] <= frame_width and 0 <= center[1] <= frame_height
                and np.all(size >= initial * min_scale - tolerance) and np.all(size <= initial * max_scale + tolerance))


def context_side(size: np.ndarray, context_amount: float) -> float:
    """Side of the square exemplar window: sqrt((w + p)(h + p)), p = context * (w + h)."""
    pad = context_amount * float(size[0] + size[1])
    return math.sqrt((float(size[0]) + pad) * (float(size[1]) + pad))


def crop_transform(center: np.ndarray, side: float, output_size: int) -> np.ndarray:
    """2x3 affine matrix mapping output-crop pixel indices to frame pixel indices.

    The crop is the square of `side` frame pixels centred on `center`, resampled
    to `output_size` pixels. Used with cv2.warpAffine(..., WARP_INVERSE_MAP).
    """
    step = side / output_size
    offset_x = center[0] - side / 2 + 0.5 * step - 0.5
    offset_y = center[1] - side / 2 + 0.5 * step - 0.5
    return np.array([[step, 0.0, offset_x], [0.0, step, offset_y]], dtype=np.float64)


def crop_to_frame(points: np.ndarray, center: np.ndarray, side: float, output_size: int) -> np.ndarray:
    """Map continuous crop coordinates (N x 2) back to frame coordinates."""
    return center + (np.asarray(points, dtype=np.float64) - output_size / 2) * (side / output_size)


def frame_to_crop(points: np.ndarray, center: np.ndarray, side: float, output_size: int) -> np.ndarray:
    """Map continuous frame coordinates (N x 2) into a crop's coordinates."""
    return (np.asarray(points, dtype=np.float64) - center) * (output_size / side) + output_size / 2


def hann_window(size: int) -> np.ndarray:
    """Normalised 2-D Hann window (sums to 1), SiamFC's cosine window."""
    window = np.outer(np.hanning(size), np.hanning(size))
    return window / window.sum()


def peak_displacement(
    peak_row: int, peak_col: int, upscaled_size: int, upscale: int, total_stride: int,
    search_side: float, search_size: int,
) -> np.ndarray:
    """Displacement in frame pixels (dx, dy) of a peak in the upsampled score map."""
    centre = (upscaled_size - 1) / 2
    in_crop = np.array([peak_col - centre, peak_row - centre]) * total_stride / upscale
    return in_crop * search_side / search_size


def clamp_size(size: np.ndarray, initial_size: np.ndarray, min_scale: float, max_scale: float) -> np.ndarray:
    return np.clip(size, initial_size * min_scale, initial_size * max_scale)


def iou(box_a: Sequence[float], box_b: Sequence[float]) -> float:
    ax, ay, aw, ah = box_a
    bx, by, bw, bh = box_b
    inter_w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    inter_h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = inter_w * inter_h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0

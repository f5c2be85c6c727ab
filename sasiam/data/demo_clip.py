"""A small tracking clip built on the fly from real photographs, with no download.

A fresh clone has no video to track on, so this module synthesises one from the
sample photos that ship inside the scikit-image wheel (no pooch fetch, no
network):

* background: ``skimage.data.coffee()`` (an espresso cup on a wooden table),
  filmed by a virtual camera that pans smoothly and zooms in slowly;
* object: the cat's face cut out of ``skimage.data.chelsea()`` with a soft
  elliptical alpha mask, gliding across the frame along a smooth curve while
  its scale varies by up to +-20 %.

Since the object is pasted by us, its ground-truth box is known exactly, to
sub-pixel precision, at every frame. Boxes are ``(x, y, w, h)`` in 0-based
pixel coordinates where the box covers the continuous interval ``[x, x + w)``
horizontally (pixel ``i`` spans ``[i, i + 1)``), and it is the full extent of
the pasted patch (alpha > 0), always entirely inside the frame.

    clip = make_demo_clip()                  # 120 frames, 480 x 360, < 0.1 s
    write_demo_clip("demo.mp4", clip)        # + demo_groundtruth.txt
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = ["DemoClip", "make_demo_clip", "write_demo_clip"]

# Cat face in chelsea() (300 x 451): eyes, nose and mouth, a little fur around.
_OBJECT_CROP = (110, 35, 260, 255)  # x, y, w, h in source pixels
# Object height as a fraction of the frame's smaller side, at scale 1.
_OBJECT_REL_SIZE = 0.30
_SCALE_SWING = 0.20  # scale varies within [1 - swing, 1 + swing]
_FEATHER = 0.18      # width of the alpha ramp, as a fraction of the ellipse radius
_MARGIN = 4.0        # pixels kept between the box and the frame border
_ZOOM_IN = 0.25      # the camera zooms in by up to this relative amount
_FOURCC_BY_SUFFIX = {".mp4": "mp4v", ".avi": "MJPG"}


@dataclass(frozen=True)
class DemoClip:
    """Frames (H x W x 3 uint8 BGR) and the object's box (N x 4 x,y,w,h) in each."""

    frames: list[np.ndarray]
    boxes: np.ndarray

    def __post_init__(self) -> None:
        boxes = np.asarray(self.boxes, dtype=np.float64)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"boxes must be N x 4, got shape {boxes.shape}")
        if len(self.frames) != len(boxes):
            raise ValueError(f"{len(self.frames)} frames but {len(boxes)} boxes")
        object.__setattr__(self, "boxes", boxes)

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        height, width = self.frames[0].shape[:2]
        return width, height


@functools.lru_cache(maxsize=1)
def _background() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.coffee()[:, :, ::-1])  # RGB -> BGR


@functools.lru_cache(maxsize=8)
def _object(height: int) -> tuple[np.ndarray, np.ndarray]:
    """The cat-face patch resized to `height` rows (BGR float32) and its soft alpha."""
    from skimage import data

    x, y, w, h = _OBJECT_CROP
    crop = data.chelsea()[y:y + h, x:x + w, ::-1]
    width = max(2, round(height * w / h))
    patch = cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    # Normalised elliptical radius at pixel centres: 1 on the ellipse inscribed in the patch.
    u = (np.arange(width, dtype=np.float32) + 0.5) / width * 2.0 - 1.0
    v = (np.arange(height, dtype=np.float32) + 0.5) / height * 2.0 - 1.0
    radius = np.sqrt(u[None, :] ** 2 + v[:, None] ** 2)
    ramp = np.clip((1.0 - radius) / _FEATHER, 0.0, 1.0)
    alpha = (ramp * ramp * (3.0 - 2.0 * ramp)).astype(np.float32)  # smoothstep edge
    return patch, alpha


def _camera_matrix(cx: float, cy: float, zoom: float, width: int, height: int) -> np.ndarray:
    """Affine map background -> frame: the point (cx, cy) lands at the frame centre."""
    # Continuous coordinates (pixel i spans [i, i+1)), converted to OpenCV's pixel-centre indices.
    tx = width / 2.0 - zoom * cx + 0.5 * zoom - 0.5
    ty = height / 2.0 - zoom * cy + 0.5 * zoom - 0.5
    return np.array([[zoom, 0.0, tx], [0.0, zoom, ty]], dtype=np.float64)


def _paste(frame: np.ndarray, patch: np.ndarray, alpha: np.ndarray,
           x: float, y: float, scale: float) -> None:
    """Alpha-blend `patch` scaled by `scale` so that it covers [x, x+w) x [y, y+h) exactly."""
    ph, pw = alpha.shape
    frame_h, frame_w = frame.shape[:2]
    x0, y0 = max(0, math.floor(x)), max(0, math.floor(y))
    x1 = min(frame_w, math.ceil(x + scale * pw))
    y1 = min(frame_h, math.ceil(y + scale * ph))
    if x1 <= x0 or y1 <= y0:
        return
    # Patch continuous coordinate p maps to frame continuous coordinate x + scale * p;
    # expressed in pixel-centre indices of the region of interest starting at (x0, y0).
    matrix = np.array([
        [scale, 0.0, x - x0 + 0.5 * scale - 0.5],
        [0.0, scale, y - y0 + 0.5 * scale - 0.5],
    ])
    size = (x1 - x0, y1 - y0)
    colour = cv2.warpAffine(patch, matrix, size, flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    weight = cv2.warpAffine(alpha, matrix, size, flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)[:, :, None]
    roi = frame[y0:y1, x0:x1]
    blended = roi.astype(np.float32) + weight * (colour - roi)
    roi[...] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def make_demo_clip(num_frames: int = 120, size: tuple[int, int] = (480, 360),
                   seed: int = 0) -> DemoClip:
    """Build the demo clip: `num_frames` frames of `size` = (width, height), BGR uint8.

    The seed picks the object's path (direction, wobble, phases), its scale
    rhythm and the camera's pan; the same seed always gives the same clip.
    """
    num_frames = int(num_frames)
    width, height = (int(s) for s in size)
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    if width < 32 or height < 32:
        raise ValueError(f"frame size must be at least 32 x 32, got {width} x {height}")
    rng = np.random.default_rng(seed)

    background = _background()
    bg_h, bg_w = background.shape[:2]
    patch, alpha = _object(max(8, round(_OBJECT_REL_SIZE * min(width, height))))
    ph, pw = alpha.shape

    tau = np.linspace(0.0, 1.0, num_frames) if num_frames > 1 else np.zeros(1)
    ease = 0.5 - 0.5 * np.cos(np.pi * tau)  # 0 -> 1 with zero speed at both ends

    # Camera: the least zoomed view is 80 % of what fits in the photo, so there is room to pan;
    # it zooms in smoothly by up to _ZOOM_IN while panning steadily sideways and gently up/down.
    zoom0 = 1.25 * max(width / bg_w, height / bg_h)
    zoom = zoom0 * (1.0 + _ZOOM_IN * (0.75 * ease + 0.25 * np.sin(np.pi * tau) ** 2))
    room_x = max(0.0, bg_w / 2.0 - width / (2.0 * zoom0))   # pan half-range at the widest view
    room_y = max(0.0, bg_h / 2.0 - height / (2.0 * zoom0))
    sign_x, sign_y = rng.choice([-1.0, 1.0], size=2)
    phase = rng.uniform(0.0, 2.0 * np.pi)
    cam_x = bg_w / 2.0 + room_x * sign_x * (0.75 * (2.0 * tau - 1.0)
                                             + 0.1 * np.sin(2.0 * np.pi * tau + phase))
    cam_y = bg_h / 2.0 + 0.85 * room_y * sign_y * np.sin(np.pi * tau + phase)

    # Object: a sweep across the frame plus a wobble, kept inside at the largest scale.
    scale = 1.0 + _SCALE_SWING * np.sin(2.0 * np.pi * rng.uniform(0.6, 1.2) * tau
                                         + rng.uniform(0.0, 2.0 * np.pi))
    reach_x = max(0.0, width / 2.0 - _MARGIN - (1.0 + _SCALE_SWING) * pw / 2.0)
    reach_y = max(0.0, height / 2.0 - _MARGIN - (1.0 + _SCALE_SWING) * ph / 2.0)
    direction = rng.choice([-1.0, 1.0])
    sweep = rng.uniform(0.65, 0.75)
    centre_x = width / 2.0 + reach_x * (
        sweep * direction * (2.0 * ease - 1.0)
        + (1.0 - sweep) * np.sin(2.0 * np.pi * rng.uniform(1.0, 2.0) * tau + rng.uniform(0, 2 * np.pi)))
    centre_y = height / 2.0 + reach_y * np.sin(2.0 * np.pi * rng.uniform(0.7, 1.3) * tau
                                               + rng.uniform(0.0, 2.0 * np.pi))
    box_w, box_h = scale * pw, scale * ph
    boxes = np.stack([centre_x - box_w / 2.0, centre_y - box_h / 2.0, box_w, box_h], axis=1)

    frames = []
    for i in range(num_frames):
        matrix = _camera_matrix(cam_x[i], cam_y[i], zoom[i], width, height)
        frame = cv2.warpAffine(background, matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT_101)
        _paste(frame, patch, alpha, boxes[i, 0], boxes[i, 1], scale[i])
        frames.append(frame)
    return DemoClip(frames=frames, boxes=boxes)


def write_demo_clip(path: str | Path, clip: DemoClip, fps: float = 25.0) -> Path:
    """Write `clip` as a video (``.mp4`` -> mp4v, ``.avi`` -> MJPG) and its ground truth.

    The ground truth goes beside the video as ``<stem>_groundtruth.txt``, one
    ``x,y,w,h`` line per frame with 6 decimals. Returns the video's path.
    Raises RuntimeError if OpenCV cannot open a writer for it.
    """
    path = Path(path)
    fourcc = _FOURCC_BY_SUFFIX.get(path.suffix.lower())
    if fourcc is None:
        raise ValueError(f"unsupported video extension {path.suffix!r}; use .mp4 or .avi")
    if len(clip) == 0:
        raise ValueError("the clip has no frames")
    width, height = clip.size
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), float(fps), (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"cv2.VideoWriter could not open {path} with codec {fourcc!r}")
    try:
        for frame in clip.frames:
            writer.write(np.ascontiguousarray(frame, dtype=np.uint8))
    finally:
        writer.release()
    groundtruth = path.with_name(f"{path.stem}_groundtruth.txt")
    groundtruth.write_text("".join(",".join(f"{v:.6f}" for v in box) + "\n" for box in clip.boxes))
    return path
